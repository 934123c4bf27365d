"""Checks for the Kubernetes schema extensions JSON Schema cannot express.

`x-kubernetes-list-type: set|map` (duplicates, as in apiextensions' listtype package) and
`x-kubernetes-embedded-resource` (apiVersion/kind, as in objectmeta's validateEmbeddedResource).
Each check exists twice: a jsonschema-rs keyword class (raises on the fast path, so
`is_valid` stays a single native call) and a function producing kube-worded violations.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.conformance.names import is_dns1035_label
from reconciler.conformance.violations import FieldViolation, child, duplicate, invalid, required

LIST_SET_KEYWORD = "x-kube-list-set"
LIST_MAP_KEYWORD = "x-kube-list-map"
EMBEDDED_KEYWORD = "x-kube-embedded"


def _hashable(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def list_set_violations(path: str, items: Any) -> list[FieldViolation]:
    """Every repeated element of a list-type set, reported at its index."""
    if not isinstance(items, list):
        return []
    seen: set[str] = set()
    out: list[FieldViolation] = []
    for i, item in enumerate(items):
        key = _hashable(item)
        if key in seen:
            out.append(duplicate(f"{path}[{i}]", item))
        seen.add(key)
    return out


def list_map_violations(
    path: str, items: Any, keys: Sequence[str], defaults: Mapping[str, Any] | None = None
) -> list[FieldViolation]:
    """Elements of a list-type map that repeat the key fields (or their defaults) of an earlier one."""
    defaults = defaults or {}
    if not isinstance(items, list):
        return []
    out: list[FieldViolation] = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) and item is not None:
            out.append(invalid(f"{path}[{i}]", item, "must be an object for an array of list-type map"))
    if out or len(items) < 2:
        return out
    seen: set[str] = set()
    for i, item in enumerate(items):
        if item is None:
            continue
        key_values = {k: item[k] if k in item else defaults[k] for k in keys if k in item or k in defaults}
        key = _hashable(key_values)
        if key in seen:
            out.append(duplicate(f"{path}[{i}]", key_values))
        seen.add(key)
    return out


def _parse_group_version(api_version: str) -> str | None:
    """Error text of schema.ParseGroupVersion, or None when it parses."""
    if api_version in ("", "/") or api_version.count("/") <= 1:
        return None
    return f"unexpected GroupVersion string: {api_version}"


def embedded_violations(path: str, obj: Any) -> list[FieldViolation]:
    """apiVersion and kind of an x-kubernetes-embedded-resource object."""
    if not isinstance(obj, dict):
        return []
    out: list[FieldViolation] = []
    for key in ("apiVersion", "kind"):
        if key not in obj:
            out.append(required(child(path, key), "must not be empty"))
    api_version = obj.get("apiVersion")
    if "apiVersion" in obj:
        where = child(path, "apiVersion")
        if not isinstance(api_version, str):
            out.append(invalid(where, api_version, "must be a string"))
        elif not api_version:
            out.append(invalid(where, api_version, "must not be empty"))
        elif (err := _parse_group_version(api_version)) is not None:
            out.append(invalid(where, api_version, err))
    if "kind" in obj:
        kind = obj["kind"]
        where = child(path, "kind")
        if not isinstance(kind, str):
            out.append(invalid(where, kind, "must be a string"))
        elif not kind:
            out.append(invalid(where, kind, "must not be empty"))
        elif errs := is_dns1035_label(kind.lower()):
            out.append(invalid(where, kind, "may have mixed case, but should otherwise match: " + ",".join(errs)))
    return out


class ListSetKeyword:
    """jsonschema-rs keyword: fails when a list-type set repeats an element."""

    def __init__(self, parent_schema: dict[str, Any], value: Any, schema_path: list[str | int]) -> None:
        del parent_schema, value, schema_path

    def validate(self, instance: Any) -> None:
        if list_set_violations("", instance):
            raise ValueError("duplicate entries in list-type set")


class ListMapKeyword:
    """jsonschema-rs keyword: fails when a list-type map repeats a key."""

    def __init__(self, parent_schema: dict[str, Any], value: Any, schema_path: list[str | int]) -> None:
        del parent_schema, schema_path
        self.spec: dict[str, Any] = dict(value)

    def validate(self, instance: Any) -> None:
        if list_map_violations("", instance, self.spec["keys"], self.spec["defaults"]):
            raise ValueError(json.dumps(self.spec))


class EmbeddedKeyword:
    """jsonschema-rs keyword: fails when an embedded resource lacks a valid apiVersion/kind."""

    def __init__(self, parent_schema: dict[str, Any], value: Any, schema_path: list[str | int]) -> None:
        del parent_schema, value, schema_path

    def validate(self, instance: Any) -> None:
        if embedded_violations("", instance):
            raise ValueError("invalid embedded resource")


KEYWORDS: dict[str, Any] = {
    LIST_SET_KEYWORD: ListSetKeyword,
    LIST_MAP_KEYWORD: ListMapKeyword,
    EMBEDDED_KEYWORD: EmbeddedKeyword,
}
