"""The schedules command: next fire times per environment and GPU overlap warnings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from reconciler.commands.render import ordered_environments
from reconciler.render.calendar import gpu_overlaps, upcoming
from reconciler.spec.document import Spec


def schedules_text(spec: Spec, envs: list[str], count: int, start: str | None, window_minutes: int) -> str:
    """A readable table of upcoming runs, then warnings."""
    now = datetime.fromisoformat(start) if start else datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    for name in envs:
        if name not in spec.environments:
            raise KeyError(f"unknown environment '{name}'; known: {', '.join(ordered_environments(spec))}")
    lines, warnings = [], []
    for env_name in envs or ordered_environments(spec):
        view = spec.environments[env_name]
        items = upcoming(spec, view, now, count)
        if not items:
            continue
        lines.append(f"{env_name} (KFP time zone {view.model.spec.kfp.schedule_time_zone})")
        for item in sorted(items, key=lambda u: u.schedule):
            gpus = f", {item.gpus} GPU" if item.gpus else ""
            lines.append(f"  {item.schedule} -> {item.pipeline}{gpus}" + (f" [{item.note}]" if item.note else ""))
            lines.extend(f"    {t.isoformat()}" for t in item.times)
        warnings.extend(gpu_overlaps(items, timedelta(minutes=window_minutes)))
    lines.extend(f"warning: {w}" for w in warnings)
    return "\n".join(lines) + "\n"
