"""What the daemon tells people and clusters: alerts to the notifier, Kubernetes Events to each target's cluster.

Called holding the daemon's condition, so it only decides and queues: the ``Notifier`` and each
cluster's Event recorder send on their own threads, bounded, and nothing here ever raises into
the loop. Events go through a client of their own per target (its own rate limit and pool, opened
on the recorder's thread), so they never take a reconcile's turn; a directory cluster records none.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import structlog

from reconciler.cluster.eventnote import EventNote, EventRecorder, NullRecorder
from reconciler.cluster.events import recorder_for
from reconciler.daemon.alerts import TargetView, outcome_alerts, rejected_alert, source_recovered, view
from reconciler.daemon.eventnotes import outcome_notes, rejected_notes
from reconciler.daemon.revisions import Desired, TargetKey
from reconciler.daemon.status import SourceState, TargetState
from reconciler.daemon.worker import Connect, Outcome
from reconciler.engine import ChangeAction
from reconciler.notify.alert import Alert
from reconciler.notify.sender import Notifier
from reconciler.observability.metrics import Metrics
from reconciler.spec.models import Cluster as ClusterSpec

log = structlog.get_logger("platformctl.daemon")

CLOSE_GRACE = 5.0
"""Seconds a shutdown waits for queued Events (per cluster) and alerts."""


class Announcer:
    """Alerts and Events of the daemon's targets; each part optional (None: off)."""

    def __init__(self, *, metrics: Metrics, notifier: Notifier | None = None, events: Connect | None = None,
                 instance: str = "platformctl") -> None:
        self._metrics = metrics
        self._notifier = notifier
        self._connect = events
        self._instance = instance
        self._recorders: dict[TargetKey, tuple[ClusterSpec, EventRecorder]] = {}

    def outcome(self, key: TargetKey, before: TargetView, state: TargetState, outcome: Outcome) -> None:
        """A finished reconcile of ``key`` (``state`` already updated; ``before`` its view before)."""
        if outcome.refused:
            return
        try:
            job, result = outcome.job, outcome.result
            drifted = None
            problems = [f"{c.key}: {c.message}" if c.message else str(c.key) for c in result.changes
                        if c.action in (ChangeAction.FAILED, ChangeAction.REFUSED)] + list(state.spec_errors)
            if job.reason == "drift" and result.plan is not None and result.plan.writes:
                drifted = len(result.plan.writes)
                problems = problems or [str(e.key) for e in result.plan.writes]
            for alert in outcome_alerts(before, view(state), environment=key[0], cluster=key[1],
                                        revision=job.desired.target.revision, error=result.error,
                                        drifted=drifted, problems=problems):
                self._alert(alert)
            if job.options.apply:
                self._record(key, job.desired.cluster, outcome_notes(outcome))
        except Exception:  # noqa: BLE001 - announcing must never fail the loop
            log.exception("announcing a reconcile failed", environment=key[0], cluster=key[1])

    def rejected(self, source: SourceState, desired: Mapping[TargetKey, Desired]) -> None:
        """The branch's head was rejected; ``desired``: the targets of the revision still running."""
        try:
            self._alert(rejected_alert(source))
            for target, note in rejected_notes(source, desired.values()):
                key = (target.target.environment, target.cluster.name)
                self._record(key, target.cluster, [note])
        except Exception:  # noqa: BLE001
            log.exception("announcing a rejected revision failed")

    def source_recovered(self, source: SourceState) -> None:
        """A good revision loaded after a rejected one."""
        self._alert(source_recovered(source))

    def forget(self, key: TargetKey, grace: float = 0.0) -> None:
        """A target left the spec: close its Event recorder (after up to ``grace`` seconds for its queue)."""
        held = self._recorders.pop(key, None)
        if held is not None:
            held[1].close(grace)

    def close(self, grace: float = CLOSE_GRACE) -> None:
        """Stop every recorder and the notifier, queued Events and alerts given up to ``grace`` seconds in all
        (``run --once`` ends right after its reconciles: what they announced still goes out)."""
        deadline = time.monotonic() + grace
        for key in list(self._recorders):
            self.forget(key, max(0.0, deadline - time.monotonic()))
        if self._notifier is not None:
            self._notifier.stop(max(0.1, deadline - time.monotonic()))

    def _alert(self, alert: Alert) -> None:
        if self._notifier is not None:
            self._notifier.notify(alert)

    def _record(self, key: TargetKey, spec: ClusterSpec, notes: list[EventNote]) -> None:
        if self._connect is None or not notes:
            return
        held = self._recorders.get(key)
        if held is None or held[0] != spec:
            self.forget(key)
            held = (spec, self._open(key, spec))
            self._recorders[key] = held
        held[1].record(notes)

    def _open(self, key: TargetKey, spec: ClusterSpec) -> EventRecorder:
        connect = self._connect
        assert connect is not None
        if spec.directory is not None:
            return NullRecorder()  # a directory has nowhere to record Events
        cluster = key[1]
        return recorder_for(lambda: connect(spec), instance=self._instance, name=cluster,
                            on_result=lambda result: self._metrics.event_recorded(cluster, result))

