"""`metadata.managedFields`: ownership per manager for apply and update operations.

Follows the apiserver's fieldmanager over structured-merge-diff's `Updater`:
entries are keyed by (manager, operation, apiVersion for Update, subresource); an apply
conflicts on fields another entry owns whose value would change; an update takes the
fields it changes from every other entry; fields a manager stops applying are removed
from the object when nobody else owns them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from kubeserver import fieldsets as fs
from kubeserver.errors import ApiError, apply_conflict, bad_request
from kubeserver.mergeschema import Node, with_zero_structs

# Paths the strip-meta manager never records (k8s.io/apiserver fieldmanager stripmeta.go):
# `f:apiVersion`, `f:kind`, `f:metadata` itself and these metadata fields, with their subtrees.
_STRIPPED_TOP = frozenset(("f:apiVersion", "f:kind"))
_STRIPPED_META = frozenset(
    "f:" + name
    for name in (
        "name", "namespace", "creationTimestamp", "selfLink", "uid", "clusterName",
        "generation", "managedFields", "resourceVersion", "deletionTimestamp",
        "deletionGracePeriodSeconds",
    )
)


@dataclass(slots=True)
class Entry:
    """One managedFields entry."""

    manager: str
    operation: str
    api_version: str
    subresource: str
    time: str
    fields: fs.FieldSet = field(default_factory=set)

    @property
    def key(self) -> tuple[str, str, str, str]:
        # Appliers keep one entry across API versions (BuildManagerIdentifier).
        version = "" if self.operation == "Apply" else self.api_version
        return (self.manager, self.operation, version, self.subresource)

    def describe(self) -> str:
        """`printManager`: `"name"`, with subresource and `using <apiVersion>` for updaters."""
        text = json.dumps(self.manager)
        if self.subresource:
            text += f" with subresource {json.dumps(self.subresource)}"
        if self.operation == "Update":
            text += f" using {self.api_version}"
        return text


Managers = dict[tuple[str, str, str, str], Entry]


def parse(entries: Any) -> Managers:
    """Managers from an object's `metadata.managedFields` (400 when malformed)."""
    out: Managers = {}
    if not entries:
        return out
    if not isinstance(entries, list):
        raise bad_request("metadata.managedFields must be a list")
    for raw in entries:
        if not isinstance(raw, dict) or not raw:
            continue
        entry = Entry(
            manager=str(raw.get("manager", "")),
            operation=str(raw.get("operation", "Update")),
            api_version=str(raw.get("apiVersion", "")),
            subresource=str(raw.get("subresource", "")),
            time=str(raw.get("time", "")),
            fields=fs.decode(raw.get("fieldsV1") or {}),
        )
        out[entry.key] = entry
    return out


def render(managers: Managers) -> list[dict[str, Any]]:
    """Entries in the apiserver's order (Apply before Update, then time, manager, ...)."""
    ordered = sorted(
        managers.values(),
        key=lambda e: (e.operation, e.time, e.manager, e.api_version, e.subresource),
    )
    out = []
    for e in ordered:
        entry: dict[str, Any] = {
            "manager": e.manager,
            "operation": e.operation,
            "apiVersion": e.api_version,
            "time": e.time,
            "fieldsType": "FieldsV1",
            "fieldsV1": _encoded(frozenset(e.fields)),
        }
        if e.subresource:
            entry["subresource"] = e.subresource
        out.append(entry)
    return out


@lru_cache(maxsize=4096)
def _encoded(paths: frozenset[fs.Path]) -> dict[str, Any]:
    """`fs.encode`, memoised: most writes re-render unchanged sets, and similar objects share
    them. The result is shared between objects, which (like all stored state) are never mutated."""
    return fs.encode(paths)


def strip(paths: fs.FieldSet, scope: tuple[str, ...] | None, exclude: tuple[str, ...] | None) -> fs.FieldSet:
    """Drop paths the server never tracks, and keep only `scope` / drop `exclude` subtrees."""
    out = set()
    n_scope = len(scope) if scope is not None else 0
    n_exclude = len(exclude) if exclude is not None else 0
    for p in paths:
        if p and (p[0] in _STRIPPED_TOP or (
                p[0] == "f:metadata" and (len(p) == 1 or p[1] in _STRIPPED_META))):
            continue
        if scope is not None and p[:n_scope] != scope:
            continue
        if exclude is not None and p[:n_exclude] == exclude:
            continue
        out.add(p)
    return out


def _copy(managers: Managers) -> Managers:
    return {
        k: Entry(e.manager, e.operation, e.api_version, e.subresource, e.time, set(e.fields))
        for k, e in managers.items()
    }


