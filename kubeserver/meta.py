"""ObjectMeta validation and the few CRD checks the apiextensions server makes.

Messages are kube's (k8s.io/apimachinery/pkg/util/validation and api/validation).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from kubeserver.errors import cause

_DNS1123_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN = _DNS1123_LABEL + r"(\." + _DNS1123_LABEL + r")*"
_QUALIFIED_NAME = r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_VALUE = r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?"

SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
    "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex "
    "used for validation is '" + _DNS1123_SUBDOMAIN + "')"
)
LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
    "regex used for validation is '" + _DNS1123_LABEL + "')"
)
_QUALIFIED_MSG = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and "
    "end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex "
    "used for validation is '" + _QUALIFIED_NAME + "')"
)
_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
    "or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is '" + _LABEL_VALUE + "')"
)


def _invalid(field: str, value: Any, detail: str) -> dict[str, str]:
    shown = json.dumps(value) if isinstance(value, str) else json.dumps(value)
    return cause(field, "FieldValueInvalid", f"Invalid value: {shown}: {detail}")


def name_errors(name: str, *, label: bool, field: str = "metadata.name") -> list[dict[str, str]]:
    """DNS-1123 subdomain (or label, for namespaces) checks of an object name."""
    return list(_name_errors(name, label, field))


# The checks below are memoised (the same keys and values repeat on every object); they
# return tuples of cause dicts that callers copy into their own lists and never mutate.
@lru_cache(maxsize=8192)
def _name_errors(name: str, label: bool, field: str) -> tuple[dict[str, str], ...]:
    limit, pattern, msg = (63, _DNS1123_LABEL, LABEL_MSG) if label else (
        253, _DNS1123_SUBDOMAIN, SUBDOMAIN_MSG)
    errs = []
    if len(name) > limit:
        errs.append(_invalid(field, name, f"must be no more than {limit} characters"))
    if not re.fullmatch(pattern, name):
        errs.append(_invalid(field, name, msg))
    return tuple(errs)


@lru_cache(maxsize=8192)
def _label_key_errors(key: str, field: str) -> tuple[dict[str, str], ...]:
    prefix, _, name = key.rpartition("/")
    errs = []
    if prefix and (len(prefix) > 253 or not re.fullmatch(_DNS1123_SUBDOMAIN, prefix)):
        errs.append(_invalid(field, key, "prefix part " + SUBDOMAIN_MSG))
    if not name:
        errs.append(_invalid(field, key, "name part must be non-empty"))
    elif len(name) > 63:
        errs.append(_invalid(field, key, "name part must be no more than 63 characters"))
    elif not re.fullmatch(_QUALIFIED_NAME, name):
        errs.append(_invalid(field, key, _QUALIFIED_MSG))
    return tuple(errs)


@lru_cache(maxsize=8192)
def _label_value_errors(value: str) -> tuple[dict[str, str], ...]:
    if len(value) > 63:
        return (_invalid("metadata.labels", value, "must be no more than 63 characters"),)
    if not re.fullmatch(_LABEL_VALUE, value):
        return (_invalid("metadata.labels", value, _VALUE_MSG),)
    return ()


def object_meta_errors(meta: Mapping[str, Any], *, namespace_kind: bool) -> list[dict[str, str]]:
    """Causes for an invalid ObjectMeta (name, labels, annotations, finalizers)."""
    errs: list[dict[str, str]] = []
    name = meta.get("name")
    if not name:
        errs.append(cause("metadata.name", "FieldValueRequired",
                          "Required value: name or generateName is required"))
    elif not isinstance(name, str):
        errs.append(_invalid("metadata.name", name, "must be a string"))
    else:
        errs += _name_errors(name, namespace_kind, "metadata.name")
    labels = meta.get("labels") or {}
    if not isinstance(labels, Mapping):
        errs.append(_invalid("metadata.labels", labels, "must be a map of strings"))
        labels = {}
    for key, value in labels.items():
        errs += _label_key_errors(key, "metadata.labels")
        if not isinstance(value, str):
            errs.append(_invalid("metadata.labels", value, "must be a string"))
        else:
            errs += _label_value_errors(value)
    annotations = meta.get("annotations") or {}
    if not isinstance(annotations, Mapping):
        errs.append(_invalid("metadata.annotations", annotations, "must be a map of strings"))
        annotations = {}
    total = 0
    for key, value in annotations.items():
        errs += _label_key_errors(key.lower(), "metadata.annotations")
        total += len(key) + len(str(value))
    if total > 256 * 1024:
        errs.append(cause("metadata.annotations", "FieldValueTooLong",
                          "Too long: must have at most 262144 bytes"))
    for i, fin in enumerate(meta.get("finalizers") or []):
        if not isinstance(fin, str) or not re.fullmatch(
                r"(" + _DNS1123_SUBDOMAIN + r"/)?" + _QUALIFIED_NAME, fin):
            errs.append(_invalid(f"metadata.finalizers[{i}]", fin,
                                 "name part " + _QUALIFIED_MSG))
    return errs


def crd_errors(crd: Mapping[str, Any]) -> list[dict[str, str]]:
    """The structural checks of a CRD that decide what gets served."""
    errs: list[dict[str, str]] = []
    spec = crd.get("spec")
    if not isinstance(spec, Mapping):
        return [cause("spec", "FieldValueRequired", "Required value")]
    names = spec.get("names") or {}
    group = spec.get("group") or ""
    plural = names.get("plural") or ""
    if not group:
        errs.append(cause("spec.group", "FieldValueRequired", "Required value"))
    elif "." not in group:
        errs.append(_invalid("spec.group", group, "should be a domain with at least one dot"))
    if not plural:
        errs.append(cause("spec.names.plural", "FieldValueRequired", "Required value"))
    if not names.get("kind"):
        errs.append(cause("spec.names.kind", "FieldValueRequired", "Required value"))
    name = (crd.get("metadata") or {}).get("name", "")
    if plural and group and name != f"{plural}.{group}":
        errs.append(_invalid("metadata.name", name, 'must be spec.names.plural+"."+spec.group'))
    scope = spec.get("scope")
    if scope not in ("Cluster", "Namespaced"):
        errs.append(cause("spec.scope", "FieldValueNotSupported",
                          f'Unsupported value: {json.dumps(scope)}: supported values: '
                          '"Cluster", "Namespaced"'))
    versions = spec.get("versions") or []
    if not versions:
        errs.append(cause("spec.versions", "FieldValueRequired", "Required value"))
    elif sum(1 for v in versions if v.get("storage")) != 1:
        errs.append(_invalid("spec.versions", versions and "...",
                             "must have exactly one version marked as storage version"))
    return errs
