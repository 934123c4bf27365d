"""Each target's ``Reachability``, the thread that marks silent ones overdue (and probes idle ones),
and what a flip changes at once: the target's state, ``platformctl_cluster_up``, its retry."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable

import structlog

from reconciler.daemon.clock import Clock
from reconciler.daemon.deadlines import TargetDeadlines
from reconciler.daemon.reach import Probe, Reachability, watch_overdue
from reconciler.daemon.revisions import TargetKey
from reconciler.daemon.status import TargetState, shown_rows
from reconciler.observability.metrics import Metrics

log = structlog.get_logger("platformctl.daemon")


class TargetReachability:
    """Whether each target's cluster answers (``track``/``forget`` are called holding the condition)."""

    def __init__(self, *, clock: Clock, condition: threading.Condition, metrics: Metrics,
                 deadlines: TargetDeadlines, states: dict[TargetKey, TargetState],
                 probe: Callable[[TargetKey], Probe | None], answer_timeout: float, stop: threading.Event,
                 wake: threading.Event) -> None:
        self._clock = clock
        self._cond = condition
        self._metrics = metrics
        self._deadlines = deadlines
        self._states = states
        self._probe = probe
        self._answer_timeout = answer_timeout
        self._stop = stop
        self._wake = wake
        self._reach: dict[TargetKey, Reachability] = {}
        self._overdue: threading.Thread | None = None

    def track(self, key: TargetKey) -> Reachability:
        """A new target's tracker (the overdue thread starts with the first one)."""
        reach = self._reach[key] = Reachability(self._clock, functools.partial(self._changed, key))
        if self._overdue is None:
            self._overdue = watch_overdue(self._trackers, self._answer_timeout, self._stop)
        return reach

    def get(self, key: TargetKey) -> Reachability | None:
        """The tracker of ``key`` (None when it is not managed)."""
        return self._reach.get(key)

    def forget(self, key: TargetKey) -> None:
        """A target left the spec."""
        self._reach.pop(key, None)

    def _trackers(self) -> list[tuple[Reachability, Probe | None]]:
        """Each target's tracker with the probe its worker's client offers (None before it connected)."""
        with self._cond:
            return [(reach, self._probe(key)) for key, reach in self._reach.items()]

    def _changed(self, key: TargetKey, _reachable: bool) -> None:
        """A client of ``key`` got an answer after none, or none after answers (any thread): shown at once
        on the status page and in ``platformctl_cluster_up``, even while a reconcile is still hung."""
        with self._cond:
            state, reach = self._states.get(key), self._reach.get(key)
            if state is None or reach is None:
                return
            up, before = reach.reachable, state.reachable  # read again: flips are told outside the tracker's lock
            if up is None or up == before:
                return
            state.reachable, state.last_seen = up, reach.last_seen or state.last_seen
            self._metrics.cluster_reachable(*key, up)
            for row in shown_rows(state):
                self._metrics.component_health(*key, row.component, row.health.status.value)
            if up and before is False:
                log.info("cluster answers again", environment=key[0], cluster=key[1])
            elif not up:
                log.warning("cluster unreachable", environment=key[0], cluster=key[1], error=reach.error,
                            last_seen=str(state.last_seen))
            if up:
                self._deadlines.answers_again(key)  # retry now, not after the backoff
            self._cond.notify_all()
        if up:
            self._wake.set()
