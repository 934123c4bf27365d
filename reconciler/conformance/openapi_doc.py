"""JSON Schemas from a generated OpenAPI 3.0 document (Katib's `api/openapi-spec/swagger.json`).

The document's `components.schemas` become Draft 4 `definitions` with their `$ref`s
rewritten, so jsonschema-rs resolves them inside one compiled validator. These schemas
describe Go types that a controller decodes; in strict mode every object with declared
properties rejects undeclared keys, since Go's decoder would silently drop them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import jsonschema_rs

from reconciler.conformance.formats import FORMAT_CHECKERS
from reconciler.conformance.structural import violations_of
from reconciler.conformance.violations import FieldViolation

_REF_PREFIX = "#/components/schemas/"
_COPIED = ("enum", "required", "minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems", "pattern")


def convert_document(doc: Mapping[str, Any], *, strict: bool) -> dict[str, Any]:
    """All component schemas of an OpenAPI 3.0 document as Draft 4 definitions."""
    components = (doc.get("components") or {}).get("schemas") or {}
    return {name: _convert(schema, strict) for name, schema in components.items()}


def ref(name: str) -> dict[str, str]:
    """A `$ref` to a converted definition."""
    return {"$ref": f"#/definitions/{name}"}


def _convert(schema: Mapping[str, Any], strict: bool) -> dict[str, Any]:
    target = schema.get("$ref")
    if isinstance(target, str):
        return ref(target.removeprefix(_REF_PREFIX))
    all_of = schema.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1 and "$ref" in all_of[0] and "properties" not in schema:
        return _convert(all_of[0], strict)
    out: dict[str, Any] = {}
    types = _types(schema)
    if types:
        out["type"] = types[0] if len(types) == 1 else types
    for key in _COPIED:
        if key in schema and not (key == "required" and not schema[key]):
            out[key] = schema[key]
    if schema.get("format") in FORMAT_CHECKERS:
        out["format"] = schema["format"]
    props = schema.get("properties")
    if isinstance(props, dict):
        out["properties"] = {name: _convert(sub, strict) for name, sub in props.items()}
    additional = schema.get("additionalProperties")
    if isinstance(additional, dict):
        out["additionalProperties"] = _convert(additional, strict)
    elif isinstance(additional, bool):
        out["additionalProperties"] = additional
    elif strict and isinstance(props, dict):
        out["additionalProperties"] = False
    items = schema.get("items")
    if isinstance(items, dict):
        out["items"] = _convert(items, strict)
    for junctor in ("allOf", "anyOf"):
        if isinstance(schema.get(junctor), list):
            out[junctor] = [_convert(s, strict) for s in schema[junctor]]
    return out


def _types(schema: Mapping[str, Any]) -> list[str]:
    """`type`, or the type union of `format: int-or-string` / a oneOf of bare types (Quantity)."""
    if schema.get("format") == "int-or-string":
        return ["integer", "string"]
    one_of = schema.get("oneOf")
    if isinstance(one_of, list) and all(isinstance(s, dict) and set(s) == {"type"} for s in one_of):
        return [s["type"] for s in one_of]
    kind = schema.get("type")
    return [kind] if isinstance(kind, str) else []


def compile_schema(root: dict[str, Any]) -> jsonschema_rs.Validator:
    """A Draft 4 validator with kube's format checkers."""
    return jsonschema_rs.Draft4Validator(root, formats=FORMAT_CHECKERS, validate_formats=True)


def drop_nulls(value: Any) -> Any:
    """Go's decoder ignores JSON nulls; so do we before explaining errors."""
    if isinstance(value, Mapping):
        return {k: drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_nulls(v) for v in value]
    return value


def explain(
    validator: jsonschema_rs.Validator,
    obj: Any,
    *,
    prefix: str = "",
    tolerate: Callable[[Any], bool] | None = None,
) -> list[FieldViolation]:
    """Violations of `obj`; `prefix` is prepended to paths, `tolerate(instance)` skips errors."""
    if validator.is_valid(obj):
        return []
    found: list[FieldViolation] = []
    for err in validator.iter_errors(drop_nulls(obj)):
        if tolerate is not None and tolerate(err.instance):
            continue
        found.extend(violations_of(err, prefix=prefix))
    return list(dict.fromkeys(found))

