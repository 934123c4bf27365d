"""Send alerts without ever blocking the caller: one bounded queue and one background thread per provider.

``Notifier.notify(alert)`` returns at once: it asks the gate (dedupe, rate limit), then puts the
alert on each matching provider's queue; a full queue drops it. Each provider's thread POSTs,
and retries 429, 408, 5xx and connection errors with exponential backoff and full jitter
(Retry-After honoured, capped), so one slow or dead provider never delays another. What is
sent, failed or dropped is counted through ``NotifierMetrics``.
"""

from __future__ import annotations

import fnmatch
import queue
import random
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

import structlog
import urllib3

from reconciler.notify.alert import Alert
from reconciler.notify.gate import Gate, Verdict
from reconciler.notify.payloads import HttpRequest, request_for
from reconciler.notify.settings import ProviderSettings, Settings

log = structlog.get_logger("platformctl.notify")

RETRYABLE = frozenset({408, 429, 500, 502, 503, 504})
Post = Callable[[HttpRequest, float], tuple[int, dict[str, str]]]
"""Send one request (timeout in seconds): the HTTP status and headers; OSError/urllib3 errors when none came."""


class NotifierMetrics(Protocol):
    """What the notifier counts (``reconciler.observability.metrics.Metrics`` implements it)."""

    def notification_sent(self, provider: str, ok: bool) -> None:
        """One alert reached (``ok``) or finally failed to reach a provider."""
        ...

    def notification_dropped(self, provider: str, reason: str) -> None:
        """One alert not sent: ``deduplicated``, ``rate_limited``, ``queue_full`` or ``shutdown`` (still queued
        when the daemon stopped)."""
        ...


class _NoMetrics:
    def notification_sent(self, provider: str, ok: bool) -> None:
        pass

    def notification_dropped(self, provider: str, reason: str) -> None:
        pass


def urllib3_post() -> Post:
    """POST with urllib3: no redirects followed, no retries of its own (ours are the only ones)."""
    pool = urllib3.PoolManager(retries=False)

    def post(request: HttpRequest, timeout: float) -> tuple[int, dict[str, str]]:
        answer = pool.request("POST", request.url, body=request.body, headers=request.headers,
                              timeout=urllib3.Timeout(total=timeout), redirect=False, preload_content=True)
        return answer.status, dict(answer.headers)

    return post


class Notifier:
    """The alerts' way out: gate, queues and sender threads. ``start()`` before, ``stop()`` after use."""

    def __init__(self, settings: Settings, *, metrics: NotifierMetrics | None = None, post: Post | None = None,
                 clock: Callable[[], float] = time.monotonic, rand: Callable[[], float] = random.random) -> None:
        spec = settings.spec
        self._metrics = metrics or _NoMetrics()
        self._clock = clock
        self._gate = Gate(dedupe_window=spec.dedupe_window, limit=spec.rate_limit, window=spec.rate_window)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        post = post or urllib3_post()
        self._channels = [_Channel(p, spec.queue_size, post, self._stop, self._metrics, spec.retry.attempts,
                                   spec.retry.base, spec.retry.cap, rand) for p in settings.providers]

    def start(self) -> None:
        """Start every provider's thread."""
        for channel in self._channels:
            channel.start()

    def notify(self, alert: Alert) -> None:
        """Queue ``alert`` for every provider that takes it (never blocks; never raises)."""
        try:
            for channel in self._channels:
                if not channel.takes(alert):
                    continue
                with self._lock:
                    verdict = self._gate.admit(channel.name, alert, self._clock())
                if verdict is not Verdict.SEND:
                    self._metrics.notification_dropped(channel.name, verdict.value)
                    log.debug("alert not sent", provider=channel.name, reason=verdict.value, alert=alert.title())
                    continue
                channel.put(alert)
        except Exception:  # noqa: BLE001 - an alert must never fail what reported it
            log.exception("alert could not be queued", alert=alert.title())

    def stop(self, timeout: float = 5.0) -> None:
        """Give queued alerts up to ``timeout`` seconds, then stop the threads (a retry's wait is cut short)."""
        deadline = time.monotonic() + timeout
        for channel in self._channels:
            channel.drain(max(0.0, deadline - time.monotonic()))
        self._stop.set()
        for channel in self._channels:
            channel.join(max(0.1, deadline - time.monotonic()))
            for _left in range(channel.abandon()):
                self._metrics.notification_dropped(channel.name, "shutdown")


class _Channel:
    """One provider's queue and thread."""

    def __init__(self, provider: ProviderSettings, size: int, post: Post, stop: threading.Event,
                 metrics: NotifierMetrics, attempts: int, base: float, cap: float,
                 rand: Callable[[], float]) -> None:
        self.provider = provider
        self.name = provider.name
        self._queue: queue.Queue[Alert] = queue.Queue(maxsize=size)
        self._post = post
        self._stop = stop
        self._metrics = metrics
        self._attempts = attempts
        self._base = base
        self._cap = cap
        self._rand = rand
        self._thread = threading.Thread(target=self._loop, name=f"platformctl-notify-{self.name}", daemon=True)

    def takes(self, alert: Alert) -> bool:
        """Whether this provider wants the alert (its kind; its environment, when it has one)."""
        model = self.provider.model
        if alert.kind.value not in model.alerts:
            return False
        return not alert.environment or any(fnmatch.fnmatchcase(alert.environment, p) for p in model.environments)

    def start(self) -> None:
        self._thread.start()

    def put(self, alert: Alert) -> None:
        try:
            self._queue.put_nowait(alert)
        except queue.Full:
            self._metrics.notification_dropped(self.name, "queue_full")
            log.warning("notification queue full; alert dropped", provider=self.name, alert=alert.title())

    def drain(self, timeout: float) -> None:
        end = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < end and self._thread.is_alive():
            time.sleep(0.01)

    def abandon(self) -> int:
        """Empty the queue (after stopping); how many alerts were still in it."""
        left = 0
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                return left
            self._queue.task_done()
            left += 1

    def join(self, timeout: float) -> None:
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                alert = self._queue.get(timeout=0.1)
            except queue.Empty:
                continue
            try:
                self._deliver(alert)
            except Exception:  # noqa: BLE001 - the thread must outlive any one alert
                log.exception("notification failed", provider=self.name, alert=alert.title())
                self._metrics.notification_sent(self.name, False)
            finally:
                self._queue.task_done()

    def _deliver(self, alert: Alert) -> None:
        request = request_for(self.provider, alert, datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
        if request is None:
            return
        problem = ""
        for attempt in range(self._attempts):
            wait: float | None = None
            try:
                status, headers = self._post(request, self.provider.model.timeout)
            except Exception as exc:  # noqa: BLE001 - OSError and urllib3's: no answer
                problem = f"no answer: {type(exc).__name__}: {exc}"
            else:
                if 200 <= status < 300:
                    self._metrics.notification_sent(self.name, True)
                    log.info("alert sent", provider=self.name, alert=alert.title(), attempts=attempt + 1)
                    return
                problem = f"HTTP {status}"
                if status not in RETRYABLE:
                    break
                wait = _retry_after(headers)
            if attempt + 1 < self._attempts:
                delay = min(self._cap, wait if wait is not None else self._base * 2 ** attempt * self._rand())
                if self._stop.wait(delay):
                    break
        self._metrics.notification_sent(self.name, False)
        log.warning("alert not delivered", provider=self.name, alert=alert.title(), error=problem)


def _retry_after(headers: dict[str, str]) -> float | None:
    for name, value in headers.items():
        if name.lower() == "retry-after":
            try:
                return max(0.0, float(value))
            except ValueError:
                return None
    return None
