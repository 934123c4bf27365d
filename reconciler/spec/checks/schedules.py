"""Schedules: cron syntax, time zones, the pipeline they run and its parameters."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reconciler.errors import SpecError
from reconciler.spec.cron import CronError, parse_cron
from reconciler.spec.document import EnvironmentView, Resolved, Spec
from reconciler.spec.models import PipelineSpec, ScheduleSpec


def check(spec: Spec) -> list[SpecError]:
    """Schedule rules, for each schedule as written and as each environment runs it."""
    found: list[SpecError] = []
    for env, item in spec.variants():
        if not isinstance(item.spec, ScheduleSpec):
            continue
        found.extend(_trigger(item, item.spec))
        if env is None:
            found.extend(_pipeline_exists(spec, item, item.spec))
        else:
            found.extend(_binding(spec, spec.environments[env], item, item.spec))
    return found


def _trigger(item: Resolved, schedule: ScheduleSpec) -> list[SpecError]:
    found = []
    if schedule.trigger.cron is not None:
        try:
            parse_cron(schedule.trigger.cron)
        except CronError as exc:
            found.append(item.error(("trigger", "cron"), str(exc),
                                    "example: '0 2 * * *' (02:00 daily) or '0 0 2 * * *' (the same with seconds)"))
    if schedule.start_time and schedule.end_time and schedule.end_time <= schedule.start_time:
        found.append(item.error(("endTime",), "endTime must be after startTime", "fix the window or drop endTime"))
    if schedule.time_zone is not None and not _known_zone(schedule.time_zone):
            found.append(item.error(("timeZone",), f"unknown time zone {schedule.time_zone!r}",
                                    "use an IANA name such as UTC or Europe/Berlin"))
    return found


def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _pipeline_exists(spec: Spec, item: Resolved, schedule: ScheduleSpec) -> list[SpecError]:
    ref = f"pipelines/{schedule.pipeline}"
    if ref not in spec.components and ref not in spec.broken:
        known = ", ".join(c.name for c in spec.components.values() if c.kind == "Pipeline") or "(none)"
        return [item.error(("pipeline",), f"schedule runs pipeline '{schedule.pipeline}', which is not defined",
                           f"use one of: {known}")]
    return []


def _binding(spec: Spec, view: EnvironmentView, item: Resolved, schedule: ScheduleSpec) -> list[SpecError]:
    if f"pipelines/{schedule.pipeline}" not in spec.components:
        return []
    pipeline, version = view.scheduled_pipeline(item)
    if pipeline is None:
        return [item.error(("pipeline",), f"environment '{view.name}' runs {item.ref} but not the pipeline "
                           f"'{schedule.pipeline}' it schedules", "select the pipeline in that environment too")]
    found = []
    missing = [c for c in view.clusters_running(item.ref) if c not in view.clusters_running(pipeline.ref)]
    if missing:
        found.append(item.error(("pipeline",), f"in environment '{view.name}', cluster(s) {', '.join(missing)} run "
                                f"{item.ref} but not {pipeline.ref}", "place the pipeline on the same clusters"))
    tz = view.model.spec.kfp.schedule_time_zone
    if schedule.time_zone is not None and schedule.time_zone != tz and _known_zone(schedule.time_zone):
        found.append(item.error(("timeZone",), f"time zone {schedule.time_zone} differs from the KFP scheduler's "
                                f"time zone {tz} in environment '{view.name}'",
                                "KFP has one scheduler time zone per cluster: write the cron in that zone"))
    assert isinstance(pipeline.spec, PipelineSpec)
    package_path = pipeline.spec.package_for(version or "")
    if package_path is None:
        known = ", ".join([pipeline.spec.version, *pipeline.spec.previous_versions])
        found.append(item.error(("pipelineVersion",), f"pipeline '{schedule.pipeline}' has no version '{version}'",
                                f"use one of: {known}"))
        return found
    found.extend(_parameters(item, schedule, spec.packages.get(package_path), package_path))
    return found


def _parameters(item: Resolved, schedule: ScheduleSpec, package: dict[str, Any] | None, path: str) -> list[SpecError]:
    if package is None:
        return []
    declared: dict[str, Any] = (package.get("root", {}).get("inputDefinitions", {}) or {}).get("parameters", {}) or {}
    found = []
    for name in schedule.parameters:
        if name not in declared:
            found.append(item.error(("parameters", name), f"pipeline '{schedule.pipeline}' ({path}) has no "
                                    f"parameter '{name}'", f"its parameters are: {', '.join(sorted(declared)) or '(none)'}"))
    for name, definition in declared.items():
        required = "defaultValue" not in (definition or {}) and not (definition or {}).get("isOptional", False)
        if required and name not in schedule.parameters:
            found.append(item.error(("parameters",), f"pipeline '{schedule.pipeline}' needs parameter '{name}', "
                                    "which the schedule does not set", f"add '{name}' under parameters"))
    return found
