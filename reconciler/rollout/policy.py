"""What a served model's spec asks of its rollouts, per (environment, cluster) (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.objects import Manifest
from reconciler.spec.document import Spec
from reconciler.spec.models import ServingSpec

ISVC_API_VERSION = "serving.kserve.io/v1beta1"
ISVC_KIND = "InferenceService"


@dataclass(frozen=True, slots=True)
class MetricRule:
    """One metric check: a PromQL query whose value must lie within ``min``/``max``."""

    name: str
    query: str
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True, slots=True)
class RolloutPolicy:
    """A served model rolled out progressively: where it lives, the version Git pins, and how it moves."""

    component: str
    """The component's reference, ``serving/<name>``."""
    name: str
    """The InferenceService's name."""
    namespace: str
    version: str
    steps: tuple[int, ...]
    interval: float
    """Seconds at each step before it is analysed."""
    failure_threshold: int = 1
    metrics: tuple[MetricRule, ...] = ()

    def share(self, step: int) -> int:
        """The canary share of step ``step`` (0-based)."""
        return self.steps[step]


def rollout_policies(spec: Spec, environment: str, manifests: list[Manifest]) -> tuple[RolloutPolicy, ...]:
    """The progressive rollouts of ``environment`` among the rendered ``manifests`` of one cluster."""
    view = spec.environments[environment]
    rendered = {(str(m.get("metadata", {}).get("name")), str(m.get("metadata", {}).get("namespace"))): m
                for m in manifests if m.get("kind") == ISVC_KIND}
    found = []
    for ref, item in view.components.items():
        if not isinstance(item.spec, ServingSpec) or item.spec.canary is None or not item.spec.canary.progressive:
            continue
        namespaces = [ns for (name, ns) in rendered if name == item.name]
        if not namespaces:
            continue  # not served on this cluster
        canary = item.spec.canary
        found.append(RolloutPolicy(
            component=ref, name=item.name, namespace=namespaces[0], version=item.spec.version or "",
            steps=canary.steps, interval=canary.interval_seconds,
            failure_threshold=canary.analysis.failure_threshold,
            metrics=tuple(MetricRule(m.name, m.query, m.min, m.max) for m in canary.analysis.metrics)))
    return tuple(found)
