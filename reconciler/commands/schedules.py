"""The schedules command: next fire times per environment and GPU overlap warnings."""

from __future__ import annotations

from datetime import timedelta

from reconciler.commands.instants import instant
from reconciler.commands.render import ordered_environments
from reconciler.errors import UnknownEnvironment, UsageError
from reconciler.render.calendar import gpu_overlaps, upcoming
from reconciler.spec.document import Spec


def schedules_text(spec: Spec, envs: list[str], count: int, start: str | None, window_minutes: int) -> str:
    """A readable table of upcoming runs, then warnings (UsageError for a ``start`` that is no instant)."""
    try:
        now = instant(start)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    UnknownEnvironment.check(envs, ordered_environments(spec))
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
