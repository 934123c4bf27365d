"""Serving traffic moves between two revisions: versions and canary shares (pure).

KServe's ``canaryTrafficPercent`` is the share routed to the newest ready revision while the
rest stays on the previous one; without it a new revision takes 100% as soon as it is ready.
So a version change without a canary moves all traffic at once, which the review says.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.spec.document import Spec
from reconciler.spec.models import ServingSpec


@dataclass(frozen=True, slots=True)
class ServingSide:
    """A served model's version and canary share on one side (canary None: no canary)."""

    version: str | None
    canary: int | None
    steps: tuple[int, ...] = ()
    """A progressive rollout's shares (empty: none); the daemon moves traffic, not Git."""
    interval: float = 0.0


@dataclass(frozen=True, slots=True)
class TrafficMove:
    """One served model whose version or canary share changes (None: absent on that side)."""

    environment: str
    component: str
    before: ServingSide | None
    after: ServingSide | None

    def describe(self) -> str:
        """The move in words."""
        if self.before is None or self.after is None:
            side = self.after or self.before
            assert side is not None
            verb = "starts serving" if self.before is None else "stops serving"
            return f"{verb} version {side.version or '(unversioned)'}{_canary(side.canary, ' with ')}"
        parts = []
        if self.before.version != self.after.version:
            parts.append(f"version {self.before.version} -> {self.after.version}")
        if self.before.canary != self.after.canary:
            parts.append(f"canary {_percent(self.before.canary)} -> {_percent(self.after.canary)}")
        text = ", ".join(parts)
        if self.before.steps != self.after.steps:
            parts.append(f"rollout steps {_steps(self.before.steps)} -> {_steps(self.after.steps)}")
            text = ", ".join(parts)
        if self.before.version != self.after.version and self.after.steps:
            text += (f": the daemon rolls {self.after.version} out in steps of {_steps(self.after.steps)}, "
                     f"{_seconds(self.after.interval)} each, analysed before each step and rolled back to "
                     f"{self.before.version} on failure")
        elif self.before.version != self.after.version:
            share = self.after.canary
            text += (f": 100% of traffic moves to {self.after.version} once it is ready (no canary)" if share is None
                     else f": {share}% goes to {self.after.version}, {100 - share}% stays on {self.before.version}")
        return text


def _percent(value: int | None) -> str:
    return "none" if value is None else f"{value}%"


def _steps(steps: tuple[int, ...]) -> str:
    return "/".join(f"{s}%" for s in steps) if steps else "none"


def _seconds(seconds: float) -> str:
    return f"{seconds / 60:g}m" if seconds >= 60 and seconds % 60 == 0 else f"{seconds:g}s"


def _canary(value: int | None, prefix: str) -> str:
    return "" if value is None else f"{prefix}a {value}% canary"


def traffic_moves(base: Spec | None, head: Spec | None, environment: str) -> list[TrafficMove]:
    """Served models of ``environment`` whose version or canary share differs."""
    old, new = _sides(base, environment), _sides(head, environment)
    return [TrafficMove(environment, ref, old.get(ref), new.get(ref))
            for ref in sorted(set(old) | set(new)) if old.get(ref) != new.get(ref)]


def _sides(spec: Spec | None, environment: str) -> dict[str, ServingSide]:
    if spec is None or environment not in spec.environments:
        return {}
    found = {}
    for ref, item in spec.environments[environment].components.items():
        if isinstance(item.spec, ServingSpec):
            canary = item.spec.canary
            if canary is not None and canary.progressive:
                found[ref] = ServingSide(item.spec.version, None, canary.steps, canary.interval_seconds)
            else:
                found[ref] = ServingSide(item.spec.version, canary.traffic_percent if canary is not None else None)
    return found
