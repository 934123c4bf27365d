"""Custom-resource decoding against the CRD schema: unknown fields, pruning, 422 causes.

The validator itself is `reconciler.conformance.structural` (one validator in the project);
this module only wires it to the request: strict decoding, warnings, pruning order.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

from kubeserver.errors import bad_request, cause
from kubeserver.resources import Version

_TOP = ("apiVersion", "kind", "metadata")


def _schema(version: Version) -> Any:
    if version._validator is None:
        from reconciler.conformance.structural import StructuralSchema

        version._validator = StructuralSchema(version.schema or {})
    return version._validator


def decode_custom(
    version: Version, obj: dict[str, Any], validation: str
) -> tuple[dict[str, Any], list[str]]:
    """Pruned object and warnings; 400 for unknown fields under `fieldValidation=Strict`."""
    schema = _schema(version)
    unknown = [
        p for p in schema.unknown_fields(obj)
        if p.split(".", 1)[0].split("[", 1)[0] not in _TOP
    ]
    if unknown and validation == "Strict":
        kind = obj.get("kind", "")
        raise bad_request(
            f'{kind} in version "{version.name}" cannot be handled as a {kind}: strict decoding error: '
            + ", ".join(f"unknown field {json.dumps(p)}" for p in unknown)
        )
    warnings = [f"unknown field {json.dumps(p)}" for p in unknown] if validation == "Warn" else []
    if unknown:
        pruned = schema.prune(obj)
        for key in _TOP:
            if key in obj:
                pruned[key] = obj[key]
        obj = pruned
    _default(_defaulter(version), obj)
    return obj, warnings


@dataclass(slots=True, frozen=True)
class Prop:
    """A property that has a default, or defaults below it."""

    name: str
    has_default: bool
    default: Any
    nullable: bool
    child: Defaulter | None


@dataclass(slots=True, frozen=True)
class Defaulter:
    """The parts of a schema node that carry defaults; subtrees without any are left out."""

    props: tuple[Prop, ...] = ()
    known: frozenset[str] = frozenset()  # every declared property (additionalProperties: the rest)
    extra: Defaulter | None = None
    items: Defaulter | None = None


def _defaulter(version: Version) -> Defaulter:
    if version._defaulter is None:
        version._defaulter = _compile(version.schema or {}) or Defaulter()
    return version._defaulter  # type: ignore[no-any-return]


def _compile(schema: Any) -> Defaulter | None:
    """The defaulting tree of a schema node; None when nothing under it has a default."""
    if not isinstance(schema, dict):
        return None
    declared = schema.get("properties") or {}
    props = []
    for name, sub in declared.items():
        if not isinstance(sub, dict):
            continue
        child = _compile(sub)
        if "default" in sub or child is not None:
            props.append(Prop(name, "default" in sub, sub.get("default"), bool(sub.get("nullable")), child))
    extra, items = schema.get("additionalProperties"), schema.get("items")
    node = Defaulter(tuple(props), frozenset(declared), _compile(extra) if isinstance(extra, dict) else None,
                     _compile(items) if isinstance(items, dict) else None)
    if not node.props and node.extra is None and node.items is None:
        return None
    return node


def _default(node: Defaulter, value: Any) -> None:
    """Structural defaulting: absent (or non-nullable null) properties take `default`."""
    if isinstance(value, dict):
        for prop in node.props:
            name = prop.name
            if prop.has_default and (name not in value or (value[name] is None and not prop.nullable)):
                value[name] = copy.deepcopy(prop.default)
            if prop.child is not None and name in value:
                _default(prop.child, value[name])
        if node.extra is not None:
            for key, sub_value in value.items():
                if key not in node.known:
                    _default(node.extra, sub_value)
    elif isinstance(value, list) and node.items is not None:
        for item in value:
            _default(node.items, item)


def schema_causes(version: Version, obj: dict[str, Any]) -> list[dict[str, str]]:
    """StatusCauses for schema violations (metadata is checked separately)."""
    out = []
    for v in _schema(version).validate(obj):
        if v.field.split(".", 1)[0].split("[", 1)[0] == "metadata":
            continue
        out.append(cause(v.field, v.reason, v.message))
    return out
