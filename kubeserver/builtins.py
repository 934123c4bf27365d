"""Defaulting, decoding and validation specific to the built-in kinds served."""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from reconciler.quantity import QuantityError, canonical
from kubeserver.errors import bad_request, cause
from kubeserver.meta import crd_errors
from kubeserver.mergeschema import BUILTIN
from kubeserver.resources import ResourceType

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


def undecodable(kind: str, version: str, why: str) -> str:
    """The message of a 400 from the apiserver's decoder."""
    return f'{kind} in version "{version}" cannot be handled as a {kind}: {why}'


_QUANTITY_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
# Quantity maps of the kinds served (resource.Quantity fields are stored canonical: 1024Mi -> 1Gi).
_QUANTITY_MAPS = {"persistentvolumeclaims": (("spec", "resources", "requests"), ("spec", "resources", "limits"),
                                             ("status", "capacity"), ("status", "allocatedResources"))}


# Top-level maps and lists of the Go types with `omitempty`: gone when empty.
_OMITTED_WHEN_EMPTY = {"configmaps": ("data", "binaryData"), "secrets": ("data", "stringData"),
                       "serviceaccounts": ("secrets", "imagePullSecrets")}


def _canonical_quantities(rtype: ResourceType, obj: dict[str, Any]) -> None:
    for path in _QUANTITY_MAPS.get(rtype.plural, ()):
        parent: Any = obj
        for part in path[:-1]:
            parent = parent.get(part) if isinstance(parent, dict) else None
        values = parent.get(path[-1]) if isinstance(parent, dict) else None
        if not isinstance(values, dict):
            continue
        try:
            canonical_values = {k: canonical(v) for k, v in values.items()}
        except QuantityError:
            raise bad_request(undecodable(rtype.kind, "v1", _QUANTITY_ERROR)) from None
        if canonical_values != values:  # stored values are canonical: this map is the request's
            parent[path[-1]] = canonical_values


def decode(rtype: ResourceType, obj: dict[str, Any]) -> None:
    """Typed decoding of a built-in (in place): quantities made canonical, empty `omitempty`
    fields dropped; failures are 400s, like the apiserver's decoder."""
    kind = rtype.kind
    _canonical_quantities(rtype, obj)
    for fname in _OMITTED_WHEN_EMPTY.get(rtype.plural, ()):
        if fname in obj and isinstance(obj[fname], (dict, list, type(None))) and not obj[fname]:
            del obj[fname]
    if rtype.plural in ("configmaps", "secrets"):
        for fname in ("data", "stringData", "binaryData"):
            data = obj.get(fname)
            if data is None:
                continue
            if not isinstance(data, dict):
                raise bad_request(undecodable(
                    kind, "v1", f"json: cannot unmarshal {_json_type(data)} into Go struct field "
                    f"{kind}.{fname} of type map[string]string"))
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
    """Defaults the apiserver's decoder applies (in place); the writer's managedFields include them."""
    plural = rtype.plural
    meta = obj["metadata"]
    if plural == "namespaces":
        meta["labels"] = {**(meta.get("labels") or {}),
                          "kubernetes.io/metadata.name": meta.get("name", "")}
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


PVC_PROTECTION = "kubernetes.io/pvc-protection"  # also in cluster.py (the controller's side)


def prepare(rtype: ResourceType, obj: dict[str, Any], live: dict[str, Any] | None) -> None:
    """What the registry strategy (PrepareForCreate/Update) and mutating admission change after
    the field manager ran (in place): the writer's managedFields do not include it."""
    plural = rtype.plural
    meta = obj["metadata"]
    if plural == "namespaces":
        if live is not None:  # spec (finalizers) changes only through /finalize
            if "spec" in live:
                obj["spec"] = live["spec"]
            else:
                obj.pop("spec", None)
            return
        spec = obj["spec"] = dict(obj.get("spec") or {})
        finalizers = list(spec.get("finalizers") or [])
        if "kubernetes" not in finalizers:
            finalizers.append("kubernetes")
        spec["finalizers"] = finalizers
        obj["status"] = {"phase": "Active"}
    elif plural == "events":
        # `eventTime` (a MicroTime without omitempty) reads back as null when not set; never owned.
        obj.setdefault("eventTime", None)
    elif plural == "persistentvolumeclaims" and live is None:
        # StorageObjectInUseProtection admission; the pvc-protection controller removes it.
        finalizers = list(meta.get("finalizers") or [])
        if PVC_PROTECTION not in finalizers:
            meta["finalizers"] = [*finalizers, PVC_PROTECTION]


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
    elif plural == "persistentvolumeclaims":
        out += _claim_causes(obj, live)
    elif plural == "leases":
        spec = obj.get("spec") or {}
        for fname in ("leaseDurationSeconds", "leaseTransitions"):
            value = spec.get(fname)
            if value is not None and (not isinstance(value, int) or value < 0):
                out.append(cause(f"spec.{fname}", "FieldValueInvalid",
                                 f"Invalid value: {json.dumps(value)}: must be greater than or "
                                 "equal to 0"))
    return out


_ACCESS_MODES = ("ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod")
_IMMUTABLE_CLAIM = ("Forbidden: spec is immutable after creation except resources.requests and "
                    "volumeAttributesClassName for bound claims")


def _claim_causes(obj: dict[str, Any], live: dict[str, Any] | None) -> list[dict[str, str]]:
    """ValidatePersistentVolumeClaim(Update), the parts a claim without volumes meets."""
    raw = obj.get("spec")
    spec: dict[str, Any] = raw if isinstance(raw, dict) else {}
    out = []
    modes = spec.get("accessModes") or []
    if not modes:
        out.append(cause("spec.accessModes", "FieldValueRequired",
                         "Required value: at least 1 access mode is required"))
    supported = ", ".join(json.dumps(m) for m in _ACCESS_MODES)
    for mode in modes:
        if mode not in _ACCESS_MODES:
            out.append(cause("spec.accessModes", "FieldValueNotSupported",
                             f"Unsupported value: {json.dumps(mode)}: supported values: {supported}"))
    requests = (spec.get("resources") or {}).get("requests") or {}
    if "storage" not in requests:
        out.append(cause("spec.resources[storage]", "FieldValueRequired", "Required value"))
    if live is not None:
        old = dict(live.get("spec") or {})
        new = dict(spec)
        if not old.get("volumeName"):  # binding sets volumeName once
            old.pop("volumeName", None)
            new.pop("volumeName", None)
        if (live.get("status") or {}).get("phase") == "Bound":  # expansion of bound claims
            for side in (old, new):
                resources = dict(side.get("resources") or {})
                resources.pop("requests", None)
                side["resources"] = resources
                side.pop("volumeAttributesClassName", None)
        if old != new:
            # The real message goes on with a diff of the Go structs ("\n@@ -1,6 +1,6 @@...").
            out.append(cause("spec", "FieldValueForbidden", _IMMUTABLE_CLAIM))
    return out
