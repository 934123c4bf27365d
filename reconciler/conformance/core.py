"""Object metadata rules, and minimal checks of core `v1` Namespace and PersistentVolumeClaim.

Metadata follows apimachinery's ValidateObjectMeta (name, namespace, labels,
annotations). The core kinds get what a rendered object can plausibly get wrong
(k8s.io/kubernetes pkg/apis/core/validation): names, PVC access modes, storage request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from reconciler.conformance.names import (
    is_dns1123_label,
    is_dns1123_subdomain,
    is_namespace_name,
    validate_annotations,
    validate_labels,
)
from reconciler.conformance.violations import (
    FieldViolation,
    forbidden,
    invalid,
    not_supported,
    required,
    type_invalid,
    unknown_field,
)
from reconciler.quantity import FORMAT_ERROR, QuantityError, parse_quantity, quantity_text

NameRule = Callable[[str], list[str]]

ACCESS_MODES = ("ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod")
VOLUME_MODES = ("Block", "Filesystem")
_TOP_LEVEL = frozenset({"apiVersion", "kind", "metadata", "spec", "status"})
_PVC_SPEC = frozenset(
    {
        "accessModes",
        "selector",
        "resources",
        "volumeName",
        "storageClassName",
        "volumeMode",
        "dataSource",
        "dataSourceRef",
        "volumeAttributesClassName",
    }
)


def validate_metadata(obj: Mapping[str, Any], *, namespaced: bool, name_rule: NameRule = is_dns1123_subdomain) -> list[FieldViolation]:
    """ValidateObjectMeta: name (or generateName), namespace by scope, labels, annotations."""
    meta = obj.get("metadata")
    if not isinstance(meta, Mapping):
        return [required("metadata.name", "name or generateName is required")]
    out: list[FieldViolation] = []
    name = meta.get("name")
    if not name and not meta.get("generateName"):
        out.append(required("metadata.name", "name or generateName is required"))
    elif isinstance(name, str) and name:
        out.extend(invalid("metadata.name", name, msg) for msg in name_rule(name))
    elif name:
        out.append(type_invalid("metadata.name", name, "must be a string"))
    namespace = meta.get("namespace")
    if namespaced and not namespace:
        out.append(required("metadata.namespace"))
    elif namespaced and isinstance(namespace, str):
        out.extend(invalid("metadata.namespace", namespace, msg) for msg in is_dns1123_label(namespace))
    elif not namespaced and namespace:
        out.append(forbidden("metadata.namespace", "not allowed on this type"))
    out.extend(validate_labels(meta.get("labels"), "metadata.labels"))
    out.extend(validate_annotations(meta.get("annotations"), "metadata.annotations"))
    return out


def _unknown(obj: Mapping[str, Any], known: frozenset[str], path: str = "") -> Iterator[FieldViolation]:
    for key in obj:
        if key not in known:
            yield unknown_field(f"{path}.{key}" if path else str(key))


def validate_namespace(obj: Mapping[str, Any]) -> list[FieldViolation]:
    """A core v1 Namespace: the name is a DNS-1123 label."""
    out = validate_metadata(obj, namespaced=False, name_rule=is_namespace_name)
    out.extend(_unknown(obj, _TOP_LEVEL))
    return out


def validate_pvc(obj: Mapping[str, Any]) -> list[FieldViolation]:
    """A core v1 PersistentVolumeClaim: access modes, volume mode, storage request."""
    out = validate_metadata(obj, namespaced=True)
    out.extend(_unknown(obj, _TOP_LEVEL))
    spec = obj.get("spec")
    if not isinstance(spec, Mapping):
        return [*out, required("spec")]
    out.extend(_unknown(spec, _PVC_SPEC, "spec"))
    modes = spec.get("accessModes")
    if not modes:
        out.append(required("spec.accessModes", "at least 1 access mode is required"))
    for mode in modes if isinstance(modes, list) else []:
        if mode not in ACCESS_MODES:
            out.append(not_supported("spec.accessModes", mode, ACCESS_MODES))
    if isinstance(modes, list) and "ReadWriteOncePod" in modes and len(modes) > 1:
        out.append(forbidden("spec.accessModes", "may not use ReadWriteOncePod with other access modes"))
    volume_mode = spec.get("volumeMode")
    if volume_mode is not None and volume_mode not in VOLUME_MODES:
        out.append(not_supported("spec.volumeMode", volume_mode, VOLUME_MODES))
    out.extend(_storage(spec.get("resources")))
    return out


def _storage(resources: Any) -> Iterator[FieldViolation]:
    path = "spec.resources[storage]"  # kube-apiserver's own path for this check
    requests = resources.get("requests") if isinstance(resources, Mapping) else None
    storage = requests.get("storage") if isinstance(requests, Mapping) else None
    if storage is None:
        yield required(path)
        return
    text = quantity_text(storage)
    try:
        amount = parse_quantity(text or "")
    except QuantityError as exc:
        yield invalid(path, storage, str(exc) if text is not None else FORMAT_ERROR)
        return
    if amount.sign() <= 0:
        yield invalid(path, str(storage), "must be greater than zero")
