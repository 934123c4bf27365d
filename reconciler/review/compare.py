"""Compare what two revisions render for one cluster: added, changed, removed, and what would be pruned (pure).

The base render stands in for the cluster: it is what the reconciler would have applied and
recorded in its inventory. Pruning is decided by the engine's own ``make_plan`` (protected kinds
and ``prune: disabled`` objects are skipped) and checked against the deletion budget with
``budget_refusal``, so the review predicts what ``apply --prune`` would do and refuse.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from enum import Enum

import yaml

from reconciler.diff import comparable, masked
from reconciler.immutable import immutable_changes
from reconciler.kinds import apply_rank
from reconciler.labels import LABEL_COMPONENT_REF
from reconciler.objects import Manifest, ObjectKey
from reconciler.plan import Action, budget_refusal, make_plan, replacement_reason


class Change(str, Enum):
    """How one object differs between base and head."""

    ADDED = "added"
    CHANGED = "changed"
    REMOVED = "removed"


class Presence(str, Enum):
    """Whether an environment or cluster exists on both sides."""

    KEPT = "kept"
    ADDED = "added"
    REMOVED = "removed"


@dataclass(frozen=True, slots=True)
class ObjectChange:
    """One object that differs, the component it belongs to, and a unified YAML diff base -> head."""

    key: ObjectKey
    change: Change
    component: str
    diff: str


@dataclass(frozen=True, slots=True)
class Prune:
    """What applying the head with ``--prune`` would delete here, and whether the budget allows it."""

    deleted: tuple[ObjectKey, ...] = ()
    kept: tuple[tuple[ObjectKey, str], ...] = ()
    owned: int = 0
    max_fraction: float = 0.0
    refusal: str | None = None


@dataclass(frozen=True, slots=True)
class ClusterReview:
    """Every difference on one cluster of one environment."""

    environment: str
    cluster: str
    presence: Presence
    changes: tuple[ObjectChange, ...]
    unchanged: int
    base_objects: int
    head_objects: int
    prune: Prune
    flags: tuple[str, ...]

    def count(self, change: Change) -> int:
        """How many objects changed this way."""
        return sum(1 for c in self.changes if c.change is change)


def compare_cluster(environment: str, cluster: str, base: list[Manifest] | None, head: list[Manifest] | None,
                    max_prune_fraction: float) -> ClusterReview:
    """Compare one cluster's objects; ``None`` when the cluster is absent on that side."""
    old = {ObjectKey.of(m): m for m in base or []}
    new = {ObjectKey.of(m): m for m in head or []}
    changes: list[ObjectChange] = []
    unchanged = 0
    for key in sorted(set(old) | set(new), key=lambda k: (apply_rank((new.get(k) or old[k])), k)):
        before, after = old.get(key), new.get(key)
        if before is not None and after is not None and comparable(before) == comparable(after):
            unchanged += 1
            continue
        change = Change.ADDED if before is None else Change.REMOVED if after is None else Change.CHANGED
        changes.append(ObjectChange(key, change, component_of(after or before or {}), object_diff(key, before, after)))
    presence = Presence.ADDED if base is None else Presence.REMOVED if head is None else Presence.KEPT
    prune = _prune(old, head, max_prune_fraction) if presence is Presence.KEPT else Prune(max_fraction=max_prune_fraction)
    return ClusterReview(environment, cluster, presence, tuple(changes), unchanged, len(old), len(new), prune,
                         _flags(environment, cluster, presence, old, new, prune))


def _prune(old: dict[ObjectKey, Manifest], head: list[Manifest] | None, max_fraction: float) -> Prune:
    if set(old) <= {ObjectKey.of(m) for m in head or []}:
        return Prune(owned=len(old), max_fraction=max_fraction)  # nothing leaves: no plan needed
    plan = make_plan(head or [], old, frozenset(old))
    deleted = tuple(e.key for e in plan.prunes)
    kept = tuple((e.key, e.reason) for e in plan.by_action(Action.SKIP))
    return Prune(deleted, kept, plan.owned_before, max_fraction, budget_refusal(plan, max_fraction, override=False))


def _flags(environment: str, cluster: str, presence: Presence, old: dict[ObjectKey, Manifest],
           new: dict[ObjectKey, Manifest], prune: Prune) -> tuple[str, ...]:
    flags = []
    if presence is Presence.REMOVED:
        flags.append(f"{environment}/{cluster} is no longer in the spec: platformctl stops reconciling it and its "
                     f"{len(old)} objects stay on the cluster unmanaged (nothing is pruned)")
    workloads_before = sum(1 for m in old.values() if component_of(m))
    if presence is Presence.KEPT and workloads_before and not any(component_of(m) for m in new.values()):
        flags.append(f"{environment}/{cluster}: the head renders no component objects here (the base renders "
                     f"{workloads_before})")
    if prune.refusal:
        flags.append(f"{environment}/{cluster}: apply --prune would be refused: {prune.refusal}")
    for key in sorted(set(old) & set(new)):
        refused = immutable_changes(new[key], old[key])
        if refused:
            flags.append(f"{environment}/{cluster}: {key} {replacement_reason(new[key], refused)}; apply refuses it "
                         "unless run with --replace")
    return tuple(flags)


def component_of(manifest: Manifest) -> str:
    """``serving/fraud-detector`` from the ownership label; empty for the namespace."""
    labels = manifest.get("metadata", {}).get("labels") or {}
    ref = str(labels.get(LABEL_COMPONENT_REF, ""))
    return ref.replace(".", "/", 1) if ref and not ref.startswith("namespace.") else ""


def object_diff(key: ObjectKey, before: Manifest | None, after: Manifest | None) -> str:
    """A unified YAML diff of the managed content (no status, no volatile annotations), secrets masked."""
    lines = difflib.unified_diff(_text(before), _text(after), fromfile=f"base/{key}", tofile=f"head/{key}", n=3)
    return "".join(lines)


def _text(manifest: Manifest | None) -> list[str]:
    if manifest is None:
        return []
    shown = masked(comparable(manifest))
    dumped = yaml.dump(shown, Dumper=yaml.CSafeDumper, sort_keys=False, default_flow_style=False, width=120)
    return dumped.splitlines(keepends=True)
