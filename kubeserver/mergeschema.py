"""Merge types for server-side apply: which maps are structs, which lists are sets or maps.

This is the part of structured-merge-diff's schema that ownership tracking needs, built
from a CRD's openAPIV3Schema (`x-kubernetes-list-type`, `-list-map-keys`, `-map-type`,
`-preserve-unknown-fields`, `-embedded-resource`) or from the small tables below for the
built-in kinds. It validates nothing (validation is `reconciler.conformance.structural`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

SCALAR = "scalar"
STRUCT = "struct"
MAP = "map"
LIST = "list"
DEDUCED = "deduced"


@dataclass(slots=True)
class Node:
    """One schema node. `fields` for structs, `elem` for maps/lists and struct extras."""

    kind: str
    fields: dict[str, Node] = field(default_factory=dict)
    elem: Node | None = None
    list_type: str = "atomic"  # atomic | set | map
    keys: tuple[str, ...] = ()
    atomic: bool = False  # x-kubernetes-map-type: atomic
    # A Go struct field that is not a pointer (PVC `spec`, `spec.resources`): a typed object
    # always has it, `{}` when empty, so an update never adds or removes it (no `.` entry).
    zero: bool = False
    _zeros: bool | None = None  # whether `zero` nodes are below (computed on first use)

    def child(self, name: str) -> tuple[Node, bool]:
        """Type of field `name` and whether it is a declared (named) struct field."""
        if self.kind == STRUCT:
            declared = self.fields.get(name)
            if declared is not None:
                return declared, True
            return self.elem or DEDUCED_NODE, False
        if self.kind == MAP:
            return self.elem or DEDUCED_NODE, False
        return DEDUCED_NODE, False


DEDUCED_NODE = Node(DEDUCED)
SCALAR_NODE = Node(SCALAR)


def scalar() -> Node:
    """A leaf."""
    return SCALAR_NODE


def struct(**fields: Node) -> Node:
    """A struct with named fields; unknown fields are deduced."""
    return Node(STRUCT, fields=dict(fields))


def value_struct(**fields: Node) -> Node:
    """A struct the Go type embeds by value (never absent from a typed object)."""
    return Node(STRUCT, fields=dict(fields), zero=True)


def has_zero_structs(node: Node) -> bool:
    """Whether value structs are declared at or below `node`'s fields (memoised on the node)."""
    if node._zeros is None:
        node._zeros = node.kind == STRUCT and any(
            child.zero or has_zero_structs(child) for child in node.fields.values())
    return node._zeros


def with_zero_structs(value: Any, node: Node) -> Any:
    """`value` with the absent value structs of its type as `{}`, as the typed object reads."""
    if node.kind != STRUCT or not isinstance(value, dict) or not has_zero_structs(node):
        return value
    out = value
    for name, child in node.fields.items():
        if child.kind != STRUCT or not (child.zero or has_zero_structs(child)):
            continue
        sub = value.get(name)
        if sub is None and name not in value:
            if not child.zero:
                continue
            sub = {}
        filled = with_zero_structs(sub, child)
        if name not in value or filled is not sub:
            if out is value:
                out = dict(value)
            out[name] = filled
    return out


def map_of(elem: Node = SCALAR_NODE) -> Node:
    """A map whose keys are not named fields (labels, ConfigMap data)."""
    return Node(MAP, elem=elem)


def atomic_list(elem: Node = SCALAR_NODE) -> Node:
    """A list replaced as a whole."""
    return Node(LIST, elem=elem, list_type="atomic")


def set_list(elem: Node = SCALAR_NODE) -> Node:
    """A list of unique scalars merged as a set (`v:` keys)."""
    return Node(LIST, elem=elem, list_type="set")


def map_list(*keys: str, elem: Node | None = None) -> Node:
    """An associative list keyed by `keys` (`k:` keys)."""
    return Node(LIST, elem=elem or DEDUCED_NODE, list_type="map", keys=tuple(keys))


OWNER_REFERENCE = struct(
    apiVersion=scalar(),
    kind=scalar(),
    name=scalar(),
    uid=scalar(),
    controller=scalar(),
    blockOwnerDeletion=scalar(),
)

OBJECT_META = struct(
    name=scalar(),
    generateName=scalar(),
    namespace=scalar(),
    uid=scalar(),
    resourceVersion=scalar(),
    generation=scalar(),
    creationTimestamp=scalar(),
    deletionTimestamp=scalar(),
    deletionGracePeriodSeconds=scalar(),
    labels=map_of(),
    annotations=map_of(),
    finalizers=set_list(),
    ownerReferences=map_list("uid", elem=OWNER_REFERENCE),
    managedFields=atomic_list(DEDUCED_NODE),
)


def object_root(**fields: Node) -> Node:
    """A top-level object: apiVersion, kind, metadata plus `fields`."""
    return struct(apiVersion=scalar(), kind=scalar(), metadata=OBJECT_META, **fields)


