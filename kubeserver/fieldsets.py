"""Field sets as structured-merge-diff computes them, and their `fieldsV1` encoding.

A set is a Python `set` of member paths; a path is a tuple of path-element strings in
the fieldsV1 key syntax (`f:spec`, `k:{"name":"x"}`, `v:"a"`, `i:0`). The walkers follow
sigs.k8s.io/structured-merge-diff: `to_set` is `ToFieldSet`, `compare` is `Compare`
(leaf rule + post-item hook), `merge` is the apply merge, `remove` is `RemoveItems`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from kubeserver.mergeschema import DEDUCED, DEDUCED_NODE, LIST, MAP, SCALAR, STRUCT, Node

Path = tuple[str, ...]
FieldSet = set[Path]

_MISSING: Any = object()


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _resolve(node: Node, value: Any) -> Node:
    """Concrete node for a value: deduced becomes map / atomic list / scalar."""
    if node.kind == DEDUCED:
        if isinstance(value, dict):
            return _DEDUCED_MAP
        if isinstance(value, list):
            return _DEDUCED_LIST
        return node
    return node


_DEDUCED_MAP = Node(MAP, elem=Node(DEDUCED))
_DEDUCED_LIST = Node(LIST, elem=Node(DEDUCED), list_type="atomic")


def _walkable(node: Node, value: Any) -> Node | None:
    """The (resolved) node to walk `value` with, or None when `value` is a leaf there:
    scalars, atomic maps and lists (deduced lists included), and type mismatches."""
    kind = node.kind
    if kind == DEDUCED:
        return _DEDUCED_MAP if isinstance(value, dict) else None  # deduced lists are atomic
    if kind == SCALAR or node.atomic:
        return None
    if kind == STRUCT or kind == MAP:
        return node if isinstance(value, dict) else None
    if kind == LIST:
        return node if node.list_type != "atomic" and isinstance(value, list) else None
    return None


def item_element(node: Node, item: Any, index: int) -> str:
    """Path element of a list item: `k:{..}` for map lists, `v:..` for sets."""
    if node.list_type == "map" and isinstance(item, dict):
        return "k:" + _compact({k: item[k] for k in sorted(node.keys) if k in item})
    if node.list_type == "set":
        return "v:" + _compact(item)
    return f"i:{index}"


def to_set(value: Any, node: Node, path: Path = ()) -> FieldSet:
    """The fields an applied configuration specifies (`ToFieldSet`)."""
    out: FieldSet = set()
    _to_set(value, node, path, out)
    out.discard(())
    return out


def _to_set(value: Any, node: Node, path: Path, out: FieldSet) -> None:
    walk = None if value is None else _walkable(node, value)
    if walk is None:
        out.add(path)
        return
    if isinstance(value, dict):
        child_of = walk.child
        for key, sub in value.items():
            child, declared = child_of(key)
            p = path + ("f:" + key,)
            _to_set(sub, child, p, out)
            if sub is None or sub == {} or not declared:
                out.add(p)
        return
    elem = walk.elem or DEDUCED_NODE
    for i, item in enumerate(value):
        p = path + (item_element(walk, item, i),)
        _to_set(item, elem, p, out)
        out.add(p)


def compare(old: Any, new: Any, node: Node) -> tuple[FieldSet, FieldSet, FieldSet]:
    """(added, modified, removed) between two objects (`TypedValue.Compare`)."""
    added: FieldSet = set()
    modified: FieldSet = set()
    removed: FieldSet = set()
    _compare(old, new, node, (), added, modified, removed)
    for s in (added, modified, removed):
        s.discard(())
    return added, modified, removed


def _compare(
    lhs: Any, rhs: Any, node: Node, path: Path, added: FieldSet, modified: FieldSet, removed: FieldSet
) -> None:
    value = rhs if rhs is not _MISSING else lhs
    walk = _walkable(node, value)
    if walk is None or (
        lhs is not _MISSING and rhs is not _MISSING and type(lhs) is not type(rhs)
    ):
        if lhs is _MISSING:
            added.add(path)
        elif rhs is _MISSING:
            removed.add(path)
        elif lhs != rhs:
            modified.add(path)
        return
    if isinstance(value, dict):
        left = lhs if isinstance(lhs, dict) else {}
        right = rhs if isinstance(rhs, dict) else {}
        child_of = walk.child
        for key in {**left, **right}:
            child, _ = child_of(key)
            _compare(
                left.get(key, _MISSING), right.get(key, _MISSING), child,
                path + ("f:" + key,), added, modified, removed,
            )
    else:
        elem = walk.elem or DEDUCED_NODE
        left_items = _keyed(walk, lhs if isinstance(lhs, list) else [])
        right_items = _keyed(walk, rhs if isinstance(rhs, list) else [])
        for pe in {**left_items, **right_items}:
            _compare(
                left_items.get(pe, _MISSING), right_items.get(pe, _MISSING), elem,
                path + (pe,), added, modified, removed,
            )
    if lhs is _MISSING:
        added.add(path)
    elif rhs is _MISSING:
        removed.add(path)


def _keyed(node: Node, items: list[Any]) -> dict[str, Any]:
    return {item_element(node, item, i): item for i, item in enumerate(items)}


def merge(live: Any, config: Any, node: Node) -> Any:
    """The apply merge of a configuration onto the live object (a new value)."""
    walk = None if config is None else _walkable(node, config)
    if walk is None or type(live) is not type(config):
        return config
    if isinstance(config, dict):
        out = dict(live)
        child_of = walk.child
        for key, sub in config.items():
            if sub is None:
                out.pop(key, None)
                continue
            out[key] = merge(live[key], sub, child_of(key)[0]) if key in live else sub
        return out
    elem = walk.elem or DEDUCED_NODE
    merged = _keyed(walk, live)
    for pe, item in _keyed(walk, config).items():
        merged[pe] = merge(merged[pe], item, elem) if pe in merged else item
    return list(merged.values())


def ensure_named(paths: Iterable[Path], root: Node) -> FieldSet:
    """Add every named struct field on the way to each member (`EnsureNamedFieldsAreMembers`)."""
    out: FieldSet = set(paths)
    for path in list(out):
        node = root
        for i, pe in enumerate(path[:-1]):
            node, named = _step(node, pe)
            if named:
                out.add(path[: i + 1])
    return out


def _step(node: Node, pe: str) -> tuple[Node, bool]:
    if pe.startswith("f:") and node.kind in (STRUCT, MAP, DEDUCED):
        if node.kind == DEDUCED:
            return node, False
        return node.child(pe[2:])
    return (node.elem or Node(DEDUCED)) if node.kind == LIST else Node(DEDUCED), False


def remove(value: Any, paths: FieldSet, node: Node) -> Any:
    """A copy of `value` without the subtrees at the member paths in `paths`."""
    if not paths:
        return value
    prefixes = {p[:i] for p in paths for i in range(1, len(p))}
    return _remove(value, node, (), paths, prefixes)


def _remove(value: Any, node: Node, path: Path, paths: FieldSet, prefixes: FieldSet) -> Any:
    node = _resolve(node, value)
    if isinstance(value, dict):
        out = {}
        for key, sub in value.items():
            p = path + ("f:" + key,)
            if p in paths:
                continue
            out[key] = _remove(sub, node.child(key)[0], p, paths, prefixes) if p in prefixes else sub
        return out
    if isinstance(value, list) and node.kind == LIST:
        elem = node.elem or Node(DEDUCED)
        kept = []
        for i, item in enumerate(value):
            p = path + (item_element(node, item, i),)
            if p in paths:
                continue
            kept.append(_remove(item, elem, p, paths, prefixes) if p in prefixes else item)
        return kept
    return value


def encode(paths: Iterable[Path]) -> dict[str, Any]:
    """The `fieldsV1` trie: `"."` marks a member that also has children."""
    trie: dict[str, Any] = {}
    for path in paths:
        node = trie
        for pe in path:
            node = node.setdefault(pe, {})
        node["."] = {}
    return _finish(trie)


def _finish(node: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in sorted(node, key=_sort_key):
        if key == ".":
            continue
        child = node[key]
        children = {k: v for k, v in child.items() if k != "."}
        if not children:
            out[key] = {}
        else:
            encoded = _finish(child)
            out[key] = {".": {}, **encoded} if "." in child else encoded
    return out


def decode(fields: dict[str, Any], prefix: Path = ()) -> FieldSet:
    """Member paths of a `fieldsV1` trie."""
    out: FieldSet = set()
    for key, child in fields.items():
        if key == ".":
            if prefix:
                out.add(prefix)
            continue
        path = prefix + (key,)
        if not child:
            out.add(path)
        else:
            out |= decode(child, path)
    return out


_KIND_ORDER = {"f": 0, "k": 1, "v": 2, "i": 3}


def _sort_key(pe: str) -> tuple[int, str]:
    return (-1, "") if pe == "." else (_KIND_ORDER.get(pe[0], 9), pe[2:])


def path_sort_key(path: Path) -> tuple[tuple[int, str], ...]:
    """Order of paths as structured-merge-diff iterates a set."""
    return tuple(_sort_key(pe) for pe in path)


def path_string(path: Path) -> str:
    """`fieldpath.Path.String()`: `.spec.containers[name="x"].image`, `[="v"]`, `[0]`."""
    parts = []
    for pe in path:
        kind, text = pe[0], pe[2:]
        if kind == "f":
            parts.append("." + text)
        elif kind == "k":
            keys = json.loads(text)
            parts.append("[" + ",".join(f"{k}={_compact(v)}" for k, v in keys.items()) + "]")
        elif kind == "v":
            parts.append("[=" + text + "]")
        else:
            parts.append("[" + text + "]")
    return "".join(parts)
