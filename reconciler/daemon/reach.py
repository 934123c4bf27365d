"""Whether one target's cluster answers, from every signal: the worker's requests and the drift watches.

Each client of the target (the worker's, the watches') reports every attempt here (it is their
``AnswerObserver``): any HTTP answer makes the cluster reachable, a refused, reset or timed-out
attempt makes it unreachable, at once, even while a reconcile is still waiting on its retries.
Attempts still waiting are remembered with their start, so ``overdue`` (called periodically by
the daemon) marks the cluster unreachable while one waits longer than the read deadline (a write
may wait 30 s for its answer). The daemon is told only when the verdict flips, so a busy cluster
costs a lock per request, not a status update.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from datetime import datetime

from reconciler.daemon.clock import Clock


class Reachability:
    """The last verdict on one cluster and when it last answered (thread-safe)."""

    def __init__(self, clock: Clock, on_change: Callable[[bool], None] | None = None, *,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._on_change = on_change
        self._monotonic = monotonic  # request durations are real time, whatever the daemon's clock
        self._lock = threading.Lock()
        self._tokens = itertools.count(1)
        self._waiting: dict[int, float] = {}  # attempt -> when it was sent
        self._last_signal = monotonic()  # an attempt sent, answered or not
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

    def sending(self) -> int:
        """An attempt is being sent; its token."""
        token = next(self._tokens)
        with self._lock:
            self._waiting[token] = self._last_signal = self._monotonic()
        return token

    def quiet_for(self) -> float:
        """Seconds since the last attempt was sent or ended (0 while one is waiting: it will tell)."""
        with self._lock:
            return 0.0 if self._waiting else self._monotonic() - self._last_signal

    def cut_short(self, attempt: int) -> None:
        """The client stopped waiting for its own reasons: no verdict."""
        with self._lock:
            self._waiting.pop(attempt, None)

    def overdue(self, limit: float) -> None:
        """Unreachable when an attempt has waited ``limit`` seconds or more without an answer."""
        now = self._monotonic()
        with self._lock:
            oldest = min(self._waiting.values(), default=now)
        if now - oldest >= limit:
            self._unanswered(f"no answer for {now - oldest:.1f}s")

    def answered(self, attempt: int = 0) -> None:
        """The cluster answered (any HTTP status); ``attempt``: its token, 0 for a request not tracked."""
        now = self._clock.now()
        with self._lock:
            self._waiting.pop(attempt, None)
            self._last_signal = self._monotonic()
            flipped = self._reachable is not True
            self._reachable, self._last_seen, self._error = True, now, None
        if flipped:
            self._tell(True)

    def no_answer(self, attempt: int, error: str) -> None:
        """An attempt got no answer (refused, reset, timed out); ``attempt`` 0: not tracked."""
        with self._lock:
            self._waiting.pop(attempt, None)
            self._last_signal = self._monotonic()
        self._unanswered(error)

    def _unanswered(self, error: str) -> None:
        with self._lock:
            flipped = self._reachable is not False
            self._reachable, self._error = False, error
        if flipped:
            self._tell(False)

    def _tell(self, reachable: bool) -> None:
        if self._on_change is not None:
            self._on_change(reachable)


Probe = Callable[[], object]
"""One cheap request to a cluster through the client whose observer is the target's tracker."""


class IdleProbe:
    """Asks a quiet cluster whether it still answers: an idle daemon (no reconcile, watches silent)
    would otherwise learn that a cluster hung only when a watch's long timeout ends. A target whose
    tracker heard nothing for ``interval`` seconds gets one probe, on a thread of its own (a hung
    probe must not hold up the others); its verdict reaches the tracker like any request's."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._lock = threading.Lock()
        self._in_flight: set[int] = set()

    def tick(self, targets: list[tuple[Reachability, Probe | None]]) -> None:
        """Probe each target quiet for ``interval`` seconds that has no probe in flight."""
        for reach, probe in targets:
            if probe is None or reach.quiet_for() < self.interval:
                continue
            with self._lock:
                if id(reach) in self._in_flight:
                    continue
                self._in_flight.add(id(reach))
            threading.Thread(target=self._run, args=(reach, probe), name="platformctl-probe", daemon=True).start()

    def _run(self, reach: Reachability, probe: Probe) -> None:
        try:
            probe()
        except Exception:  # noqa: BLE001 - the tracker has the verdict; a probe's error is no news
            pass
        finally:
            with self._lock:
                self._in_flight.discard(id(reach))


def watch_overdue(targets: Callable[[], list[tuple[Reachability, Probe | None]]], limit: float,
                  stop: threading.Event, probe_interval: float | None = None) -> threading.Thread:
    """Start a thread that, until ``stop``, checks every target for attempts waiting past ``limit``
    seconds, twice per ``limit`` (at most every second): a hung write shows within the read deadline;
    and probes targets quiet for ``probe_interval`` (default ``limit``) seconds, so a cluster that
    hangs while the daemon is idle shows within ``probe_interval + limit``."""
    prober = IdleProbe(limit if probe_interval is None else probe_interval)

    def run() -> None:
        while not stop.wait(min(1.0, limit / 2)):
            current = targets()
            for reach, _probe in current:
                reach.overdue(limit)
            prober.tick(current)

    thread = threading.Thread(target=run, name="platformctl-overdue", daemon=True)
    thread.start()
    return thread
