"""Validate objects against a CRD structural schema the way kube-apiserver does.

`StructuralSchema` compiles one CRD version's openAPIV3Schema into a jsonschema-rs
validator (lazily, once) and reports `FieldViolation`s worded like the causes of a 422.
The fast path is one native `is_valid` call; only an invalid object is walked again
(pruned and null-cleaned like the apiserver's decoder, then `iter_errors`) to explain.

Covered: type, required (minus defaulted fields), enum, pattern, minimum/maximum and the
exclusive forms, minLength/maxLength, minItems/maxItems, uniqueItems, multipleOf,
min/maxProperties, allOf/anyOf/oneOf/not, nullable, x-kubernetes-int-or-string,
x-kubernetes-preserve-unknown-fields, x-kubernetes-embedded-resource,
x-kubernetes-list-type set/map duplicates, and the string formats in `formats`.
Not covered: x-kubernetes-validations (CEL rules are skipped), defaulting (a defaulted
field only counts as present), ratcheting on update, and the status subresource (a
`status` present in the object is validated like any other field).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from typing import Any

import jsonschema_rs

from reconciler.conformance.extensions import (
    EMBEDDED_KEYWORD,
    KEYWORDS,
    LIST_MAP_KEYWORD,
    LIST_SET_KEYWORD,
    embedded_violations,
    list_map_violations,
    list_set_violations,
)
from reconciler.conformance.formats import FORMAT_CHECKERS
from reconciler.conformance.openapi import META_NODE, Node, build_tree, to_json_schema
from reconciler.conformance.violations import (
    FieldViolation,
    child,
    go_float,
    go_quote,
    invalid,
    join_path,
    jsonable,
    not_supported,
    required,
    too_long,
    too_many,
    type_invalid,
    unknown_field,
)

__all__ = ["FieldViolation", "StructuralSchema", "crd_schemas", "violations_of"]

_ROOT_META = ("apiVersion", "kind", "metadata")


class StructuralSchema:
    """One CRD version's openAPIV3Schema, compiled once (jsonschema-rs)."""

    __slots__ = ("_schema", "_validators", "_tree")

    def __init__(self, openapi_v3_schema: Mapping[str, Any]) -> None:
        self._schema: dict[str, Any] = dict(openapi_v3_schema)
        self._validators: dict[bool, jsonschema_rs.Validator] = {}
        self._tree: Node | None = None

    def validate(self, obj: Mapping[str, Any], *, strict: bool = False) -> list[FieldViolation]:
        """Violations kube-apiserver would report for `obj` (empty when it would accept it).

        strict=True also reports every field the schema does not declare, as
        `fieldValidation=Strict` does ('unknown field "spec.foo"', FieldValueUnknown).
        """
        try:
            if self._validator(strict).is_valid(obj):
                return []
        except (TypeError, ValueError):  # e.g. a datetime from an unquoted YAML timestamp
            obj = jsonable(obj)
            if self._validator(strict).is_valid(obj):
                return []
        unknown: list[str] = []
        cleaned = _walk(obj, self.tree, "", unknown, drop_nulls=True, root=True)
        found = [v for err in self._validator(False).iter_errors(cleaned) for v in violations_of(err)]
        if strict:
            found.extend(unknown_field(path) for path in unknown)
        return list(dict.fromkeys(found))

    def unknown_fields(self, obj: Mapping[str, Any]) -> list[str]:
        """Paths (`spec.a[0].b`) of fields the schema does not declare; kube would drop them."""
        unknown: list[str] = []
        _walk(obj, self.tree, "", unknown, drop_nulls=False, root=True)
        return unknown

    def prune(self, obj: Mapping[str, Any]) -> dict[str, Any]:
        """A deep copy of `obj` without the fields the schema does not declare."""
        pruned = _walk(obj, self.tree, "", [], drop_nulls=False, root=True)
        return copy.deepcopy(pruned) if isinstance(pruned, dict) else {}

    @property
    def tree(self) -> Node:
        """The pruning tree (built on first use)."""
        if self._tree is None:
            self._tree = build_tree(self._schema)
        return self._tree

    def _validator(self, strict: bool) -> jsonschema_rs.Validator:
        validator = self._validators.get(strict)
        if validator is None:
            validator = jsonschema_rs.Draft4Validator(
                to_json_schema(self._schema, strict=strict),
                formats=FORMAT_CHECKERS,
                validate_formats=True,
                keywords=KEYWORDS,
            )
            self._validators[strict] = validator
        return validator


def crd_schemas(crd: Mapping[str, Any]) -> dict[str, StructuralSchema]:
    """Served version name -> schema of a CustomResourceDefinition (compiled on first use)."""
    spec = crd.get("spec") or {}
    shared = (spec.get("validation") or {}).get("openAPIV3Schema")
    out: dict[str, StructuralSchema] = {}
    for version in spec.get("versions") or []:
        if not version.get("served", True):
            continue
        schema = (version.get("schema") or {}).get("openAPIV3Schema") or shared
        if schema is None:
            schema = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
        out[version["name"]] = StructuralSchema(schema)
    return out


