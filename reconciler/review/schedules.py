"""Schedules whose next fire times change between two revisions (pure).

Both sides are computed from the same reference instant, in each side's KFP time zone, with
``render.calendar.upcoming``, so a changed cron, interval, start time, time zone or ``enabled``
flag shows as the runs it moves.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from reconciler.render.calendar import upcoming
from reconciler.spec.document import Spec
from reconciler.spec.models import ScheduleSpec

NEXT_RUNS = 3


@dataclass(frozen=True, slots=True)
class ScheduleSide:
    """A schedule's trigger and next runs on one side."""

    trigger: str
    times: tuple[datetime, ...]
    note: str = ""


@dataclass(frozen=True, slots=True)
class ScheduleMove:
    """One schedule of one environment whose runs move (None: absent on that side)."""

    environment: str
    schedule: str
    before: ScheduleSide | None
    after: ScheduleSide | None


def schedule_moves(base: Spec | None, head: Spec | None, environment: str, now: datetime,
                   count: int = NEXT_RUNS) -> list[ScheduleMove]:
    """Schedules of ``environment`` whose trigger or next ``count`` runs differ, by name.

    Only schedules whose resolved spec or time zone differ are computed: equal inputs give equal times.
    """
    changed = _changed(base, head, environment)
    old = _sides(base, environment, now, count, changed)
    new = _sides(head, environment, now, count, changed)
    return [ScheduleMove(environment, name, old.get(name), new.get(name))
            for name in sorted(set(old) | set(new)) if old.get(name) != new.get(name)]


def _changed(base: Spec | None, head: Spec | None, environment: str) -> set[str]:
    """References of schedules that differ between the sides (added, removed or changed)."""
    views = [spec.environments.get(environment) if spec else None for spec in (base, head)]
    specs = [{ref: item.spec for ref, item in view.components.items() if isinstance(item.spec, ScheduleSpec)}
             if view else {} for view in views]
    zones = {view.model.spec.kfp.schedule_time_zone if view else None for view in views}
    refs = set(specs[0]) | set(specs[1])
    return refs if len(zones) > 1 else {ref for ref in refs if specs[0].get(ref) != specs[1].get(ref)}


def _sides(spec: Spec | None, environment: str, now: datetime, count: int, refs: set[str]) -> dict[str, ScheduleSide]:
    if spec is None or environment not in spec.environments or not refs:
        return {}
    view = spec.environments[environment]
    narrowed = replace(view, components={ref: item for ref, item in view.components.items()
                                         if ref in refs or not isinstance(item.spec, ScheduleSpec)})
    found = {}
    for item in upcoming(spec, narrowed, now, count):
        resolved = view.components[f"schedules/{item.schedule}"].spec
        assert isinstance(resolved, ScheduleSpec)
        found[item.schedule] = ScheduleSide(_trigger(resolved, view.model.spec.kfp.schedule_time_zone), item.times,
                                            item.note)
    return found


def _trigger(schedule: ScheduleSpec, zone: str) -> str:
    if schedule.trigger.cron is not None:
        return f"cron '{schedule.trigger.cron}' ({zone})"
    return f"every {schedule.trigger.interval}"


def times_text(side: ScheduleSide | None) -> str:
    """``2026-05-01T02:00:00+00:00, ...``, or why there are none."""
    if side is None:
        return "(no schedule)"
    if not side.times:
        return f"(none: {side.note})" if side.note else "(none)"
    return ", ".join(t.isoformat() for t in side.times)

