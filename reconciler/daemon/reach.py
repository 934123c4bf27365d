"""Whether one target's cluster answers, from every signal: the worker's requests and the drift watches.

Each client of the target (the worker's, the watches') reports every attempt here (it is their
``AnswerObserver``): any HTTP answer makes the cluster reachable, a refused, reset or timed-out
attempt makes it unreachable, at once, even while a reconcile is still waiting on its retries.
The daemon is told only when the verdict flips, so a busy cluster costs a lock per request, not a
status update.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

from reconciler.daemon.clock import Clock


class Reachability:
    """The last verdict on one cluster and when it last answered (thread-safe)."""

    def __init__(self, clock: Clock, on_change: Callable[[bool], None] | None = None) -> None:
        self._clock = clock
        self._on_change = on_change
        self._lock = threading.Lock()
        self._reachable: bool | None = None
        self._last_seen: datetime | None = None
        self._error: str | None = None

    @property
    def reachable(self) -> bool | None:
        """None before any signal; then whether the latest attempt got an answer."""
        with self._lock:
            return self._reachable

    @property
    def last_seen(self) -> datetime | None:
        """When the cluster last answered."""
        with self._lock:
            return self._last_seen

    @property
    def error(self) -> str | None:
        """Why the latest attempt got no answer (None while reachable)."""
        with self._lock:
            return self._error

    def answered(self) -> None:
        """The cluster answered (any HTTP status)."""
        now = self._clock.now()
        with self._lock:
            flipped = self._reachable is not True
            self._reachable, self._last_seen, self._error = True, now, None
        if flipped:
            self._tell(True)

    def no_answer(self, error: str) -> None:
        """An attempt got no answer (refused, reset, timed out)."""
        with self._lock:
            flipped = self._reachable is not False
            self._reachable, self._error = False, error
        if flipped:
            self._tell(False)

    def _tell(self, reachable: bool) -> None:
        if self._on_change is not None:
            self._on_change(reachable)