def _walk(value: Any, node: Node | None, path: str, unknown: list[str], *, drop_nulls: bool, root: bool = False) -> Any:
    """Copy `value` as kube's pruning does, recording the paths it drops."""
    if isinstance(value, list):
        items = node.items if node is not None else None
        return [_walk(v, items, f"{path}[{i}]", unknown, drop_nulls=drop_nulls) for i, v in enumerate(value)]
    if not isinstance(value, Mapping):
        return value
    out: dict[str, Any] = {}
    for key, sub_value in value.items():
        where = child(path, str(key))
        if node is not None and (node.embedded or root) and key in _ROOT_META:
            if key == "metadata" and not root and not node.preserve:
                out[key] = _walk(sub_value, META_NODE, where, unknown, drop_nulls=drop_nulls)
            else:
                out[key] = sub_value
            continue
        sub = None if node is None else node.props.get(key) or node.additional
        if sub is None:
            if node is not None and (node.preserve or node.additional_any):
                out[key] = sub_value
            else:
                unknown.append(where)
            continue
        if sub_value is None and drop_nulls and not sub.nullable:
            continue  # kube drops non-nullable nulls (or defaults them) before validating
        out[key] = _walk(sub_value, sub, where, unknown, drop_nulls=drop_nulls)
    return out


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    return "object"


def _limit(value: Any) -> str:
    return go_float(float(value)) if isinstance(value, (int, float)) else str(value)


_BOUNDS = {
    "minimum": "should be greater than or equal to",
    "exclusiveMinimum": "should be greater than",
    "maximum": "should be less than or equal to",
    "exclusiveMaximum": "should be less than",
}


def violations_of(err: jsonschema_rs.ValidationError, *, prefix: str = "") -> Iterator[FieldViolation]:
    """kube wording for one jsonschema-rs error (kubeOpenAPIResultToFieldErrors).

    `prefix` is the path of the validated value inside a larger object (e.g. an embedded
    template), so fields and messages name the full path.
    """
    path = join_path([prefix, *err.instance_path] if prefix else err.instance_path)
    kind = err.kind
    name = kind.name
    inst: Any = err.instance
    body = f"{path} in body"
    if name == "required":
        yield required(child(path, str(kind.as_dict().get("property", ""))))
    elif name == "type":
        types = [t for t in kind.as_dict().get("types", []) if t != "null"]
        if isinstance(inst, float) and inst.is_integer() and "integer" in types:
            return  # kube accepts 1.0 where an integer is expected
        actual = _json_type(inst)
        yield type_invalid(path, actual, f"{body} must be of type {','.join(types)}: {go_quote(actual)}")
    elif name == "enum":
        options = kind.as_dict().get("options", [])
        yield not_supported(path, inst, [o if isinstance(o, str) else json.dumps(o) for o in options])
    elif name == "pattern":
        yield invalid(path, inst, f"{body} should match '{kind.as_dict().get('pattern')}'")
    elif name in _BOUNDS:
        yield invalid(path, inst, f"{body} {_BOUNDS[name]} {_limit(kind.as_dict().get('limit'))}")
    elif name == "minLength":
        yield invalid(path, inst, f"{body} should be at least {kind.as_dict().get('limit')} chars long")
    elif name == "maxLength":
        yield too_long(path, int(kind.as_dict().get("limit", -1)))
    elif name == "minItems":
        yield invalid(path, len(inst), f"{body} should have at least {kind.as_dict().get('limit')} items")
    elif name in ("maxItems", "maxProperties"):
        yield too_many(path, len(inst), int(kind.as_dict().get("limit", -1)))
    elif name == "minProperties":
        limit = kind.as_dict().get("limit")
        yield invalid(path, limit, f"{body} should have at least {limit} properties")
    elif name == "uniqueItems":
        yield invalid(path, "", f"{body} shouldn't contain duplicates")
    elif name == "multipleOf":
        yield invalid(path, inst, f"{body} should be a multiple of {_limit(kind.as_dict().get('multiple_of'))}")
    elif name == "format":
        fmt = kind.as_dict().get("format")
        yield type_invalid(path, inst, f"{body} must be of type {fmt}: {go_quote(str(inst))}")
    elif name == "anyOf":
        yield invalid(path, "", f"{go_quote(path)} must validate at least one schema (anyOf)")
    elif name.startswith("oneOf"):
        yield invalid(path, "", f"{go_quote(path)} must validate one and only one schema (oneOf)")
    elif name == "not":
        yield invalid(path, "", f"{go_quote(path)} must not validate the schema (not)")
    elif name == "additionalProperties":
        for key in kind.as_dict().get("unexpected", []):
            yield unknown_field(child(path, key))
    elif name == LIST_SET_KEYWORD:
        yield from list_set_violations(path, inst)
    elif name == LIST_MAP_KEYWORD:
        spec = json.loads(str(kind.as_dict().get("message", "{}")))
        yield from list_map_violations(path, inst, spec.get("keys", []), spec.get("defaults"))
    elif name == EMBEDDED_KEYWORD:
        yield from embedded_violations(path, inst)
    else:
        yield invalid(path, inst, err.message)
