"""Object identity, shared by every layer (pure)."""

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
