"""Object identity and apply order, shared by render, plan and the cluster layer (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

Manifest = dict[str, Any]


@dataclass(frozen=True, slots=True, order=True)
class ObjectKey:
    """Identity of a Kubernetes object; ``str()`` is ``Kind/namespace/name``."""

    group: str
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind}/{self.namespace}/{self.name}" if self.namespace else f"{self.kind}/{self.name}"

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> ObjectKey:
        """The key of a manifest or live object."""
        group = str(obj.get("apiVersion", "")).rpartition("/")[0]
        metadata = obj.get("metadata") or {}
        return cls(group, str(obj.get("kind", "")), str(metadata.get("namespace") or ""), str(metadata.get("name", "")))


# Lower applies first (and is pruned last): namespaces and CRDs, then what others reference.
_APPLY_ORDER: dict[str, int] = {
    "CustomResourceDefinition": 0,
    "Namespace": 1,
    "Profile": 2,
    "ServiceAccount": 3,
    "Secret": 3,
    "ConfigMap": 3,
    "PersistentVolumeClaim": 4,
    "Pipeline": 5,
    "PipelineVersion": 6,
    "Notebook": 7,
    "Experiment": 7,
    "InferenceService": 7,
    "ScheduledWorkflow": 8,
}


def apply_rank(obj: Mapping[str, Any]) -> int:
    """Position of an object's kind in the apply order."""
    return _APPLY_ORDER.get(str(obj.get("kind", "")), 7)


def sort_for_apply(objects: list[Manifest]) -> list[Manifest]:
    """Objects in dependency order, ties broken by key so the order is stable."""
    return sorted(objects, key=lambda o: (apply_rank(o), ObjectKey.of(o)))
