"""One HTTP request to an API server through the official client: throttled, retried, counted.

Requests go through ``ApiClient.param_serialize`` + ``call_api`` (auth, TLS, token refresh by
the client) and the body is read raw: JSON in, JSON out, no model classes. ``Transport.stream``
sends a GET the same way but leaves a 2xx body on the wire (``Stream``) for watches.

Every attempt is reported to the options' ``observer`` (answered, or no answer: reachability),
and every write asks the options' ``fence`` first (see ``reconciler.cluster.fence``). Reads wait
``answer_timeout`` for an answer, writes ``read_timeout``, and a write never waits past the fence
(a dry run changes nothing and may be sent, but its retries do not wait past the fence either).
"""

from __future__ import annotations

import dataclasses
import math
import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import urllib3
from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException

from reconciler.cluster.answers import AnswerObserver
from reconciler.cluster.base import KindRef
from reconciler.cluster.fence import MUTATING_METHODS, WriteFence, check_retry_wait, is_write, write_window
from reconciler.cluster.kube.errors import (
    MAX_MESSAGE,
    RETRYABLE_STATUSES,
    error_for,
    is_request_fault,
    parse_body,
    retry_after,
)
from reconciler.cluster.kube.options import KubeOptions
from reconciler.cluster.kube.stream import Stopper, Stream
from reconciler.cluster.kube.throttle import TokenBucket, full_jitter
from reconciler.errors import ClusterError, NoAnswer

USER_AGENT = "platformctl"
FLOW_CONTROL_HEADERS = ("X-Kubernetes-Pf-Flowschema-Uid", "X-Kubernetes-Pf-Prioritylevel-Uid")
"""Set by kube-apiserver on every answer when API Priority and Fairness handles the request."""


@dataclass(frozen=True, slots=True)
class Response:
    """A final answer (2xx, or an error the caller interprets)."""

    status: int
    headers: Mapping[str, str]
    raw: bytes

    def json(self) -> Any:
        """The decoded body (None when it is not JSON)."""
        return parse_body(self.raw)


