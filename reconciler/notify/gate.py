"""Whether an alert goes to a provider now: deduplication and rate limiting (pure; the caller passes the time).

Identical alerts (``Alert.dedupe_key``) within the dedupe window are sent once per provider; a
``recovered`` alert forgets what was sent about its subject, so a new failure after a recovery is
announced even with the same message. Each provider sends at most ``limit`` alerts per sliding
``window`` of seconds; the rest are dropped (the caller counts them).
"""

from __future__ import annotations

from collections import deque
from enum import StrEnum

from reconciler.notify.alert import Alert, AlertKind

MAX_REMEMBERED = 10_000
"""Dedupe keys kept per gate at most (the oldest are forgotten first)."""


class Verdict(StrEnum):
    """What the gate decided (the values are the metrics' ``reason`` label for the ones not sent)."""

    SEND = "send"
    DEDUPLICATED = "deduplicated"
    RATE_LIMITED = "rate_limited"


class Gate:
    """Dedupe and rate limit decisions for every provider (not thread-safe: the caller holds a lock)."""

    def __init__(self, *, dedupe_window: float, limit: int, window: float) -> None:
        self._dedupe_window = dedupe_window
        self._limit = limit
        self._window = window
        self._seen: dict[tuple[str, tuple[str, ...]], float] = {}  # (provider, key) -> when sent (insertion order)
        self._sent: dict[str, deque[float]] = {}  # provider -> send times within the window

    def admit(self, provider: str, alert: Alert, now: float) -> Verdict:
        """Decide for one alert and provider at time ``now`` (seconds, monotonic); SEND records it as sent."""
        self._expire(now)
        if alert.kind is AlertKind.RECOVERED:
            self._forget_subject(provider, alert)
        key = (provider, alert.dedupe_key())
        if key in self._seen:
            return Verdict.DEDUPLICATED
        times = self._sent.setdefault(provider, deque())
        while times and times[0] <= now - self._window:
            times.popleft()
        if len(times) >= self._limit:
            return Verdict.RATE_LIMITED
        times.append(now)
        self._seen[key] = now
        while len(self._seen) > MAX_REMEMBERED:
            del self._seen[next(iter(self._seen))]
        return Verdict.SEND

    def _expire(self, now: float) -> None:
        for key, when in list(self._seen.items()):
            if when > now - self._dedupe_window:
                break  # insertion order is time order
            del self._seen[key]

    def _forget_subject(self, provider: str, alert: Alert) -> None:
        for key in [k for k in self._seen if k[0] == provider and k[1][1:3] == (alert.environment, alert.cluster)]:
            del self._seen[key]
