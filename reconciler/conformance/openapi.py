"""Turn a CRD openAPIV3Schema into a Draft 4 JSON Schema and a pruning tree.

Kubernetes semantics kept (apiextensions-apiserver):
- `x-kubernetes-int-or-string` -> type [integer, string] (what kube's validator does);
  the generated `anyOf: [{type: integer}, {type: string}]` is dropped as redundant.
- `nullable: true` -> null is an allowed type.
- `required` entries whose property has a `default` are dropped: kube defaults before it
  validates, so such a field is never missing.
- `exclusiveMinimum/Maximum` stay booleans (OpenAPI 3.0 == Draft 4 semantics).
- `format`: only the formats in `formats.FORMAT_CHECKERS` are kept.
- strict mode: `additionalProperties: false` on every object node that neither preserves
  unknown fields nor declares additionalProperties; root and embedded-resource
  apiVersion/kind/metadata are always allowed, root metadata is never strict.
- `x-kubernetes-list-type` and `x-kubernetes-embedded-resource` become custom keywords
  (see `extensions`). `x-kubernetes-validations` (CEL) is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reconciler.conformance.extensions import EMBEDDED_KEYWORD, LIST_MAP_KEYWORD, LIST_SET_KEYWORD
from reconciler.conformance.formats import FORMAT_CHECKERS

_COPIED = (
    "enum",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "uniqueItems",
    "multipleOf",
    "minProperties",
    "maxProperties",
)

OBJECT_META_KEYS = frozenset(
    {
        "name",
        "generateName",
        "namespace",
        "selfLink",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "labels",
        "annotations",
        "ownerReferences",
        "finalizers",
        "managedFields",
    }
)
_META_FIELDS = ("apiVersion", "kind", "metadata")


@dataclass(slots=True, eq=False)
class Node:
    """What pruning needs to know about one schema node."""

    props: dict[str, Node] = field(default_factory=dict)
    additional: Node | None = None
    additional_any: bool = False
    items: Node | None = None
    preserve: bool = False
    embedded: bool = False
    nullable: bool = False
    has_default: bool = False


ANY_NODE = Node(preserve=True)
META_NODE = Node(props={key: ANY_NODE for key in OBJECT_META_KEYS})


def build_tree(schema: dict[str, Any]) -> Node:
    """The pruning tree of a structural schema (junctors are ignored, as kube does)."""
    node = Node(
        preserve=bool(schema.get("x-kubernetes-preserve-unknown-fields")),
        embedded=bool(schema.get("x-kubernetes-embedded-resource")),
        nullable=bool(schema.get("nullable")),
        has_default="default" in schema,
    )
    for name, sub in (schema.get("properties") or {}).items():
        node.props[name] = build_tree(sub)
    additional = schema.get("additionalProperties")
    if isinstance(additional, dict):
        node.additional = build_tree(additional)
    elif additional is True:
        node.additional_any = True
    items = schema.get("items")
    if isinstance(items, dict):
        node.items = build_tree(items)
    return node


def _is_object(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "object" or "properties" in schema


def _int_or_string_any_of(any_of: Any) -> bool:
    return isinstance(any_of, list) and all(
        isinstance(s, dict) and set(s) == {"type"} and s["type"] in ("integer", "string") for s in any_of
    )


def to_json_schema(schema: dict[str, Any], *, strict: bool) -> dict[str, Any]:
    """Draft 4 JSON Schema for a whole resource (the root of an openAPIV3Schema)."""
    return _convert(schema, strict=strict, root=True)


def _convert(schema: dict[str, Any], *, strict: bool, root: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {}
    int_or_string = bool(schema.get("x-kubernetes-int-or-string"))
    nullable = bool(schema.get("nullable"))
    types: list[str] = []
    if int_or_string:
        types = ["integer", "string"]
    elif isinstance(schema.get("type"), str):
        types = [schema["type"]]
    if types and nullable:
        types.append("null")
    if types:
        out["type"] = types[0] if len(types) == 1 else types
    for key in _COPIED:
        if key in schema:
            out[key] = schema[key]
    if nullable and "enum" in out and None not in out["enum"]:
        out["enum"] = [*out["enum"], None]
    if schema.get("format") in FORMAT_CHECKERS:
        out["format"] = schema["format"]

    props: dict[str, Any] = schema.get("properties") or {}
    needed = [r for r in schema.get("required") or [] if "default" not in props.get(r, {})]
    if needed:
        out["required"] = needed
    embedded = bool(schema.get("x-kubernetes-embedded-resource"))
    preserve = bool(schema.get("x-kubernetes-preserve-unknown-fields"))
    out_props: dict[str, Any] = {}
    for name, sub in props.items():
        lax_here = root and name == "metadata"
        out_props[name] = _convert(sub, strict=strict and not lax_here)
    if (root or embedded) and strict and not preserve:
        for name in _META_FIELDS:
            out_props.setdefault(name, {})
        if embedded:
            out_props["metadata"] = _embedded_metadata(out_props["metadata"])
    if out_props:
        out["properties"] = out_props
    if embedded:
        out[EMBEDDED_KEYWORD] = True

    additional = schema.get("additionalProperties")
    if isinstance(additional, dict):
        out["additionalProperties"] = _convert(additional, strict=strict)
    elif isinstance(additional, bool):
        out["additionalProperties"] = additional
    elif strict and not preserve and _is_object(schema):
        out["additionalProperties"] = False

    items = schema.get("items")
    if isinstance(items, dict):
        out["items"] = _convert(items, strict=strict)
    elif isinstance(items, list):
        out["items"] = [_convert(s, strict=strict) for s in items]

    for junctor in ("allOf", "anyOf", "oneOf"):
        subs = schema.get(junctor)
        if not isinstance(subs, list) or (junctor == "anyOf" and int_or_string and _int_or_string_any_of(subs)):
            continue
        out[junctor] = [_convert(s, strict=False) for s in subs]
    if isinstance(schema.get("not"), dict):
        out["not"] = _convert(schema["not"], strict=False)

    list_type = schema.get("x-kubernetes-list-type")
    if list_type == "set":
        out[LIST_SET_KEYWORD] = True
    elif list_type == "map":
        keys = list(schema.get("x-kubernetes-list-map-keys") or [])
        item_props = items.get("properties", {}) if isinstance(items, dict) else {}
        defaults = {k: item_props[k]["default"] for k in keys if "default" in item_props.get(k, {})}
        out[LIST_MAP_KEYWORD] = {"keys": keys, "defaults": defaults}
        needed = [k for k in keys if "default" not in item_props.get(k, {})]
        if needed and isinstance(out.get("items"), dict):
            have = out["items"].setdefault("required", [])
            have.extend(k for k in needed if k not in have)
    return out


def _embedded_metadata(declared: dict[str, Any]) -> dict[str, Any]:
    """ObjectMeta of an embedded resource: only ObjectMeta's own fields survive pruning."""
    props = dict(declared.get("properties") or {})
    for key in OBJECT_META_KEYS:
        props.setdefault(key, {})
    return {**declared, "type": "object", "properties": props, "additionalProperties": False}
