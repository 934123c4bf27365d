"""What an environment asks of its clusters at peak: GPUs, CPU and memory, before and after a change (pure).

Demand is counted the way ``policy.gpu_demand`` counts GPUs: a notebook that is not stopped
holds its resources; a served model holds its predictor (and transformer) resources at its
maximum replicas (its minimum when it has no maximum); a tuning experiment holds a trial's resources x workers x parallel trials.
Pipelines and schedules hold nothing between runs and count zero.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reconciler.spec.checks.policy import gpu_demand
from reconciler.spec.document import EnvironmentView, Resolved
from reconciler.spec.models import NotebookSpec, ServingSpec, TuningSpec
from reconciler.quantity import quantity_value
from reconciler.spec.models.base import Resources


def cpu_demand(item: Resolved) -> float:
    """CPU cores a component may hold at peak."""
    return _demand(item, lambda r: _requested(r.cpu, r.cpu_limit if r.limits else None))


def memory_demand(item: Resolved) -> float:
    """Memory in bytes a component may hold at peak."""
    return _demand(item, lambda r: _requested(r.memory, r.memory_limit if r.limits else None))


def _requested(request: str | None, limit: str | None) -> float:
    """The request, else the limit (Kubernetes defaults a request to its limit), else nothing."""
    value = request if request is not None else limit
    return 0.0 if value is None else quantity_value(value)


def _demand(item: Resolved, amount: Callable[[Resources], float]) -> float:
    s = item.spec
    if isinstance(s, NotebookSpec):
        return 0.0 if s.stopped else amount(s.resources)
    if isinstance(s, ServingSpec):
        per_replica = amount(s.resources) + (amount(s.transformer.resources) if s.transformer else 0.0)
        return per_replica * max(s.replicas.cap or 0, s.replicas.min)
    if isinstance(s, TuningSpec):
        return amount(s.trial_template.resources) * s.trial_template.workers * s.trials.parallel
    return 0.0


@dataclass(frozen=True, slots=True)
class Demand:
    """GPUs, CPU cores and memory bytes."""

    gpus: int = 0
    cpu: float = 0.0
    memory: float = 0.0

    def __add__(self, other: Demand) -> Demand:
        return Demand(self.gpus + other.gpus, self.cpu + other.cpu, self.memory + other.memory)


def demand_of(item: Resolved) -> Demand:
    """One component's peak demand."""
    return Demand(gpu_demand(item), cpu_demand(item), memory_demand(item))


@dataclass(frozen=True, slots=True)
class ComponentCost:
    """One component whose demand changes (None: not run on that side)."""

    ref: str
    before: Demand | None
    after: Demand | None


@dataclass(frozen=True, slots=True)
class CostChange:
    """An environment's total demand and GPU quota on both sides (None: the environment is absent)."""

    environment: str
    before: Demand | None
    after: Demand | None
    quota_before: int | None
    quota_after: int | None
    components: tuple[ComponentCost, ...]

    @property
    def changed(self) -> bool:
        """Whether totals or the quota move."""
        return self.before != self.after or self.quota_before != self.quota_after

    @property
    def over_quota(self) -> bool:
        """The head asks for more GPUs than its quota allows."""
        return self.after is not None and self.quota_after is not None and self.after.gpus > self.quota_after


def environment_demand(view: EnvironmentView) -> dict[str, Demand]:
    """Component reference -> peak demand, for every component an environment runs."""
    return {ref: demand_of(item) for ref, item in view.components.items()}


def cost_change(name: str, base: EnvironmentView | None, head: EnvironmentView | None) -> CostChange:
    """Totals before and after, and the components whose demand moved (largest GPU move first)."""
    before = environment_demand(base) if base else {}
    after = environment_demand(head) if head else {}
    moved = [ComponentCost(ref, before.get(ref), after.get(ref))
             for ref in sorted(set(before) | set(after)) if before.get(ref) != after.get(ref)]
    moved.sort(key=lambda c: -abs((c.after or Demand()).gpus - (c.before or Demand()).gpus))
    return CostChange(
        name,
        _total(before) if base else None,
        _total(after) if head else None,
        base.model.spec.policy.gpu_quota if base else None,
        head.model.spec.policy.gpu_quota if head else None,
        tuple(moved),
    )


def _total(demands: dict[str, Demand]) -> Demand:
    total = Demand()
    for demand in demands.values():
        total = total + demand
    return total


def cores(value: float) -> str:
    """CPU cores for people: ``12``, ``0.5``."""
    return f"{round(value, 3):g}"


def memory(value: float) -> str:
    """Bytes for people, in Gi (or Mi below 1 Gi)."""
    if value and value < 2**30:
        return f"{round(value / 2**20, 1):g}Mi"
    return f"{round(value / 2**30, 2):g}Gi"