def _without_managed(obj: dict[str, Any]) -> dict[str, Any]:
    meta = dict(obj.get("metadata") or {})
    meta.pop("managedFields", None)
    return {**obj, "metadata": meta}


@dataclass(slots=True)
class Scope:
    """Which part of the object a request may own: all, all but status, or only status."""

    only: tuple[str, ...] | None = None
    exclude: tuple[str, ...] | None = None


def update(
    live: dict[str, Any] | None,
    new: dict[str, Any],
    managers: Managers,
    manager: str,
    api_version: str,
    subresource: str,
    node: Node,
    scope: Scope,
    now: str,
) -> Managers:
    """Ownership after a non-apply write: the writer takes every field it changed."""
    result = _copy(managers)
    # The field manager compares typed objects: built-ins' value structs are never added.
    old_value = with_zero_structs(_without_managed(live) if live else {}, node)
    added, modified, removed = fs.compare(old_value, with_zero_structs(_without_managed(new), node), node)
    changed = strip(added | modified, scope.only, scope.exclude)
    removed = strip(removed, scope.only, scope.exclude)
    for entry in result.values():
        entry.fields -= changed | removed
    if changed:
        key = (manager, "Update", api_version, subresource)
        entry = result.get(key) or Entry(manager, "Update", api_version, subresource, now)
        entry.fields |= changed
        entry.time = now
        entry.api_version = api_version
        result[key] = entry
    return {k: e for k, e in result.items() if e.fields}


def apply(
    live: dict[str, Any],
    config: dict[str, Any],
    managers: Managers,
    manager: str,
    api_version: str,
    subresource: str,
    force: bool,
    node: Node,
    scope: Scope,
    now: str,
) -> tuple[dict[str, Any], Managers]:
    """The merged object and ownership after an apply; raises the 409 on conflicts."""
    result = _copy(managers)
    base = _without_managed(live)
    merged = fs.merge(base, config, node)
    key = (manager, "Apply", "", subresource)
    previous = result.get(key)
    applied = strip(fs.to_set(config, node), scope.only, scope.exclude)
    others = [e for k, e in result.items() if k != key]
    # ensure_named(prev) - ensure_named(applied) == ensure_named(prev - applied) - ensure_named(applied)
    # (ensure_named is monotone), so a manager that stopped applying nothing drops nothing.
    stopped = previous.fields - applied if previous is not None else set()
    if stopped:
        owned = set().union(*(e.fields for e in others)) if others else set()
        drop = fs.ensure_named(stopped, node) - fs.ensure_named(applied, node)
        drop -= fs.ensure_named(owned, node)
        merged = fs.remove(merged, strip(drop, scope.only, scope.exclude), node)
    added: fs.FieldSet
    modified: fs.FieldSet
    removed: fs.FieldSet
    if merged == base:  # nothing changed: Compare finds no difference
        added, modified, removed = set(), set(), set()
    else:
        added, modified, removed = fs.compare(base, merged, node)
    changed = strip(added | modified, scope.only, scope.exclude)
    conflicts = [(e, sorted(e.fields & changed, key=fs.path_sort_key)) for e in others]
    conflicts = [(e, paths) for e, paths in conflicts if paths]
    if conflicts and not force:
        raise _conflict_error(conflicts)
    for entry, paths in conflicts:
        entry.fields -= set(paths)
    for entry in others:
        entry.fields -= removed
    object_changed = merged != base
    if previous is None or previous.fields != applied or object_changed:
        result[key] = Entry(manager, "Apply", api_version, subresource, now, applied)
    else:
        previous.api_version = api_version
    return merged, {k: e for k, e in result.items() if e.fields}


def _conflict_error(conflicts: list[tuple[Entry, list[fs.Path]]]) -> ApiError:
    conflicts.sort(key=lambda c: (c[0].manager, c[0].operation, c[0].api_version, c[0].subresource))
    causes = [
        {"reason": "FieldManagerConflict", "message": f"conflict with {e.describe()}",
         "field": fs.path_string(p)}
        for e, paths in conflicts
        for p in paths
    ]
    total = len(causes)
    if total == 1:
        entry, paths = conflicts[0]
        message = (
            f"Apply failed with 1 conflict: conflict with {entry.describe()}: "
            f"{fs.path_string(paths[0])}"
        )
    else:
        lines = []
        for entry, paths in conflicts:
            lines.append(f"conflicts with {entry.describe()}:")
            lines.extend(f"- {fs.path_string(p)}" for p in paths)
        message = f"Apply failed with {total} conflicts: " + "\n".join(lines)
    return apply_conflict(causes, message)
