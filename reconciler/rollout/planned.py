"""What a plan says of a served model that the daemon will roll out: the rollout, not a diff (pure)."""

from __future__ import annotations

from reconciler.engine import Result
from reconciler.objects import ObjectKey
from reconciler.plan import Action
from reconciler.rollout.objects import live_version, same_version
from reconciler.rollout.policy import ISVC_KIND, RolloutPolicy


def describe(policy: RolloutPolicy, previous: str | None) -> str:
    """The rollout in words: versions, steps, interval, what judges each step."""
    interval = f"{policy.interval / 60:g}m" if policy.interval >= 60 and policy.interval % 60 == 0 \
        else f"{policy.interval:g}s"
    checks = ", ".join(["readiness", *(m.name for m in policy.metrics)])
    return (f"rollout {previous or '(none)'} -> {policy.version} by the daemon: "
            f"{'/'.join(f'{s}%' for s in policy.steps)}, {interval} per step, each step judged by {checks} "
            f"(failing {policy.failure_threshold} time(s) in a row: back to 0%, {previous or 'the old version'} "
            "keeps the traffic)")


def rollout_notes(result: Result, policies: tuple[RolloutPolicy, ...]) -> dict[ObjectKey, str]:
    """For each InferenceService update that changes the version of a progressively rolled-out model: the
    rollout the daemon will run, shown by the plan instead of the diff."""
    if result.plan is None or not policies:
        return {}
    notes = {}
    for entry in result.plan.entries:
        if entry.action is not Action.UPDATE or entry.key.kind != ISVC_KIND:
            continue
        live = result.live.get(entry.key)
        policy = next((p for p in policies if (p.name, p.namespace) == (entry.key.name, entry.key.namespace)), None)
        if policy is None or live is None or same_version(live, policy.version):
            continue
        notes[entry.key] = describe(policy, live_version(live))
    return notes
