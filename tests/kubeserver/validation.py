"""Custom-resource decoding against the CRD schema: unknown fields, pruning, 422 causes.

The validator itself is `reconciler.conformance.structural` (one validator in the project);
this module only wires it to the request: strict decoding, warnings, pruning order.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from tests.kubeserver.errors import bad_request, cause
from tests.kubeserver.resources import Version

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
        raise bad_request(
            "strict decoding error: " + ", ".join(f"unknown field {json.dumps(p)}" for p in unknown)
        )
    warnings = [f"unknown field {json.dumps(p)}" for p in unknown] if validation == "Warn" else []
    if unknown:
        pruned = schema.prune(obj)
        for key in _TOP:
            if key in obj:
                pruned[key] = obj[key]
        obj = pruned
    _default(version.schema or {}, obj)
    return obj, warnings


def _default(schema: Any, value: Any) -> None:
    """Structural defaulting: absent (or non-nullable null) properties take `default`."""
    if not isinstance(schema, dict):
        return
    if isinstance(value, dict):
        for name, sub in (schema.get("properties") or {}).items():
            if not isinstance(sub, dict):
                continue
            if "default" in sub and (name not in value or (value[name] is None and not sub.get("nullable"))):
                value[name] = copy.deepcopy(sub["default"])
            if name in value:
                _default(sub, value[name])
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for key, sub_value in value.items():
                if key not in (schema.get("properties") or {}):
                    _default(extra, sub_value)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            _default(schema["items"], item)


def schema_causes(version: Version, obj: dict[str, Any]) -> list[dict[str, str]]:
    """StatusCauses for schema violations (metadata is checked separately)."""
    out = []
    for v in _schema(version).validate(obj):
        if v.field.split(".", 1)[0].split("[", 1)[0] == "metadata":
            continue
        out.append(cause(v.field, v.reason, v.message))
    return out
