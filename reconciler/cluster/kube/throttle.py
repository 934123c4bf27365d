"""Client-side rate limiting (a token bucket) and retry backoff (full jitter), with injectable time."""

from __future__ import annotations

import threading
from collections.abc import Callable


class TokenBucket:
    """A thread-safe token bucket: ``qps`` tokens a second, at most ``burst`` saved up.

    ``acquire`` reserves a token under the lock and sleeps outside it, so concurrent callers
    queue in order and the long-run rate never exceeds ``qps`` (client-go's flowcontrol does
    the same). A ``qps`` of 0 or less disables the limit.
    """

    def __init__(self, qps: float, burst: int, *, clock: Callable[[], float],
                 sleep: Callable[[float], None]) -> None:
        self._qps = qps
        self._burst = max(1, burst)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = float(self._burst)
        self._last = clock()
        self._waited = 0.0

    def acquire(self) -> float:
        """Take one token, sleeping until it is due; returns the seconds waited."""
        if self._qps <= 0:
            return 0.0
        with self._lock:
            now = self._clock()
            self._tokens = min(float(self._burst), self._tokens + (now - self._last) * self._qps)
            self._last = now
            self._tokens -= 1.0
            wait = -self._tokens / self._qps if self._tokens < 0 else 0.0
            self._waited += wait
        if wait > 0:
            self._sleep(wait)
        return wait

    @property
    def waited(self) -> float:
        """Total seconds callers were made to wait so far."""
        with self._lock:
            return self._waited


def full_jitter(attempt: int, base: float, cap: float, rand: Callable[[], float]) -> float:
    """Delay before retry ``attempt`` (0-based): uniform in [0, min(cap, base * 2**attempt)].

    Full jitter spreads the retries of many workers hitting the same failing server
    (AWS architecture blog, "Exponential Backoff And Jitter").
    """
    return rand() * min(cap, base * (1 << min(attempt, 32)))
