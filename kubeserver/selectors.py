"""Label and field selectors with the apiserver's syntax."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from reconciler.cluster.selectors import split_terms
from kubeserver.errors import bad_request

Matcher = Callable[[Mapping[str, Any]], bool]

_SET_RE = re.compile(r"^(?P<key>[^\s!=<>()]+)\s+(?P<op>in|notin)\s*\((?P<values>[^()]*)\)$")
_CMP_RE = re.compile(r"^(?P<key>[^\s!=<>()]+)\s*(?P<op>==|!=|=|<|>)\s*(?P<value>[^\s,()!=<>]*)$")
_EXISTS_RE = re.compile(r"^(?P<neg>!?)\s*(?P<key>[^\s!=<>()]+)$")


def label_selector(text: str | None) -> Matcher | None:
    """A matcher over `metadata.labels`, or None for an empty selector; 400 on bad syntax."""
    if not text or not text.strip():
        return None
    tests: list[Callable[[Mapping[str, str]], bool]] = []
    for term in split_terms(text):
        tests.append(_label_term(term))

    def match(obj: Mapping[str, Any]) -> bool:
        labels = (obj.get("metadata") or {}).get("labels") or {}
        return all(t(labels) for t in tests)

    return match


def _label_term(term: str) -> Callable[[Mapping[str, str]], bool]:
    m = _SET_RE.match(term)
    if m:
        key, values = m["key"], {v.strip() for v in m["values"].split(",") if v.strip()}
        if m["op"] == "in":
            return lambda labels: key in labels and labels[key] in values
        return lambda labels: key not in labels or labels[key] not in values
    m = _CMP_RE.match(term)
    if m:
        key, op, value = m["key"], m["op"], m["value"]
        if op in ("=", "=="):
            return lambda labels: labels.get(key) == value
        if op == "!=":
            return lambda labels: labels.get(key) != value
        try:
            bound = int(value)
        except ValueError:
            raise bad_request(
                f"unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an "
                f"integer: {value}"
            ) from None
        if op == ">":
            return lambda labels: _int(labels.get(key)) is not None and _int(labels[key]) > bound  # type: ignore[operator]
        return lambda labels: _int(labels.get(key)) is not None and _int(labels[key]) < bound  # type: ignore[operator]
    m = _EXISTS_RE.match(term)
    if m:
        key = m["key"]
        if m["neg"]:
            return lambda labels: key not in labels
        return lambda labels: key in labels
    raise bad_request(f"unable to parse requirement: found '{term}', expected: identifier")


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _field_test(getter: Callable[[Mapping[str, Any]], Any], value: str, *, negate: bool) -> Matcher:
    def test(obj: Mapping[str, Any]) -> bool:
        return (str(getter(obj) or "") == value) != negate

    return test


def field_selector(
    text: str | None, extra: Mapping[str, Callable[[Mapping[str, Any]], Any]], custom: bool
) -> tuple[Matcher | None, dict[str, str]]:
    """A matcher over supported fields, and the `field=value` equalities (to narrow lookups)."""
    if not text or not text.strip():
        return None, {}
    getters: dict[str, Callable[[Mapping[str, Any]], Any]] = {
        "metadata.name": lambda o: (o.get("metadata") or {}).get("name", ""),
        "metadata.namespace": lambda o: (o.get("metadata") or {}).get("namespace", ""),
        **extra,
    }
    tests: list[Matcher] = []
    equal: dict[str, str] = {}
    for term in split_terms(text):
        m = re.match(r"^(?P<field>[^=!]+?)\s*(?P<op>==|!=|=)\s*(?P<value>.*)$", term)
        if not m:
            raise bad_request(f"invalid selector: '{text}'; can't understand '{term}'")
        name, op, value = m["field"].strip(), m["op"], m["value"].strip()
        getter = getters.get(name)
        if getter is None:
            if custom:
                known = ", ".join(f'"{k}"' for k in getters)
                raise bad_request(f'"{name}" is not a known field selector: only {known}')
            raise bad_request(f"field label not supported: {name}")
        if op != "!=":
            equal[name] = value
        tests.append(_field_test(getter, value, negate=op == "!="))

    def match(obj: Mapping[str, Any]) -> bool:
        return all(t(obj) for t in tests)

    return match, equal
