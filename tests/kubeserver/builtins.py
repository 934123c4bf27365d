"""Defaulting, decoding and validation specific to the built-in kinds served."""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from tests.kubeserver.errors import bad_request, cause
from tests.kubeserver.meta import crd_errors
from tests.kubeserver.mergeschema import BUILTIN
from tests.kubeserver.resources import ResourceType

_CONFIG_KEY = r"[-._a-zA-Z0-9]+"
_CONFIG_KEY_MSG = (
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. "
    "'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '"
    + _CONFIG_KEY + "')"
)


def unknown_top_level(rtype: ResourceType, obj: dict[str, Any]) -> list[str]:
    """Top-level fields a typed built-in would not decode."""
    node = BUILTIN.get(rtype.plural)
    if node is None:
        return []
    return [k for k in obj if k not in node.fields]


def decode(rtype: ResourceType, obj: dict[str, Any]) -> None:
    """Typed-decoding failures of a built-in (400, like the apiserver's decoder)."""
    kind = rtype.kind
    if rtype.plural in ("configmaps", "secrets"):
        for fname in ("data", "stringData", "binaryData"):
            data = obj.get(fname)
            if data is None:
                continue
            if not isinstance(data, dict):
                raise bad_request(
                    f'{kind} in version "v1" cannot be handled as a {kind}: json: cannot '
                    f"unmarshal {_json_type(data)} into Go struct field {kind}.{fname} of type "
                    "map[string]string"
                )
            for value in data.values():
                if not isinstance(value, str):
                    raise bad_request(
                        f'{kind} in version "v1" cannot be handled as a {kind}: json: cannot '
                        f"unmarshal {_json_type(value)} into Go struct field {kind}.{fname} of "
                        "type string"
                    )
                if fname == "data" and rtype.plural == "secrets" or fname == "binaryData":
                    try:
                        base64.b64decode(value, validate=True)
                    except (binascii.Error, ValueError):
                        raise bad_request(
                            f'{kind} in version "v1" cannot be handled as a {kind}: illegal '
                            "base64 data at input byte 0"
                        ) from None


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "string"


def default(rtype: ResourceType, obj: dict[str, Any], creating: bool) -> None:
    """Defaults the apiserver applies (in place)."""
    plural = rtype.plural
    meta = obj["metadata"]
    if plural == "namespaces":
        meta["labels"] = {**(meta.get("labels") or {}),
                          "kubernetes.io/metadata.name": meta.get("name", "")}
        if creating:
            obj["spec"] = {"finalizers": ["kubernetes"], **(obj.get("spec") or {})}
            obj["status"] = {"phase": "Active"}
    elif plural == "secrets":
        obj.setdefault("type", "Opaque")
        string_data = obj.pop("stringData", None)
        if string_data:
            data = dict(obj.get("data") or {})
            for k, v in string_data.items():
                data[k] = base64.b64encode(str(v).encode()).decode()
            obj["data"] = data
    elif plural == "persistentvolumeclaims":
        spec = obj.setdefault("spec", {})
        if isinstance(spec, dict):
            spec.setdefault("volumeMode", "Filesystem")
        if creating:
            obj["status"] = {"phase": "Pending"}
    elif plural == "customresourcedefinitions":
        spec = obj.get("spec")
        if isinstance(spec, dict):
            spec.setdefault("conversion", {"strategy": "None"})
        if creating:
            fins = list(meta.get("finalizers") or [])
            if "customresourcecleanup.apiextensions.k8s.io" not in fins:
                fins.append("customresourcecleanup.apiextensions.k8s.io")
            meta["finalizers"] = fins


def causes(rtype: ResourceType, obj: dict[str, Any], live: dict[str, Any] | None) -> list[dict[str, str]]:
    """Validation causes for a built-in object beyond ObjectMeta."""
    plural = rtype.plural
    out: list[dict[str, str]] = []
    if plural in ("configmaps", "secrets"):
        keys = list((obj.get("data") or {})) + list((obj.get("binaryData") or {}))
        for key in keys:
            if not re.fullmatch(_CONFIG_KEY, key):
                out.append(cause(f"data[{key}]", "FieldValueInvalid",
                                 f"Invalid value: {json.dumps(key)}: {_CONFIG_KEY_MSG}"))
        if live is not None and live.get("immutable"):
            for fname in ("data", "binaryData", "immutable"):
                if obj.get(fname) != live.get(fname):
                    out.append(cause(fname, "FieldValueForbidden",
                                     "Forbidden: field is immutable when `immutable` is set"))
    elif plural == "customresourcedefinitions":
        out += crd_errors(obj)
    elif plural == "leases":
        spec = obj.get("spec") or {}
        for fname in ("leaseDurationSeconds", "leaseTransitions"):
            value = spec.get(fname)
            if value is not None and (not isinstance(value, int) or value < 0):
                out.append(cause(f"spec.{fname}", "FieldValueInvalid",
                                 f"Invalid value: {json.dumps(value)}: must be greater than or "
                                 "equal to 0"))
    return out
