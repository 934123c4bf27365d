"""Which alerts a change of a target's (or the source's) state produces. Pure: views in, alerts out.

A target is *troubled* after a failed reconcile or while a component is Degraded or Missing.
Each finished reconcile compares the view before with the view after:

- ``sync-failed``: the reconcile failed (or was refused: an object needs replacement);
- ``degraded``: after a successful reconcile, a component turned Degraded or Missing (it was something
  else, or new); a failed reconcile announces the failure, not the rows it leaves Missing;
- ``drift``: a drift check found objects that differ from Git;
- ``recovered``: the target was troubled and is not any more.

The source: each rejected commit is ``revision-rejected``; the next good load after one is
``recovered``. Repeats are left to the notifier's dedupe window.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from reconciler.daemon.status import SourceState, TargetState
from reconciler.notify.alert import Alert, AlertKind

BAD = ("Degraded", "Missing")
MAX_DETAILS = 20


@dataclass(frozen=True)
class TargetView:
    """What alerts compare of a target: whether it was reconciled, succeeded, and each component's health."""

    reconciled: bool = False
    ok: bool = True
    health: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    """component -> (status, message)."""

    @property
    def troubled(self) -> bool:
        """Failed, or a component Degraded or Missing."""
        return self.reconciled and (not self.ok or any(s in BAD for s, _m in self.health.values()))


def view(state: TargetState) -> TargetView:
    """The view of a target's state now."""
    if state.last_result is None:
        return TargetView()
    return TargetView(True, state.error is None,
                      {r.component: (r.health.status.value, r.health.message) for r in state.rows})


def outcome_alerts(before: TargetView, after: TargetView, *, environment: str, cluster: str, revision: str,
                   error: str | None = None, drifted: int | None = None,
                   problems: Sequence[str] = ()) -> list[Alert]:
    """The alerts of one finished reconcile of ``environment`` on ``cluster`` at ``revision``."""
    def alert(kind: AlertKind, message: str, component: str = "", details: Sequence[str] = ()) -> Alert:
        return Alert(kind, message, revision, environment, cluster, component, tuple(details[:MAX_DETAILS]))

    alerts: list[Alert] = []
    if not after.ok:
        alerts.append(alert(AlertKind.SYNC_FAILED, f"reconcile of {environment} on {cluster} failed: {error}",
                            details=problems))
    for component, (status, message) in after.health.items() if after.ok else ():
        if status in BAD and before.health.get(component, ("", ""))[0] != status:
            alerts.append(alert(AlertKind.DEGRADED, f"{component} is {status}" + (f": {message}" if message else ""),
                                component))
    if drifted:
        alerts.append(alert(AlertKind.DRIFT, f"{drifted} object(s) on {cluster} differed from Git", details=problems))
    if before.troubled and not after.troubled and after.reconciled:
        alerts.append(alert(AlertKind.RECOVERED, f"{environment} on {cluster} is synced and healthy again"))
    return alerts


def rejected_alert(source: SourceState) -> Alert:
    """A commit of the tracked branch was rejected (``source.rejected`` is set)."""
    running = (source.good or "nothing")[:12]
    return Alert(AlertKind.REVISION_REJECTED,
                 f"revision {(source.rejected or '')[:12]} of {source.branch} rejected ({source.stage}); "
                 f"still running {running}", revision=source.rejected,
                 details=tuple(source.errors[:MAX_DETAILS]))


def source_recovered(source: SourceState) -> Alert:
    """A good revision loaded after a rejected one."""
    return Alert(AlertKind.RECOVERED, f"revision {(source.good or '')[:12]} of {source.branch} loaded",
                 revision=source.good)
