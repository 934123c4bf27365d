"""Assemble the review of a change: per environment and cluster, objects, cost, schedules, traffic, prunes (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from reconciler.errors import SpecError, UnknownEnvironment
from reconciler.objects import Manifest
from reconciler.render import render_cluster
from reconciler.review.compare import Change, ClusterReview, Presence, compare_cluster
from reconciler.review.cost import CostChange, cost_change
from reconciler.review.loading import Side
from reconciler.review.schedules import ScheduleMove, schedule_moves
from reconciler.review.traffic import TrafficMove, traffic_moves
from reconciler.spec.document import Spec

REVIEW_REVISION = "review"  # both sides are stamped alike, so the revision annotation never shows as a change


@dataclass(frozen=True, slots=True)
class EnvironmentReview:
    """Everything that moves in one environment."""

    name: str
    presence: Presence
    clusters: tuple[ClusterReview, ...]
    cost: CostChange
    schedules: tuple[ScheduleMove, ...]
    traffic: tuple[TrafficMove, ...]
    budget: tuple[float | None, float | None] = (None, None)
    """The deletion budget (``maxPruneFraction``) at the base and at the head; None where absent."""

    @property
    def changed(self) -> bool:
        """Whether any object of the environment differs."""
        return self.presence is not Presence.KEPT or any(c.changes for c in self.clusters)

    @property
    def flags(self) -> tuple[str, ...]:
        """Risks a reviewer must see: over quota, mass prunes, empty renders, unmanaged clusters."""
        found = []
        moved = budget_flag(self.name, *self.budget)
        if moved:
            found.append(moved)  # first: the risk a reviewer must not miss under the others
        if self.cost.over_quota and self.cost.after is not None:
            found.append(f"{self.name} asks for {self.cost.after.gpus} GPUs, over its quota of {self.cost.quota_after}")
        found.extend(flag for cluster in self.clusters for flag in cluster.flags)
        return tuple(found)


@dataclass(frozen=True, slots=True)
class Review:
    """The whole comparison of two revisions, plus the head's errors when it renders despite them."""

    base: str
    head: str
    reference: datetime
    environments: tuple[EnvironmentReview, ...]
    errors: tuple[SpecError, ...] = ()

    @property
    def changed(self) -> bool:
        """Whether applying the head would change anything."""
        return any(env.changed for env in self.environments)

    @property
    def flags(self) -> tuple[str, ...]:
        """Every environment's flags."""
        return tuple(flag for env in self.environments for flag in env.flags)

    def count(self, change: Change) -> int:
        """Objects changed this way, over every cluster."""
        return sum(c.count(change) for env in self.environments for c in env.clusters)


def build_review(base: Side, head: Side, now: datetime, environments: Sequence[str] = ()) -> Review:
    """Compare two loaded sides (both must render); ``environments`` narrows the review (UnknownEnvironment if unknown)."""
    assert base.spec is not None and head.spec is not None, "both sides must render"
    names = _environments(base.spec, head.spec)
    UnknownEnvironment.check(environments, names)
    reviews = tuple(_environment(base.spec, head.spec, name, now) for name in environments or names)
    return Review(base.label, head.label, now, reviews, head.errors)


def _environment(base: Spec, head: Spec, name: str, now: datetime) -> EnvironmentReview:
    old, new = base.environments.get(name), head.environments.get(name)
    presence = Presence.ADDED if old is None else Presence.REMOVED if new is None else Presence.KEPT
    view = new if new is not None else old
    assert view is not None, "an environment under review exists on at least one side"
    before = old.model.spec.policy.max_prune_fraction if old is not None else None
    after = new.model.spec.policy.max_prune_fraction if new is not None else None
    # What apply and the daemon enforce: never more than the budget already applied (the base's).
    budget = min(b for b in (before, after) if b is not None)
    clusters = []
    for cluster in _clusters(base, head, name):
        clusters.append(compare_cluster(name, cluster, _render(base, name, cluster), _render(head, name, cluster),
                                        budget))
    return EnvironmentReview(name, presence, tuple(clusters), cost_change(name, old, new),
                             tuple(schedule_moves(base, head, name, now)), tuple(traffic_moves(base, head, name)),
                             (before, after))


def budget_flag(environment: str, before: float | None, after: float | None) -> str | None:
    """The risk of a change to the deletion budget, or None when it does not move."""
    if before is None or after is None or before == after:
        return None
    if after > before:
        return (f"{environment}: the deletion budget (maxPruneFraction) is raised from {before:.0%} to {after:.0%}; "
                f"it takes effect only once this revision has been applied, so deletions in this change are "
                f"still held to {before:.0%}")
    return f"{environment}: the deletion budget (maxPruneFraction) is lowered from {before:.0%} to {after:.0%} (at once)"


def _render(spec: Spec, environment: str, cluster: str) -> list[Manifest] | None:
    view = spec.environments.get(environment)
    if view is None or cluster not in view.placement:
        return None
    return [r.manifest for r in render_cluster(spec, environment, cluster, REVIEW_REVISION)]


def _clusters(base: Spec, head: Spec, environment: str) -> list[str]:
    """Cluster names in the head's declaration order, then the ones only the base has."""
    found: list[str] = []
    for spec in (head, base):
        view = spec.environments.get(environment)
        found.extend(c.name for c in (view.model.spec.clusters if view else ()) if c.name not in found)
    return found


def _environments(base: Spec, head: Spec) -> list[str]:
    """Environment names in the head's promotion order, then any others (the base's last)."""
    found: list[str] = []
    for spec in (head, base):
        ordered = [n for stage in spec.platform.spec.stages() for n in stage if n in spec.environments]
        found.extend(n for n in ordered + sorted(spec.environments) if n not in found)
    return found
