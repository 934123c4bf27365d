"""Label selectors with the Kubernetes syntax, parsed once and matched many times (pure).

Supported terms, comma-separated (all must hold): ``k=v``, ``k==v``, ``k!=v``, ``k in (a,b)``,
``k notin (a,b)``, ``k`` (exists) and ``!k`` (does not exist). As on a real server, ``!=`` and
``notin`` also match objects without the label.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from reconciler.errors import Invalid

Labels = Mapping[str, str]

_KEY = r"[A-Za-z0-9][-A-Za-z0-9_./]*"
_VALUE = r"(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?"
_SET = re.compile(rf"^(?P<key>{_KEY})\s+(?P<op>in|notin)\s*\((?P<values>[^()]*)\)$")
_CMP = re.compile(rf"^(?P<key>{_KEY})\s*(?P<op>==|!=|=)\s*(?P<value>{_VALUE})$")
_EXISTS = re.compile(rf"^(?P<neg>!?)\s*(?P<key>{_KEY})$")


@dataclass(frozen=True, slots=True)
class Selector:
    """A parsed label selector; the empty selector matches everything."""

    text: str
    _tests: tuple[Callable[[Labels], bool], ...]

    def matches(self, labels: Labels | None) -> bool:
        """Whether an object's labels satisfy every term."""
        found = labels or {}
        return all(test(found) for test in self._tests)


def parse_selector(text: str) -> Selector:
    """Parse a selector; Invalid (like the API server's 400) when a term cannot be read."""
    return Selector(text, tuple(_term(term, text) for term in split_terms(text)))


def split_terms(text: str) -> list[str]:
    """Terms separated by commas outside parentheses."""
    terms: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in text:
        depth += (ch == "(") - (ch == ")")
        if ch == "," and depth == 0:
            terms.append("".join(current))
            current = []
        else:
            current.append(ch)
    terms.append("".join(current))
    return [t.strip() for t in terms if t.strip()]


def _term(term: str, text: str) -> Callable[[Labels], bool]:
    if m := _SET.match(term):
        key, values = m["key"], frozenset(v.strip() for v in m["values"].split(",") if v.strip())
        if not values:
            raise Invalid(f"unable to parse requirement: for 'in', 'notin' operators, values set can't be empty: {term!r}")
        if m["op"] == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: labels.get(key) not in values
    if m := _CMP.match(term):
        key, value = m["key"], m["value"]
        if m["op"] == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: labels.get(key) == value
    if m := _EXISTS.match(term):
        key = m["key"]
        if m["neg"]:
            return lambda labels: key not in labels
        return lambda labels: key in labels
    raise Invalid(f"unable to parse requirement {term!r} in label selector {text!r}")
