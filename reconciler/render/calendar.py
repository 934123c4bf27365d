"""Upcoming fire times of schedules and overlaps of GPU-hungry ones (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from reconciler.spec.cron import parse_cron
from reconciler.spec.document import EnvironmentView, Resolved, Spec
from reconciler.spec.models import PipelineSpec, ScheduleSpec


@dataclass(frozen=True, slots=True)
class Upcoming:
    """The next fire times of one schedule in one environment."""

    environment: str
    schedule: str
    pipeline: str
    gpus: int
    times: tuple[datetime, ...]
    note: str = ""


def pipeline_gpus(package: dict[str, Any]) -> int:
    """GPUs the biggest step of a compiled pipeline asks for (KFP IR accelerator counts)."""
    most = 0
    for executor in (package.get("deploymentSpec", {}).get("executors", {}) or {}).values():
        accelerator = ((executor or {}).get("container", {}).get("resources", {}) or {}).get("accelerator", {}) or {}
        count = accelerator.get("resourceCount") or accelerator.get("count") or 0
        most = max(most, int(float(count)))
    return most


def upcoming(spec: Spec, view: EnvironmentView, now: datetime, count: int) -> list[Upcoming]:
    """Next ``count`` fire times of every schedule of an environment, in its KFP time zone."""
    zone = ZoneInfo(view.model.spec.kfp.schedule_time_zone)
    start = now.astimezone(zone)
    found = []
    for item in view.components.values():
        if not isinstance(item.spec, ScheduleSpec):
            continue
        found.append(_one(spec, view, item, item.spec, start, count))
    return found


def _one(spec: Spec, view: EnvironmentView, item: Resolved, schedule: ScheduleSpec, start: datetime,
         count: int) -> Upcoming:
    pipeline, version = view.scheduled_pipeline(item)
    gpus = 0
    if pipeline is not None and isinstance(pipeline.spec, PipelineSpec):
        gpus = pipeline_gpus(spec.packages.get(pipeline.spec.package_for(version or "") or "", {}))
    base = Upcoming(view.name, item.name, schedule.pipeline, gpus, ())
    if not schedule.enabled:
        return _with(base, (), "disabled")
    begin = max(start, schedule.start_time.astimezone(start.tzinfo)) if schedule.start_time else start
    if schedule.trigger.cron is not None:
        times = parse_cron(schedule.trigger.cron).next_times(begin, count)
    else:
        assert schedule.trigger.interval is not None
        # KFP's periodic schedule fires one interval after the later of its start time and its last
        # run (at first: its creation, here taken as now), never at the start itself; a start in the
        # past is taken as the grid it has been firing on since.
        step = schedule.trigger.interval
        anchor = schedule.start_time.astimezone(start.tzinfo) if schedule.start_time else begin
        periods = int((begin - anchor) / step) + 1 if begin > anchor else 1
        times = [anchor + step * (periods + i) for i in range(count)]
    if schedule.end_time is not None:
        times = [t for t in times if t <= schedule.end_time]
    return _with(base, tuple(times), "ends before its next run" if not times else "")


def _with(base: Upcoming, times: tuple[datetime, ...], note: str) -> Upcoming:
    return Upcoming(base.environment, base.schedule, base.pipeline, base.gpus, times, note)


def gpu_overlaps(items: list[Upcoming], window: timedelta) -> list[str]:
    """Warnings for GPU-using schedules of one environment that start within ``window`` of each other."""
    warnings = []
    gpu_items = [u for u in items if u.gpus and u.times]
    for i, first in enumerate(gpu_items):
        for second in gpu_items[i + 1:]:
            clash = next((a for a in first.times for b in second.times if abs(a - b) < window), None)
            if clash is not None:
                warnings.append(f"{first.environment}: {first.schedule} and {second.schedule} both need GPUs "
                                f"and start within {window} of each other (around {clash.isoformat()})")
    return warnings
