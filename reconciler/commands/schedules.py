"""The schedules command: next fire times per environment and GPU overlap warnings, as text or JSON."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from reconciler.commands.instants import instant
from reconciler.commands.render import ordered_environments
from reconciler.errors import UnknownEnvironment, UsageError
from reconciler.render.calendar import gpu_overlaps, upcoming
from reconciler.spec.document import Spec


def schedules_data(spec: Spec, envs: list[str], count: int, start: str | None, window_minutes: int) -> dict[str, Any]:
    """Upcoming runs per environment and the GPU overlap warnings (UsageError for a ``start`` that is no instant)."""
    try:
        now = instant(start)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    UnknownEnvironment.check(envs, ordered_environments(spec))
    environments: list[dict[str, Any]] = []
    warnings: list[str] = []
    for env_name in envs or ordered_environments(spec):
        view = spec.environments[env_name]
        items = sorted(upcoming(spec, view, now, count), key=lambda u: u.schedule)
        if not items:
            continue
        environments.append({
            "name": env_name, "timeZone": view.model.spec.kfp.schedule_time_zone,
            "schedules": [{"schedule": u.schedule, "pipeline": u.pipeline, "gpus": u.gpus, "note": u.note,
                           "times": [t.isoformat() for t in u.times]} for u in items]})
        warnings.extend(gpu_overlaps(items, timedelta(minutes=window_minutes)))
    return {"from": now.isoformat(), "environments": environments, "warnings": warnings}


def schedules_text(spec: Spec, envs: list[str], count: int, start: str | None, window_minutes: int) -> str:
    """A readable table of upcoming runs, then warnings."""
    data = schedules_data(spec, envs, count, start, window_minutes)
    lines = []
    for env in data["environments"]:
        lines.append(f"{env['name']} (KFP time zone {env['timeZone']})")
        for item in env["schedules"]:
            gpus = f", {item['gpus']} GPU" if item["gpus"] else ""
            lines.append(f"  {item['schedule']} -> {item['pipeline']}{gpus}" + (f" [{item['note']}]" if item["note"] else ""))
            lines.extend(f"    {t}" for t in item["times"])
    lines.extend(f"warning: {w}" for w in data["warnings"])
    return "\n".join(lines) + "\n"
