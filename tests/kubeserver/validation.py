"""Custom-resource decoding against the CRD schema: unknown fields, pruning, 422 causes.

The validator itself is `reconciler.conformance.structural` (one validator in the project);
this module only wires it to the request: strict decoding, warnings, pruning order.
"""

from __future__ import annotations

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
    if not unknown:
        return obj, warnings
    pruned = schema.prune(obj)
    for key in _TOP:
        if key in obj:
            pruned[key] = obj[key]
    return pruned, warnings


def schema_causes(version: Version, obj: dict[str, Any]) -> list[dict[str, str]]:
    """StatusCauses for schema violations (metadata is checked separately)."""
    out = []
    for v in _schema(version).validate(obj):
        if v.field.split(".", 1)[0].split("[", 1)[0] == "metadata":
            continue
        out.append(cause(v.field, v.reason, v.message))
    return out
