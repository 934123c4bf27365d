"""One HTTP request to an API server through the official client: throttled, retried, counted.

Requests go through ``ApiClient.param_serialize`` + ``call_api`` (auth, TLS, token refresh by
the client) and the body is read raw: JSON in, JSON out, no model classes. ``Transport.stream``
sends a GET the same way but leaves a 2xx body on the wire (``Stream``) for watches.
"""

from __future__ import annotations

import http.client
import threading
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import urllib3
from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException

from reconciler.cluster.base import KindRef
from reconciler.cluster.kube_errors import MAX_MESSAGE, RETRYABLE_STATUSES, error_for, parse_body, retry_after
from reconciler.cluster.kube_options import KubeOptions
from reconciler.cluster.throttle import TokenBucket, full_jitter
from reconciler.errors import ClusterError, Unavailable

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


class Stream:
    """A 2xx answer whose body is read as it arrives (a watch); ``close`` it when done.

    ``chunks`` yields the body's bytes and ends, without raising, when the body ends, when the
    connection drops or a read times out, or after ``interrupt`` (``dropped`` tells which).
    """

    def __init__(self, status: int, headers: Mapping[str, str], response: Any) -> None:
        self.status = status
        self.headers = headers
        self.dropped = False
        """The body did not end with its last chunk: connection cut, read timeout, or interrupted."""
        self._response = response  # urllib3 HTTPResponse, preload_content=False
        self._lock = threading.Lock()
        self._closed = False

    def chunks(self) -> Iterator[bytes]:
        """The body as it arrives, in the server's chunks (not split into lines)."""
        response = self._response
        try:
            if response.chunked and response.supports_chunked_reads():
                yield from response.read_chunked(None, decode_content=True)
            else:
                while chunk := response.read1(STREAM_READ_SIZE):
                    yield chunk
        except (urllib3.exceptions.HTTPError, OSError, http.client.HTTPException):
            # urllib3 has closed the connection (its error catcher); the caller resumes elsewhere.
            self.dropped = True

    def interrupt(self) -> None:
        """From another thread: end a blocked read now; ``chunks`` then ends (``dropped``).

        urllib3's ``HTTPResponse.shutdown`` shuts the read side of the socket, which wakes a
        ``recv`` blocked in another thread. It refuses once the body has ended and urllib3 has put
        the connection back in the pool. Its check and the shutdown are not atomic: in a window
        of a few instructions right at the end of a body, a connection just pooled could be cut;
        the request that took it then fails as a connection error and is retried like any other.
        """
        with self._lock:
            if self._closed:
                return
            try:
                self._response.shutdown()
            except (ValueError, RuntimeError, OSError):
                pass  # already released, or the socket is already gone

    @property
    def closed(self) -> bool:
        """Whether ``close`` was called."""
        return self._closed

    def close(self) -> None:
        """Close the connection unless the body was read to its end (urllib3 then pooled it)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._response.close()  # unread data would poison a pooled connection
        self._response.release_conn()


STREAM_READ_SIZE = 65536


class Stopper:
    """Interrupts streams whose ``stop`` Event is set, from one daemon thread per Transport.

    An Event cannot be waited on together with others, so while streams are registered the
    thread checks their Events every ``poll`` seconds (a few attribute reads); with none it
    sleeps until one is added. A stream is forgotten once stopped or closed.
    """

    def __init__(self, poll: float = 0.1) -> None:
        self._poll = poll
        self._cond = threading.Condition()
        self._watched: list[tuple[threading.Event, Stream]] = []
        self._thread: threading.Thread | None = None
        self._closed = False

    def add(self, stop: threading.Event, stream: Stream) -> None:
        """Interrupt ``stream`` soon after ``stop`` is set (at once if it already is)."""
        with self._cond:
            if self._closed:
                return
            self._watched.append((stop, stream))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="kube-watch-stopper", daemon=True)
                self._thread.start()
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                if self._closed:
                    return
                due = [stream for stop, stream in self._watched if stop.is_set() and not stream.closed]
                self._watched = [(stop, stream) for stop, stream in self._watched
                                 if not stop.is_set() and not stream.closed]
            for stream in due:
                stream.interrupt()
            with self._cond:
                if not self._closed:
                    self._cond.wait(self._poll if self._watched else None)

    def close(self) -> None:
        """End the thread (streams still open are not interrupted)."""
        with self._cond:
            self._closed = True
            self._cond.notify()


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

    def _exchange(self, method: str, path: str, verb: str, query: Sequence[tuple[str, str]], body: Any,
                  content_type: str | None, key: object | None, kind: KindRef | None, *,
                  stream_timeout: float | None) -> Response | Stream:
        opts = self._options
        attempt = 0
        reauthenticated = False
        while True:
            if not (self._flow_control and opts.defer_to_flow_control):
                self._bucket.acquire()
            with self._lock:
                self._counts[verb] += 1
            try:
                answer = self._send(method, path, query, body, content_type, stream_timeout)
            except (urllib3.exceptions.HTTPError, OSError, ApiException) as exc:  # ApiException: TLS failures
                failure: Response | Exception = exc
                wait = full_jitter(attempt, opts.backoff_base, opts.backoff_cap, opts.random)
            else:
                if not self._flow_control and has_flow_control(answer.headers):
                    self._flow_control = True  # a plain flag write: racing writers agree
                if isinstance(answer, Stream):
                    return answer
                response = answer
                if response.status == 401 and not reauthenticated and self._recheck_credentials():
                    reauthenticated = True  # the token may have just expired: reload it, try once more
                    continue
                if response.status not in RETRYABLE_STATUSES:
                    return response
                failure = response
                asked = retry_after(response.headers, response.json())
                wait = (min(asked, opts.retry_after_cap) if asked is not None
                        else full_jitter(attempt, opts.backoff_base, opts.backoff_cap, opts.random))
            if attempt >= opts.max_retries:
                raise self._exhausted(failure, attempt + 1, key, kind)
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

    def _send(self, method: str, path: str, query: Sequence[tuple[str, str]], body: Any,
              content_type: str | None, stream_timeout: float | None = None) -> Response | Stream:
        headers = {"Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        # The REST layer JSON-encodes dict bodies for JSON and for apply-patch+yaml alike
        # (JSON is YAML), so the apply body needs no YAML serializer.
        method_, url, header_params, data, _ = self._client.param_serialize(
            method, path, query_params=list(query) or None, header_params=headers,
            body=body, auth_settings=["BearerToken"])
        read_timeout = self._options.read_timeout if stream_timeout is None else stream_timeout
        answer = self._client.call_api(
            method_, url, header_params, data,
            _request_timeout=(self._options.connect_timeout, read_timeout))
        raw_response: Any = answer.response  # urllib3 HTTPResponse, body not read yet
        status = int(answer.status)
        if stream_timeout is not None and 200 <= status < 300:
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
        return Unavailable(f"cannot reach cluster {self._cluster}: {text}{suffix}", key=key)

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


def has_flow_control(headers: Mapping[str, str]) -> bool:
    """Whether an answer carries API Priority and Fairness headers (case-insensitive lookup)."""
    get = headers.get
    if any(get(name) for name in FLOW_CONTROL_HEADERS):
        return True
    # urllib3's HTTPHeaderDict is case-insensitive; a plain dict (tests, other transports) may not be.
    lowered = {name.lower() for name in FLOW_CONTROL_HEADERS}
    return any(str(name).lower() in lowered for name in headers)