class Transport:
    """Sends requests to one cluster; thread-safe (urllib3's pool is, counters are locked)."""

    def __init__(self, client: ApiClient, cluster: str, options: KubeOptions) -> None:
        self._client = client
        client.user_agent = USER_AGENT  # param_serialize sends the client's default headers
        self._cluster = cluster
        self._options = options
        self._bucket = TokenBucket(options.qps, options.burst, clock=options.clock, sleep=options.sleep)
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._retries = 0
        self._flow_control = False  # the server has shown it runs API Priority and Fairness
        self._stopper = Stopper()

    def request(self, method: str, path: str, *, verb: str, query: Sequence[tuple[str, str]] = (),
                body: Any = None, content_type: str | None = None, key: object | None = None,
                kind: KindRef | None = None) -> Response:
        """Send until a non-retryable answer comes back; Unavailable once retries are spent."""
        answer = self._exchange(method, path, verb, query, body, content_type, key, kind, stream_timeout=None)
        assert isinstance(answer, Response)  # only stream_timeout gives a Stream
        return answer

    def stream(self, path: str, *, verb: str, query: Sequence[tuple[str, str]], read_timeout: float,
               kind: KindRef | None = None) -> Response | Stream:
        """GET whose 2xx body is left on the wire (a watch): a ``Stream``; any other final answer as
        a read ``Response``. Throttled, counted under ``verb`` and retried like ``request`` until the
        answer's status line arrives; ``read_timeout`` bounds each read of the stream."""
        return self._exchange("GET", path, verb, query, None, None, None, kind, stream_timeout=read_timeout)

    def supervise(self, *, fence: WriteFence | None = None, observer: AnswerObserver | None = None,
                  answer_timeout: float | None = None) -> None:
        """Replace the write fence, the answer observer or the read deadline (for requests sent from now)."""
        changes: dict[str, Any] = {}
        if fence is not None:
            changes["fence"] = fence
        if observer is not None:
            changes["observer"] = observer
        if answer_timeout is not None:
            changes["answer_timeout"] = answer_timeout
        self._options = dataclasses.replace(self._options, **changes)  # one reference swap: thread-safe

    def _exchange(self, method: str, path: str, verb: str, query: Sequence[tuple[str, str]], body: Any,
                  content_type: str | None, key: object | None, kind: KindRef | None, *,
                  stream_timeout: float | None) -> Response | Stream:
        opts = self._options
        write = is_write(method, query)
        attempt = 0
        reauthenticated = False
        while True:
            if not (self._flow_control and opts.defer_to_flow_control):
                self._bucket.acquire()
            window = write_window(opts.fence, write, self._cluster, key)  # after the rate limiter's wait
            with self._lock:
                self._counts[verb] += 1
            token = opts.observer.sending()
            try:
                answer = self._send(method, path, query, body, content_type, stream_timeout, window)
            except (urllib3.exceptions.HTTPError, OSError, ApiException) as exc:  # ApiException: TLS failures
                if window < self._timeouts(method, stream_timeout)[1] and _timed_out(exc):
                    opts.observer.cut_short(token)  # the fence's deadline, not the server's fault
                else:
                    opts.observer.no_answer(token, f"{type(exc).__name__}: {exc}")
                failure: Response | Exception = exc
                wait = full_jitter(attempt, opts.backoff_base, opts.backoff_cap, opts.random)
            except BaseException:
                opts.observer.cut_short(token)
                raise
            else:
                opts.observer.answered(token)
                if not self._flow_control and has_flow_control(answer.headers):
                    self._flow_control = True  # a plain flag write: racing writers agree
                if isinstance(answer, Stream):
                    return answer
                response = answer
                if response.status == 401 and not reauthenticated and self._recheck_credentials():
                    reauthenticated = True  # the token may have just expired: reload it, try once more
                    continue
                if response.status not in RETRYABLE_STATUSES or is_request_fault(response.status, response.json()):
                    return response
                failure = response
                asked = retry_after(response.headers, response.json())
                wait = (min(asked, opts.retry_after_cap) if asked is not None
                        else full_jitter(attempt, opts.backoff_base, opts.backoff_cap, opts.random))
            if attempt >= opts.max_retries:
                raise self._exhausted(failure, attempt + 1, key, kind)
            check_retry_wait(opts.fence, method in MUTATING_METHODS, wait, self._cluster, key)  # dry runs too
            attempt += 1
            with self._lock:
                self._retries += 1
            opts.sleep(wait)

    def _recheck_credentials(self) -> bool:
        """Make the next request re-check the token now; False when the client has no refresh hook."""
        force = getattr(self._client.configuration.refresh_api_key_hook, "force", None)
        if force is None:
            return False
        force()
        return True

    def _timeouts(self, method: str, stream_timeout: float | None) -> tuple[float, float]:
        """(connect, read) seconds of one attempt: reads get ``answer_timeout`` (a watch for its status
        line), writes ``read_timeout``."""
        opts = self._options
        read = opts.read_timeout if method in MUTATING_METHODS else min(opts.read_timeout, opts.answer_timeout)
        return opts.connect_timeout, read

    def _send(self, method: str, path: str, query: Sequence[tuple[str, str]], body: Any,
              content_type: str | None, stream_timeout: float | None = None,
              window: float = math.inf) -> Response | Stream:
        headers = {"Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        # The REST layer JSON-encodes dict bodies for JSON and for apply-patch+yaml alike
        # (JSON is YAML), so the apply body needs no YAML serializer.
        method_, url, header_params, data, _ = self._client.param_serialize(
            method, path, query_params=list(query) or None, header_params=headers,
            body=body, auth_settings=["BearerToken"])
        connect_timeout, read_timeout = self._timeouts(method, stream_timeout)
        # A write's attempt ends by the fence's deadline: no answer awaited (nor retry sent) past it.
        answer = self._client.call_api(
            method_, url, header_params, data,
            _request_timeout=(min(connect_timeout, window), min(read_timeout, window)))
        raw_response: Any = answer.response  # urllib3 HTTPResponse, body not read yet
        status = int(answer.status)
        if stream_timeout is not None and 200 <= status < 300:
            _set_read_timeout(raw_response, stream_timeout)  # the status line came: now each read of the stream
            return Stream(status, raw_response.headers, raw_response)
        try:
            raw = bytes(raw_response.data or b"")
        finally:
            raw_response.release_conn()
        return Response(status, raw_response.headers, raw)

    def _exhausted(self, failure: Response | Exception, attempts: int, key: object | None,
                   kind: KindRef | None) -> ClusterError:
        suffix = f" (gave up after {attempts} attempts)"
        if isinstance(failure, Response):
            error = error_for(failure.status, failure.headers, failure.raw, key=key, kind=kind,
                              cluster=self._cluster)
            error.message += suffix
            error.args = (error.message,)
            return error
        text = f"{type(failure).__name__}: {failure}"
        text = text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."
        return NoAnswer(f"cannot reach cluster {self._cluster}: {text}{suffix}", key=key)

    def counts(self) -> dict[str, int]:
        """HTTP requests sent per verb, retries included."""
        with self._lock:
            return dict(self._counts)

    @property
    def retries(self) -> int:
        """Attempts that were retries."""
        with self._lock:
            return self._retries

    @property
    def throttled_seconds(self) -> float:
        """Total seconds requests waited for the rate limiter."""
        return self._bucket.waited

    @property
    def rate_limit(self) -> float:
        """Requests per second the client holds itself to now (0: no client-side limit)."""
        if self._flow_control and self._options.defer_to_flow_control:
            return 0.0
        return max(0.0, self._options.qps)

    @property
    def server_flow_control(self) -> bool:
        """Whether the server has answered with API Priority and Fairness headers."""
        return self._flow_control

    def interrupt_when(self, stop: threading.Event, stream: Stream) -> None:
        """Interrupt ``stream`` (see ``Stream.interrupt``) soon after ``stop`` is set, until it is closed."""
        self._stopper.add(stop, stream)

    def close(self) -> None:
        """Close the pooled connections."""
        self._stopper.close()
        self._client.close()  # type: ignore[no-untyped-call]


def _timed_out(exc: BaseException) -> bool:
    """Whether a failed attempt ended by its own timeout (not a refused or reset connection)."""
    return isinstance(exc, urllib3.exceptions.TimeoutError | TimeoutError) or isinstance(
        getattr(exc, "reason", None), urllib3.exceptions.TimeoutError)


def _set_read_timeout(raw_response: Any, seconds: float) -> None:
    """Give the socket under a urllib3 response a new read timeout (the stream's, after its status line)."""
    sock = getattr(getattr(raw_response, "connection", None), "sock", None)
    if sock is not None:
        sock.settimeout(seconds)


def has_flow_control(headers: Mapping[str, str]) -> bool:
    """Whether an answer carries API Priority and Fairness headers (case-insensitive lookup)."""
    get = headers.get
    if any(get(name) for name in FLOW_CONTROL_HEADERS):
        return True
    # urllib3's HTTPHeaderDict is case-insensitive; a plain dict (tests, other transports) may not be.
    lowered = {name.lower() for name in FLOW_CONTROL_HEADERS}
    return any(str(name).lower() in lowered for name in headers)
