"""What a finished job leaves in its target's state: the revision applied or the error, the next
retry or drift check, the status rows; then the metrics and log lines (``reporting``)."""

from __future__ import annotations

from datetime import timedelta

import structlog

from reconciler.component_status import object_health
from reconciler.daemon.clock import Clock
from reconciler.daemon.deadlines import TargetDeadlines
from reconciler.daemon.reporting import log_outcome, report_outcome
from reconciler.daemon.revisions import TargetKey
from reconciler.daemon.status import TargetState, rows_after
from reconciler.daemon.worker import Outcome
from reconciler.observability.logging import target_fields
from reconciler.observability.metrics import Metrics

log = structlog.get_logger("platformctl.daemon")


class OutcomeRecorder:
    """Writes a worker's outcome into its target's state (called holding the condition)."""

    def __init__(self, *, clock: Clock, deadlines: TargetDeadlines, metrics: Metrics) -> None:
        self._clock = clock
        self._deadlines = deadlines
        self._metrics = metrics

    def record(self, key: TargetKey, state: TargetState, outcome: Outcome) -> None:
        """Update ``state`` (of target ``key``) after ``outcome``, arm its next deadline, report it."""
        job, result = outcome.job, outcome.result
        revision = job.desired.target.revision
        bound = log.bind(**target_fields(environment=state.environment, cluster=state.cluster, revision=revision))
        state.applying = None  # the apply is over, one way or the other
        if outcome.refused:
            state.error, state.submitted = f"abandoned: {result.error}", None
            bound.warning("reconcile abandoned", reason=job.reason, error=result.error)
            return
        now = self._clock.now()
        shown_before = {row.component for row in state.rows}
        state.attempted, state.last_reconcile, state.last_result = revision, now, result
        state.reachable, state.last_seen = outcome.reachable, outcome.last_seen or state.last_seen
        if result.ok:
            if job.options.apply:
                state.applied, state.last_success = revision, now
            state.error, state.failures, state.blocked, state.spec_errors = None, 0, None, []
            self._deadlines.succeeded(key)
        elif result.permanent:
            # An object needs replacement: retrying this revision can only fail the same way, so the
            # target waits for the next commit (no backoff retries, no drift checks until then).
            state.error, state.failures, state.blocked = result.error, state.failures + 1, revision
            state.spec_errors = list(outcome.located)
            self._deadlines.blocked(key)
        else:
            state.error = result.error
            state.failures += 1
            delay = self._deadlines.failed(key, state.failures)
            state.next_retry = now + timedelta(seconds=delay)
        if job.options.apply and (outcome.rollouts or result.ok):  # a report-only drift check moves no rollout
            state.rollouts = list(outcome.rollouts)
        wakes = [v.wake_in for v in state.rollouts if v.wake_in is not None]
        self._deadlines.rollouts(key, min(wakes) if wakes else None)
        state.objects = object_health(result)
        state.rows = rows_after(result, applied=job.options.apply, reachable=outcome.reachable,
                                last_seen=state.last_seen, health=state.objects)
        drifted = len(result.plan.writes) if job.reason == "drift" and result.plan is not None else None
        if drifted is not None:
            state.drifted = drifted
        report_outcome(self._metrics, state, outcome, drifted, shown_before)
        log_outcome(bound, state, outcome, drifted)
