"""Server-side apply for one field manager, as LocalDirCluster needs it (pure).

What we applied last time is recorded like a real server does, as a ``FieldsV1`` set in
``metadata.managedFields``. A new apply removes the fields we applied before and no longer
apply, then overlays the applied object: maps merge key by key, lists and scalars replace
(lists are atomic, which is what a CRD without ``x-kubernetes-list-type`` gets on a real
server too). Fields nobody applied (a hand edit of the file) are kept unless overwritten.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from reconciler.objects import Manifest

FieldPath = tuple[str, ...]

# Identity and server-owned metadata: never part of what an apply owns.
_NOT_OWNED_METADATA = frozenset({
    "name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
    "managedFields", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds",
})


def applied_content(manifest: Manifest, *, status_in_main: bool) -> Manifest:
    """The part of a manifest an apply writes: no server metadata, no nulls; status only if
    the kind has no status subresource (elsewhere a real server ignores it on apply)."""
    out: dict[str, Any] = _without_nulls({k: v for k, v in manifest.items() if status_in_main or k != "status"})
    metadata = out.get("metadata") or {}
    out["metadata"] = {k: v for k, v in metadata.items()
                       if k not in _NOT_OWNED_METADATA or k in ("name", "namespace")}
    return out


def owned_paths(applied: Manifest) -> frozenset[FieldPath]:
    """Leaf field paths an applied object sets (maps are walked, lists and scalars are leaves)."""
    paths: set[FieldPath] = set()
    for key, value in applied.items():
        if key in ("apiVersion", "kind"):
            continue
        if key == "metadata" and isinstance(value, Mapping):
            value = {k: v for k, v in value.items() if k not in _NOT_OWNED_METADATA}
            if not value:
                continue
        _leaves(value, (key,), paths)
    return frozenset(paths)


def merge_applied(live: Manifest, applied: Manifest, previous: Iterable[FieldPath],
                  current: frozenset[FieldPath]) -> Manifest:
    """``live`` with fields we applied before but not now removed, then ``applied`` laid over it."""
    result = copy.deepcopy(live)
    for path in sorted(set(previous) - current, key=len, reverse=True):
        if not any(p[: len(path)] == path for p in current):
            _remove(result, path, current)
    _overlay(result, applied)
    return result


def to_fields_v1(paths: Iterable[FieldPath]) -> dict[str, Any]:
    """Paths as a FieldsV1 tree: ``{"f:spec": {"f:replicas": {}}}``."""
    root: dict[str, Any] = {}
    for path in sorted(paths):
        node = root
        for part in path:
            node = node.setdefault(f"f:{part}", {})
    return root


def from_fields_v1(tree: Mapping[str, Any], prefix: FieldPath = ()) -> frozenset[FieldPath]:
    """The leaf paths of a FieldsV1 tree (``k:``/``v:`` entries, which we never write, are skipped)."""
    paths: set[FieldPath] = set()
    children = {k[2:]: v for k, v in tree.items() if k.startswith("f:")}
    if not children and prefix:
        paths.add(prefix)
    for name, sub in children.items():
        paths |= from_fields_v1(sub if isinstance(sub, Mapping) else {}, (*prefix, name))
    return frozenset(paths)


def _leaves(value: Any, path: FieldPath, out: set[FieldPath]) -> None:
    if isinstance(value, Mapping) and value:
        for key, sub in value.items():
            _leaves(sub, (*path, str(key)), out)
    else:
        out.add(path)


def _without_nulls(value: Any) -> Any:
    """Drop null map values: an apply that says ``null`` does not set the field."""
    if isinstance(value, Mapping):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    return value


def _remove(obj: dict[str, Any], path: FieldPath, keep: frozenset[FieldPath]) -> None:
    """Delete a field, then the maps it leaves empty unless a kept path still runs through them."""
    trail: list[dict[str, Any]] = [obj]
    for part in path[:-1]:
        nxt = trail[-1].get(part)
        if not isinstance(nxt, dict):
            return
        trail.append(nxt)
    trail[-1].pop(path[-1], None)
    for depth in range(len(path) - 1, 0, -1):
        parent, prefix = trail[depth - 1], path[:depth]
        if trail[depth] or any(p[:depth] == prefix for p in keep):
            break
        parent.pop(path[depth - 1], None)


def _overlay(target: dict[str, Any], applied: Mapping[str, Any]) -> None:
    for key, value in applied.items():
        if isinstance(value, Mapping) and isinstance(target.get(key), dict):
            _overlay(target[key], value)
        else:
            target[key] = copy.deepcopy(value)
