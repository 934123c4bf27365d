"""The review as plain text (terminals, CI logs) and as JSON (machines) (pure)."""

from __future__ import annotations

import json
from typing import Any

from reconciler.errors import SpecError
from reconciler.review.build import EnvironmentReview, Review
from reconciler.review.compare import Change, ClusterReview, Presence, Prune
from reconciler.review.cost import CostChange, Demand, cores, memory
from reconciler.review.schedules import ScheduleMove, ScheduleSide, times_text

MARK = {Change.ADDED: "+", Change.CHANGED: "~", Change.REMOVED: "-"}


def headline(review: Review) -> str:
    """``base -> head: N added, N changed, N removed`` (or no changes)."""
    counts = ", ".join(f"{review.count(c)} {c.value}" for c in Change)
    what = counts if review.changed else "no changes"
    return f"{review.base} -> {review.head}: {what}"


def cost_text(cost: CostChange) -> str:
    """``GPUs 6 -> 22 (quota 16, over quota); CPU 40 -> 48 cores; memory 160Gi -> 192Gi``."""
    def pair(get: str) -> str:
        before = amount(cost.before, get)
        after = amount(cost.after, get)
        return after if before == after else f"{before} -> {after}"

    quota = cost.quota_after if cost.after is not None else cost.quota_before
    gpus = pair("gpus")
    if quota is not None:
        gpus += f" (quota {quota}{', over quota' if cost.over_quota else ''})"
    return f"GPUs {gpus}; CPU {pair('cpu')} cores; memory {pair('memory')}"


def component_cost_text(before: Demand | None, after: Demand | None) -> str:
    """One component's demand move: ``GPUs 1 -> 4, memory 16Gi -> 64Gi``, or what it starts or stops holding."""
    fields = (("gpus", "GPUs"), ("cpu", "CPU"), ("memory", "memory"))
    if before is None or after is None:
        side = after or before
        held = ", ".join(f"{label} {amount(side, f)}" for f, label in fields
                         if side is not None and getattr(side, f)) or "nothing"
        return f"new here, holds {held}" if before is None else f"no longer runs here (held {held})"
    return ", ".join(f"{label} {amount(before, f)} -> {amount(after, f)}" for f, label in fields
                     if amount(before, f) != amount(after, f))


def amount(demand: Demand | None, field: str) -> str:
    """One field of a demand for people ('-' when the side is absent)."""
    if demand is None:
        return "-"
    if field == "gpus":
        return str(demand.gpus)
    return cores(demand.cpu) if field == "cpu" else memory(demand.memory)


def trigger_text(move: ScheduleMove) -> str:
    """``cron '0 2 * * *' (UTC) -> cron '0 3 * * *' (UTC)`` (or the one side)."""
    def one(side: ScheduleSide | None) -> str:
        return "(none)" if side is None else side.trigger

    if move.before is not None and move.after is not None and move.before.trigger == move.after.trigger:
        return move.after.trigger
    return f"{one(move.before)} -> {one(move.after)}"


def prune_text(prune: Prune) -> str:
    """What a pruning apply would delete and the budget's verdict."""
    if not prune.deleted:
        return "prunes nothing"
    share = len(prune.deleted) / max(prune.owned, 1)
    verdict = f"refused: {prune.refusal}" if prune.refusal else f"within the deletion budget of {prune.max_fraction:.0%}"
    return f"prunes {len(prune.deleted)} of {prune.owned} owned objects ({share:.0%}); {verdict}"


def cluster_summary(cluster: ClusterReview) -> str:
    """``3 added, 1 changed, 0 removed, 12 unchanged``."""
    counts = ", ".join(f"{cluster.count(c)} {c.value}" for c in Change)
    state = {Presence.ADDED: " (new cluster)", Presence.REMOVED: " (cluster removed)"}.get(cluster.presence, "")
    return f"{counts}, {cluster.unchanged} unchanged{state}"


def review_text(review: Review, *, show_diff: bool = True) -> str:
    """Every environment that changes, with diffs; unchanged environments in one line each."""
    lines = [headline(review), f"schedule times from {review.reference.isoformat()}"]
    for env in review.environments:
        lines.append("")
        lines.extend(_environment(env, show_diff))
    if review.flags:
        lines.append("")
        lines.append("warnings:")
        lines.extend(f"  ! {flag}" for flag in review.flags)
    if review.errors:
        lines.append("")
        lines.append(f"{review.head} does not validate: {len(review.errors)} errors (listed on stderr)")
    return "\n".join(lines) + "\n"


