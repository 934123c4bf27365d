"""Fields an API server refuses to change after creation, per kind: what turns an update into a
replacement (pure).

A change to one of these fields is refused by the server (422 on the dry run), so retrying it can
never succeed; the plan calls such an object ``replace`` instead (``plan.Action.REPLACE``) and the
engine deletes and re-creates it only when asked to (``ApplyOptions.replace``).

Where the rules come from:

- built-in kinds: k8s.io/kubernetes ``pkg/apis/*/validation`` (``reconciler.kinds``);
- KFP ``PipelineVersion``: its validating webhook allows only ``displayName`` and ``tags`` to change
  (``reconciler.kinds``);
- every CRD we ship (``reconciler/data/crds``): fields carrying the CEL transition rule
  ``self == oldSelf`` in ``x-kubernetes-validations`` (``conformance.registry.immutable_paths``).

Only fields Git sets are compared, with the plan's own equality (quantities by amount): a field
the server defaulted, or ``1Gi`` stored for ``1024Mi``, is never a change. A field Git stops
setting is not detected (server-side apply would unset it and the server refuse that: the dry
run fails, as before).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.conformance.registry import immutable_paths
from reconciler.kinds import ImmutableRule, Path, by_group_kind
from reconciler.objects import Manifest
from reconciler.quantity import Quantity, QuantityError, holds_quantity, parse_quantity, quantity_text, same_amount


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One refused change: the field, the live and the desired value, and why it is refused."""

    field: str
    old: Any
    new: Any
    why: str

    def __str__(self) -> str:
        return f"{self.field} {_show(self.old)} -> {_show(self.new)}: {self.why}"


_MAX_SHOWN = 60


def rules_for(api_version: str, kind: str) -> tuple[ImmutableRule, ...]:
    """Every immutability rule of a kind: the kind table's, then its CRD's ``self == oldSelf`` rules."""
    group, _, version = api_version.rpartition("/")
    crd = tuple(ImmutableRule(path, whole=False, message=f"cannot change after creation ({message})")
                for path, message in immutable_paths(group, version, kind))
    return by_group_kind(group, kind).immutable + crd


def immutable_changes(desired: Manifest, live: Manifest) -> list[FieldChange]:
    """The changes from ``live`` to ``desired`` the server would refuse (empty: an ordinary update)."""
    found: list[FieldChange] = []
    for rule in rules_for(str(desired.get("apiVersion", "")), str(desired.get("kind", ""))):
        for path, want, have in _expand(desired, live, rule.path, ()):
            if have is _MISSING:
                if rule.whole:
                    found.append(FieldChange(_field(path), None, want, rule.message))
                continue
            skip = frozenset((*path, *m) for m in rule.mutable)
            found.extend(FieldChange(_field(p), old, new, rule.message) for p, old, new in _differences(want, have, path, skip))
    if desired.get("kind") == "PersistentVolumeClaim":
        found.extend(_pvc_storage(desired, live))
    unique: dict[str, FieldChange] = {}
    for change in found:
        unique.setdefault(change.field, change)
    return list(unique.values())


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Any = _Missing()


def _expand(desired: Any, live: Any, rest: Path, at: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], Any, Any]]:
    """(path, desired value, live value or _MISSING) for each field the rule path names in ``desired``."""
    if not rest:
        yield at, desired, live
        return
    step, tail = rest[0], rest[1:]
    if step == "*":
        if isinstance(desired, list):
            for i, item in enumerate(desired):
                other = live[i] if isinstance(live, list) and i < len(live) else _MISSING
                yield from _expand(item, other, tail, (*at, i))
        elif isinstance(desired, Mapping):
            for name, item in desired.items():
                other = live.get(name, _MISSING) if isinstance(live, Mapping) else _MISSING
                yield from _expand(item, other, tail, (*at, name))
        return
    if isinstance(desired, Mapping) and step in desired:
        other = live.get(step, _MISSING) if isinstance(live, Mapping) else _MISSING
        if other is _MISSING and tail:
            return  # the live object lacks the parent: nothing to compare below it
        yield from _expand(desired[step], other, tail, (*at, step))


def _differences(want: Any, have: Any, path: tuple[str | int, ...],
                 skip: frozenset[tuple[str | int, ...]]) -> Iterator[tuple[tuple[str | int, ...], Any, Any]]:
    """Leaves of ``want`` that ``have`` does not hold (fields only the server set are ignored)."""
    if path in skip:
        return
    if isinstance(want, Mapping) and isinstance(have, Mapping):
        for name, value in want.items():
            if name in have:
                yield from _differences(value, have[name], (*path, name), skip)
            elif (*path, name) not in skip:
                yield (*path, name), None, value
        return
    if isinstance(want, list) and isinstance(have, list) and len(want) == len(have):
        for i, (a, b) in enumerate(zip(want, have, strict=True)):
            yield from _differences(a, b, (*path, i), skip)
        return
    if want == have:
        return
    parent, key = (path[-2] if len(path) > 1 else None), (path[-1] if path else None)
    if holds_quantity(parent, key) and same_amount(want, have):
        return
    yield path, have, want


def _pvc_storage(desired: Manifest, live: Manifest) -> Iterator[FieldChange]:
    """A claim's storage request may only grow, and only once it is bound."""
    field = "spec.resources.requests.storage"
    want = _quantity_at(desired, ("spec", "resources", "requests", "storage"))
    have = _quantity_at(live, ("spec", "resources", "requests", "storage"))
    if want is None or have is None or want[1] == have[1]:
        return
    status = live.get("status")
    phase = status.get("phase") if isinstance(status, Mapping) else None
    if want[1] < have[1]:
        capacity = _quantity_at(live, ("status", "capacity", "storage"))
        if capacity is not None and want[1] > capacity[1]:
            return  # reverting an expansion that has not completed yet: allowed (RecoverVolumeExpansionFailure)
        yield FieldChange(field, have[0], want[0], "cannot shrink (a claim's storage request can only grow)")
    elif phase not in (None, "Bound"):
        yield FieldChange(field, have[0], want[0], f"can only grow once the claim is bound (it is {phase}, "
                          "so no volume was provisioned for it yet)")


def _quantity_at(obj: Any, path: Path) -> tuple[Any, Quantity] | None:
    node = obj
    for step in path:
        if not isinstance(node, Mapping) or step not in node:
            return None
        node = node[step]
    try:
        return node, parse_quantity(quantity_text(node) or "")
    except QuantityError:
        return None


def _field(path: tuple[str | int, ...]) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else step)
    return out


def _show(value: Any) -> str:
    if value is None:
        return "unset"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= _MAX_SHOWN else text[:_MAX_SHOWN - 3] + "..."
