"""The kinds a server serves: built-ins from the real discovery documents, and CRDs."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from kubeserver import mergeschema

DATA = Path(__file__).resolve().parent / "data"

Getter = Callable[[Mapping[str, Any]], Any]


@dataclass(slots=True)
class Version:
    """One served version of a kind."""

    name: str
    storage: bool = False
    schema: Mapping[str, Any] | None = None  # CRD openAPIV3Schema
    status: bool = False
    scale: Mapping[str, Any] | None = None
    columns: list[Mapping[str, Any]] = field(default_factory=list)
    _merge: mergeschema.Node | None = None
    _validator: Any = None
    _defaulter: Any = None  # validation.Defaulter, compiled on first use

    def merge_node(self, plural: str) -> mergeschema.Node:
        """Merge type for SSA (built-in table or derived from the CRD schema)."""
        if self._merge is None:
            if self.schema is not None:
                self._merge = mergeschema.from_openapi(self.schema)
            else:
                self._merge = mergeschema.BUILTIN.get(plural, mergeschema.object_root())
        return self._merge


@dataclass(slots=True)
class ResourceType:
    """A served resource (group + plural), all versions sharing one storage."""

    group: str
    plural: str
    kind: str
    singular: str
    namespaced: bool
    versions: dict[str, Version]
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    has_generation: bool = False
    returns_deleted_object: bool = True
    custom: bool = False
    crd_uid: str = ""
    watch_start: int = 0  # resourceVersion its watch cache started at (a watch from before: 410)
    discovery: dict[str, dict[str, Any]] = field(default_factory=dict)  # version -> entries
    field_getters: dict[str, Getter] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return (self.group, self.plural)

    @property
    def group_resource(self) -> str:
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def api_version(self, version: str) -> str:
        return f"{self.group}/{version}" if self.group else version

    def storage_version(self) -> str:
        for v in self.versions.values():
            if v.storage:
                return v.name
        return next(iter(self.versions))


@cache
def _doc(name: str) -> dict[str, Any]:
    return json.loads((DATA / name).read_text())  # type: ignore[no-any-return]


def _entries(doc: str, names: set[str]) -> list[dict[str, Any]]:
    return [r for r in _doc(doc)["resources"] if r["name"] in names]


def _get(*path: str) -> Getter:
    def getter(obj: Mapping[str, Any]) -> Any:
        cur: Any = obj
        for p in path:
            cur = cur.get(p) if isinstance(cur, Mapping) else None
        return cur

    return getter


_EVENT_FIELDS = {
    f"involvedObject.{k}": _get("involvedObject", k)
    for k in ("kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath")
}
_EVENT_FIELDS.update(
    reason=_get("reason"), type=_get("type"), source=_get("source", "component"),
    reportingComponent=_get("reportingComponent"),
)

# (group, doc prefix, plural, has status, field getters, returns deleted object)
_BUILTINS: list[tuple[str, str, str, bool, dict[str, Getter], bool]] = [
    ("", "api__v1.json", "namespaces", True, {"status.phase": _get("status", "phase")}, True),
    ("", "api__v1.json", "configmaps", False, {}, False),
    ("", "api__v1.json", "secrets", False, {"type": _get("type")}, False),
    ("", "api__v1.json", "serviceaccounts", False, {}, True),
    ("", "api__v1.json", "persistentvolumeclaims", True, {}, True),
    ("", "api__v1.json", "events", False, _EVENT_FIELDS, False),
    ("coordination.k8s.io", "apis__coordination.k8s.io__v1.json", "leases", False, {}, False),
    (
        "apiextensions.k8s.io", "apis__apiextensions.k8s.io__v1.json",
        "customresourcedefinitions", True, {}, True,
    ),
]


def builtin_types() -> list[ResourceType]:
    """Fresh ResourceTypes for the built-in kinds this server serves."""
    out = []
    for group, doc, plural, status, getters, returns in _BUILTINS:
        names = {plural, f"{plural}/status"} if status else {plural}
        entries = _entries(doc, names)
        main = next(e for e in entries if e["name"] == plural)
        out.append(
            ResourceType(
                group=group,
                plural=plural,
                kind=main["kind"],
                singular=main["singularName"],
                namespaced=main["namespaced"],
                versions={"v1": Version("v1", storage=True, status=status)},
                short_names=tuple(main.get("shortNames", ())),
                categories=tuple(main.get("categories", ())),
                has_generation=plural == "customresourcedefinitions",
                returns_deleted_object=returns,
                discovery={"v1": {"resources": entries}},
                field_getters=getters,
            )
        )
    return out


@cache
def builtin_group_versions() -> frozenset[tuple[str, str]]:
    """(group, version) pairs a kube-apiserver serves by itself (from its real /apis document)."""
    return frozenset((g["name"], v["version"]) for g in _doc("apis.json")["groups"] for v in g["versions"])


_VERSION_RE = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")


def version_priority(name: str) -> tuple[int, int, int, str]:
    """Kube-aware version order: GA > beta > alpha, higher numbers first, then others."""
    m = _VERSION_RE.match(name)
    if not m:
        return (3, 0, 0, name)
    major, stage, minor = int(m[1]), m[2], int(m[3] or 0)
    rank = {None: 0, "beta": 1, "alpha": 2}[stage]
    return (rank, -major, -minor, name)


def crd_type(crd: Mapping[str, Any]) -> ResourceType:
    """The ResourceType a (validated) CRD object defines."""
    spec = crd["spec"]
    names = spec["names"]
    versions: dict[str, Version] = {}
    for v in sorted(spec["versions"], key=lambda v: version_priority(v["name"])):
        if not v.get("served", True):
            continue
        subresources = v.get("subresources") or {}
        schema = ((v.get("schema") or {}).get("openAPIV3Schema")) or {
            "type": "object", "x-kubernetes-preserve-unknown-fields": True
        }
        versions[v["name"]] = Version(
            name=v["name"],
            storage=bool(v.get("storage")),
            schema=schema,
            status="status" in subresources,
            scale=subresources.get("scale"),
            columns=list(v.get("additionalPrinterColumns") or []),
        )
    return ResourceType(
        group=spec["group"],
        plural=names["plural"],
        kind=names["kind"],
        singular=names.get("singular") or names["kind"].lower(),
        namespaced=spec.get("scope", "Namespaced") == "Namespaced",
        versions=versions,
        short_names=tuple(names.get("shortNames") or ()),
        categories=tuple(names.get("categories") or ()),
        has_generation=True,
        returns_deleted_object=False,  # a Status once gone, like most built-ins
        custom=True,
        crd_uid=crd["metadata"].get("uid", ""),
    )