def _environment(env: EnvironmentReview, show_diff: bool) -> list[str]:
    state = {Presence.ADDED: " (new environment)", Presence.REMOVED: " (environment removed)"}.get(env.presence, "")
    if not env.changed:
        return [f"{env.name}: no changes"]
    lines = [f"{env.name}{state}", f"  cost: {cost_text(env.cost)}"]
    lines.extend(f"    {c.ref}: {component_cost_text(c.before, c.after)}" for c in env.cost.components)
    if env.traffic:
        lines.append("  traffic:")
        lines.extend(f"    {move.component}: {move.describe()}" for move in env.traffic)
    if env.schedules:
        lines.append("  schedules (next runs):")
        for move in env.schedules:
            lines.append(f"    {move.schedule}: {trigger_text(move)}")
            lines.append(f"      before: {times_text(move.before)}")
            lines.append(f"      after:  {times_text(move.after)}")
    for cluster in env.clusters:
        lines.append(f"  cluster {cluster.cluster}: {cluster_summary(cluster)}; {prune_text(cluster.prune)}")
        for change in cluster.changes:
            owner = f"  ({change.component})" if change.component else ""
            lines.append(f"    {MARK[change.change]} {change.key}{owner}")
            if show_diff:
                lines.extend(f"      {line}" for line in change.diff.rstrip("\n").splitlines())
        lines.extend(f"    kept: {key} ({reason})" for key, reason in cluster.prune.kept)
    return lines


def review_data(review: Review) -> dict[str, Any]:
    """Plain data for ``--output json``."""
    return {
        "base": review.base,
        "head": review.head,
        "reference": review.reference.isoformat(),
        "changed": review.changed,
        "counts": {c.value: review.count(c) for c in Change},
        "flags": list(review.flags),
        "errors": [str(e) for e in review.errors],
        "environments": [_environment_data(env) for env in review.environments],
    }


def _demand(demand: Demand | None) -> dict[str, Any] | None:
    return None if demand is None else {"gpus": demand.gpus, "cpu": demand.cpu, "memoryBytes": demand.memory}


def _environment_data(env: EnvironmentReview) -> dict[str, Any]:
    cost = env.cost
    return {
        "name": env.name,
        "presence": env.presence.value,
        "changed": env.changed,
        "cost": {"before": _demand(cost.before), "after": _demand(cost.after), "gpuQuotaBefore": cost.quota_before,
                 "gpuQuotaAfter": cost.quota_after, "overQuota": cost.over_quota,
                 "components": [{"ref": c.ref, "before": _demand(c.before), "after": _demand(c.after)}
                                for c in cost.components]},
        "traffic": [{"component": m.component, "description": m.describe(),
                     "before": None if m.before is None else {"version": m.before.version, "canary": m.before.canary,
                                                              "steps": list(m.before.steps) or None},
                     "after": None if m.after is None else {"version": m.after.version, "canary": m.after.canary,
                                                            "steps": list(m.after.steps) or None}}
                    for m in env.traffic],
        "schedules": [{"schedule": m.schedule, "before": _schedule(m.before), "after": _schedule(m.after)}
                      for m in env.schedules],
        "maxPruneFraction": {"base": env.budget[0], "head": env.budget[1]},
        "clusters": [_cluster_data(c) for c in env.clusters],
        "flags": list(env.flags),
    }


def _schedule(side: ScheduleSide | None) -> dict[str, Any] | None:
    if side is None:
        return None
    return {"trigger": side.trigger, "next": [t.isoformat() for t in side.times], "note": side.note}


def _cluster_data(cluster: ClusterReview) -> dict[str, Any]:
    prune = cluster.prune
    return {
        "cluster": cluster.cluster,
        "presence": cluster.presence.value,
        "unchanged": cluster.unchanged,
        "objects": [{"key": str(c.key), "change": c.change.value, "component": c.component, "diff": c.diff}
                    for c in cluster.changes],
        "prune": {"delete": [str(k) for k in prune.deleted], "kept": [{"key": str(k), "reason": r} for k, r in prune.kept],
                  "owned": prune.owned, "maxFraction": prune.max_fraction, "refusal": prune.refusal},
        "flags": list(cluster.flags),
    }


def review_json(review: Review) -> str:
    """The review as stable, indented JSON."""
    return json.dumps(review_data(review), indent=2) + "\n"


def failure_data(role: str, label: str, errors: tuple[SpecError, ...]) -> dict[str, Any]:
    """``--output json`` when one side does not load."""
    return {"changed": None, "failed": role, "revision": label,
            "errors": [{"path": e.path, "line": e.line, "col": e.col, "message": e.message, "hint": e.hint}
                       for e in errors]}
