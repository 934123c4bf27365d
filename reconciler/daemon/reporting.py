"""What a finished reconcile tells the outside world: metrics and structured log lines.

Log lines carry the target identity (environment, cluster, revision) and, per changed object,
its ``Kind/ns/name`` (``reconciler.observability.logging`` field names).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from structlog.typing import FilteringBoundLogger

from reconciler.daemon.status import TargetState
from reconciler.daemon.worker import Outcome
from reconciler.engine import ChangeAction
from reconciler.observability.logging import object_fields
from reconciler.observability.metrics import Metrics
from reconciler.rollout.view import as_document


def report_outcome(metrics: Metrics, state: TargetState, outcome: Outcome, drifted: int | None,
                   shown_before: set[str]) -> None:
    """Every metric a finished reconcile updates (``state`` already holds its rows)."""
    env, cluster, result = state.environment, state.cluster, outcome.result
    metrics.reconcile_finished(env, cluster, outcome.seconds, ok=result.ok,
                               changes=Counter(c.action.value for c in result.changes))
    if result.ok and outcome.job.options.apply:
        metrics.revision_applied(env, cluster, outcome.job.desired.target.revision)
    if drifted is not None:
        metrics.drift_detected(env, cluster, drifted)
    if result.plan is not None:
        metrics.needing_replacement(env, cluster, len(result.plan.replacements))
    metrics.cluster_reachable(env, cluster, outcome.reachable is not False)
    for row in state.rows:
        metrics.component_health(env, cluster, row.component, row.health.status.value)
    for gone in shown_before - {row.component for row in state.rows}:
        metrics.forget(env, cluster, gone)  # e.g. the "*" row of an unreachable cluster once it answers
    metrics.api_requests(cluster, outcome.requests, source=env)
    metrics.api_retries(cluster, outcome.retries, source=env)
    metrics.throttled(cluster, outcome.throttled, source=env)
    if outcome.rate_limit is not None:
        metrics.rate_limit(cluster, outcome.rate_limit)
    metrics.rollouts(env, cluster, [as_document(view) for view in state.rollouts])


def log_outcome(log: FilteringBoundLogger, state: TargetState, outcome: Outcome, drifted: int | None) -> None:
    """One line per changed object, then one summary line (``log`` is bound to the target)."""
    result = outcome.result
    for change in result.changes:
        if change.action is ChangeAction.UNCHANGED:
            continue
        fields: dict[str, Any] = {**object_fields(change.key), "action": change.action.value}
        if change.message:
            fields["message"] = change.message
        warn = change.action in (ChangeAction.FAILED, ChangeAction.REFUSED)
        (log.warning if warn else log.info)("object " + change.action.value, **fields)
    counts = dict(Counter(c.action.value for c in result.changes))
    summary: dict[str, Any] = {"reason": outcome.job.reason, "seconds": round(outcome.seconds, 3),
                               "changes": counts, "drifted": drifted}
    if result.ok:
        log.info("reconciled", **summary)
    else:
        retry_in = None
        if state.next_retry is not None and state.last_reconcile is not None:
            retry_in = round((state.next_retry - state.last_reconcile).total_seconds(), 2)
        if result.permanent:
            log.error("reconcile refused: objects need replacement; waiting for a new commit", **summary,
                      error=result.error, spec_errors=state.spec_errors)
        else:
            log.error("reconcile failed", **summary, error=result.error, failures=state.failures, retry_in=retry_in)
