"""Time for the daemon: a Clock (wall and monotonic) and a Scheduler of named deadlines.

Everything that waits in the daemon asks these, so tests drive time with ``ManualClock``
instead of sleeping.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Hashable
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Wall time for people and records, monotonic seconds for deadlines."""

    def now(self) -> datetime:
        """The current wall time, timezone-aware UTC."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (deadlines, lease expiry)."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """``datetime.now(UTC)``."""
        return datetime.now(UTC)

    def monotonic(self) -> float:
        """``time.monotonic()``."""
        return time.monotonic()


class ManualClock:
    """A clock that moves only when told (thread-safe); wall and monotonic time move together."""

    def __init__(self, start: datetime = datetime(2025, 1, 1, tzinfo=UTC)) -> None:
        self._start = start
        self._elapsed = 0.0
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """Start plus the time advanced so far."""
        with self._lock:
            return self._start + timedelta(seconds=self._elapsed)

    def monotonic(self) -> float:
        """Seconds advanced so far."""
        with self._lock:
            return self._elapsed

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        if seconds < 0:
            raise ValueError("time only moves forward")
        with self._lock:
            self._elapsed += seconds


class Scheduler:
    """Named deadlines on a Clock's monotonic time (thread-safe); the daemon's loop asks what is due."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._deadlines: dict[Hashable, float] = {}
        self._lock = threading.Lock()

    def at(self, key: Hashable, when: float) -> None:
        """Set (or move) the deadline ``key`` to monotonic time ``when``."""
        with self._lock:
            self._deadlines[key] = when

    def after(self, key: Hashable, delay: float) -> None:
        """Set the deadline ``key`` to ``delay`` seconds from now."""
        self.at(key, self.clock.monotonic() + delay)

    def earliest(self, key: Hashable, delay: float) -> None:
        """Set ``key`` to ``delay`` from now unless it is already due sooner."""
        when = self.clock.monotonic() + delay
        with self._lock:
            current = self._deadlines.get(key)
            if current is None or when < current:
                self._deadlines[key] = when

    def cancel(self, key: Hashable) -> None:
        """Forget a deadline."""
        with self._lock:
            self._deadlines.pop(key, None)

    def when(self, key: Hashable) -> float | None:
        """The deadline of ``key`` (None when unset)."""
        with self._lock:
            return self._deadlines.get(key)

    def due(self, key: Hashable) -> bool:
        """Whether ``key`` is set and its time has come."""
        when = self.when(key)
        return when is not None and when <= self.clock.monotonic()

    def pop_due(self, key: Hashable) -> bool:
        """Like ``due``, and clear the deadline when it is."""
        now = self.clock.monotonic()
        with self._lock:
            when = self._deadlines.get(key)
            if when is None or when > now:
                return False
            del self._deadlines[key]
            return True

    def next_in(self) -> float | None:
        """Seconds until the earliest deadline (0 when one is overdue; None when none is set)."""
        with self._lock:
            if not self._deadlines:
                return None
            earliest = min(self._deadlines.values())
        return max(0.0, earliest - self.clock.monotonic())
