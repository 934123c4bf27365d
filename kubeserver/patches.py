"""Non-apply patch types: JSON merge patch, JSON patch and (for built-ins) strategic merge."""

from __future__ import annotations

import copy
from typing import Any

from kubeserver import fieldsets as fs
from kubeserver.errors import ApiError, bad_request
from kubeserver.mergeschema import LIST, Node

MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
APPLY = "application/apply-patch+yaml"
APPLY_CBOR = "application/apply-patch+cbor"


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge recursively, `null` deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def json_patch(target: Any, operations: Any) -> Any:
    """RFC 6902 including `test`; errors are 400 (bad patch) or 422 (test/path failure)."""
    if not isinstance(operations, list):
        raise bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    doc = copy.deepcopy(target)
    for op in operations:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise bad_request(f"invalid JSON patch operation: {op!r}")
        kind, path = op["op"], op["path"]
        if kind == "add":
            doc = _add(doc, _pointer(path), copy.deepcopy(_value(op)))
        elif kind == "remove":
            doc, _ = _remove(doc, _pointer(path))
        elif kind == "replace":
            doc, _ = _remove(doc, _pointer(path))
            doc = _add(doc, _pointer(path), copy.deepcopy(_value(op)))
        elif kind in ("move", "copy"):
            source = _pointer(op.get("from", ""))
            value = _get(doc, source)
            if kind == "move":
                doc, value = _remove(doc, source)
            doc = _add(doc, _pointer(path), copy.deepcopy(value))
        elif kind == "test":
            if _get(doc, _pointer(path)) != _value(op):
                raise _unprocessable(f"testing value {path} failed: test failed")
        else:
            raise bad_request(f"Unexpected kind: {kind}")
    return doc


def _value(op: dict[str, Any]) -> Any:
    if "value" not in op:
        raise bad_request(f"missing value for {op['op']} operation")
    return op["value"]


def _unprocessable(message: str) -> ApiError:
    # NewGenericServerResponse(422, ..., isUnexpectedResponse=false): the generic message and
    # empty details; kube-apiserver v1.34 does not pass the patch error on (`message` is unused).
    return ApiError(
        422,
        "Invalid",
        "the server rejected our request due to an error in our request",
        {},
    )


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise bad_request(f"JSON pointer must start with '/': {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _get(doc: Any, parts: list[str]) -> Any:
    for part in parts:
        if isinstance(doc, dict) and part in doc:
            doc = doc[part]
        elif isinstance(doc, list) and part.isdigit() and int(part) < len(doc):
            doc = doc[int(part)]
        else:
            raise _unprocessable(f"doc is missing path: \"/{'/'.join(parts)}\": missing value")
    return doc


def _add(doc: Any, parts: list[str], value: Any) -> Any:
    if not parts:
        return value
    parent = _get(doc, parts[:-1])
    last = parts[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        if last == "-":
            parent.append(value)
        elif last.isdigit() and int(last) <= len(parent):
            parent.insert(int(last), value)
        else:
            raise _unprocessable(f"add operation does not apply: doc is missing path: \"/{'/'.join(parts)}\"")
    else:
        raise _unprocessable(f"add operation does not apply: doc is missing path: \"/{'/'.join(parts)}\"")
    return doc


def _remove(doc: Any, parts: list[str]) -> tuple[Any, Any]:
    if not parts:
        return None, doc
    parent = _get(doc, parts[:-1])
    last = parts[-1]
    missing = f"doc is missing key: /{'/'.join(parts)}: missing value"
    if isinstance(parent, dict):
        if last not in parent:
            raise _unprocessable(missing)
        return doc, parent.pop(last)
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        return doc, parent.pop(int(last))
    raise _unprocessable(missing)


def strategic_merge_patch(target: Any, patch: Any, node: Node) -> Any:
    """Strategic merge for built-ins: merge patch, map-lists merged by key, `$patch` directives."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    directive = patch.get("$patch")
    if directive == "delete":
        return None
    if directive == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if not k.startswith("$")}
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith("$setElementOrder/") or key in ("$patch", "$retainKeys"):
            continue
        if key.startswith("$deleteFromPrimitiveList/"):
            name = key.split("/", 1)[1]
            out[name] = [v for v in out.get(name) or [] if v not in value]
            continue
        child, _ = node.child(key)
        if value is None:
            out.pop(key, None)
        elif child.kind == LIST and child.list_type == "map" and isinstance(value, list):
            out[key] = _merge_list(out.get(key) or [], value, child)
        elif isinstance(value, dict):
            merged = strategic_merge_patch(out.get(key), value, child)
            if merged is None:
                out.pop(key, None)
            else:
                out[key] = merged
        else:
            out[key] = copy.deepcopy(value)
    return out


def _merge_list(live: list[Any], patch: list[Any], node: Node) -> list[Any]:
    elem = node.elem or Node("deduced")
    merged = {fs.item_element(node, item, i): item for i, item in enumerate(live)}
    for i, item in enumerate(patch):
        pe = fs.item_element(node, item, i)
        if isinstance(item, dict) and item.get("$patch") == "delete":
            merged.pop(pe, None)
        elif pe in merged:
            merged[pe] = strategic_merge_patch(merged[pe], item, elem)
        else:
            merged[pe] = {k: v for k, v in item.items() if k != "$patch"} if isinstance(item, dict) else item
    return list(merged.values())