def from_openapi(schema: Mapping[str, Any]) -> Node:
    """The merge type of a CRD version's openAPIV3Schema (the root of the object)."""
    root = _convert(schema)
    if root.kind != STRUCT:
        root = Node(STRUCT, elem=DEDUCED_NODE)
    fields = dict(root.fields)
    fields.update(apiVersion=SCALAR_NODE, kind=SCALAR_NODE, metadata=OBJECT_META)
    return Node(STRUCT, fields=fields, elem=root.elem)


def _convert(schema: Mapping[str, Any]) -> Node:
    if not isinstance(schema, Mapping) or schema.get("x-kubernetes-int-or-string"):
        return SCALAR_NODE
    preserve = bool(schema.get("x-kubernetes-preserve-unknown-fields"))
    kind = schema.get("type")
    props = schema.get("properties")
    extra = schema.get("additionalProperties")
    if kind == "array":
        items = schema.get("items")
        item = _convert(items) if isinstance(items, Mapping) else DEDUCED_NODE
        list_type = schema.get("x-kubernetes-list-type", "atomic")
        keys = tuple(schema.get("x-kubernetes-list-map-keys") or ())
        if list_type == "map" and not keys:
            list_type = "atomic"
        return Node(LIST, elem=item, list_type=list_type, keys=keys)
    if kind == "object" or props or isinstance(extra, Mapping):
        atomic = schema.get("x-kubernetes-map-type") == "atomic"
        if props or schema.get("x-kubernetes-embedded-resource"):
            fields = {name: _convert(sub) for name, sub in (props or {}).items()}
            if schema.get("x-kubernetes-embedded-resource"):
                fields.setdefault("apiVersion", SCALAR_NODE)
                fields.setdefault("kind", SCALAR_NODE)
                fields["metadata"] = OBJECT_META
            elem: Node | None = DEDUCED_NODE if preserve else None
            if isinstance(extra, Mapping):
                elem = _convert(extra)
            return Node(STRUCT, fields=fields, elem=elem, atomic=atomic)
        if isinstance(extra, Mapping):
            return Node(MAP, elem=_convert(extra), atomic=atomic)
        return Node(MAP, elem=DEDUCED_NODE, atomic=atomic)
    if preserve and kind is None:
        return DEDUCED_NODE
    return SCALAR_NODE


_CONDITIONS = map_list("type")

BUILTIN: dict[str, Node] = {
    "namespaces": object_root(
        spec=value_struct(finalizers=atomic_list()),
        status=value_struct(phase=scalar(), conditions=_CONDITIONS),
    ),
    "configmaps": object_root(data=map_of(), binaryData=map_of(), immutable=scalar()),
    "secrets": object_root(
        data=map_of(), stringData=map_of(), type=scalar(), immutable=scalar()
    ),
    "serviceaccounts": object_root(
        secrets=map_list("name"),
        imagePullSecrets=atomic_list(DEDUCED_NODE),
        automountServiceAccountToken=scalar(),
    ),
    "persistentvolumeclaims": object_root(
        spec=value_struct(
            accessModes=atomic_list(),
            resources=value_struct(requests=map_of(), limits=map_of()),
            selector=Node(STRUCT, atomic=True),
            storageClassName=scalar(),
            volumeMode=scalar(),
            volumeName=scalar(),
        ),
        status=value_struct(
            phase=scalar(), accessModes=atomic_list(), capacity=map_of(), conditions=_CONDITIONS
        ),
    ),
    "events": object_root(
        # ObjectReference is `+structType=atomic`: its fields are owned as one (`f:involvedObject: {}`).
        involvedObject=Node(STRUCT, atomic=True, zero=True),
        related=Node(STRUCT, atomic=True),
        source=value_struct(),
        series=struct(),
        reason=scalar(),
        message=scalar(),
        firstTimestamp=scalar(),
        lastTimestamp=scalar(),
        count=scalar(),
        type=scalar(),
        eventTime=scalar(),
        action=scalar(),
        reportingComponent=scalar(),
        reportingInstance=scalar(),
    ),
    "leases": object_root(
        spec=value_struct(
            holderIdentity=scalar(),
            leaseDurationSeconds=scalar(),
            acquireTime=scalar(),
            renewTime=scalar(),
            leaseTransitions=scalar(),
        )
    ),
    "customresourcedefinitions": object_root(
        spec=value_struct(
            group=scalar(),
            names=value_struct(shortNames=atomic_list(), categories=atomic_list()),
            scope=scalar(),
            versions=atomic_list(DEDUCED_NODE),
            conversion=struct(),
            preserveUnknownFields=scalar(),
        ),
        status=value_struct(
            conditions=_CONDITIONS,
            acceptedNames=value_struct(shortNames=atomic_list(), categories=atomic_list()),
            storedVersions=atomic_list(),
        ),
    ),
}
