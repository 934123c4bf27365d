"""`meta.k8s.io/v1` Table answers (what `kubectl get` asks for with `as=Table`)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from kubeserver.protocol import Call, Reply
from kubeserver.store import dumps

Cell = Callable[[Mapping[str, Any]], Any]


def wants_table(accept: str) -> bool:
    """Whether the client asked for a Table."""
    return "as=Table" in accept


def age(timestamp: str | None) -> str:
    """`duration.HumanDuration` of the time since `timestamp`."""
    if not timestamp:
        return "<unknown>"
    then = datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    secs = max(0, int((datetime.now(timezone.utc) - then).total_seconds()))
    if secs < 120:
        return f"{secs}s"
    minutes, hours, days = secs // 60, secs // 3600, secs // 86400
    if minutes < 10:
        return f"{minutes}m{secs % 60}s" if secs % 60 else f"{minutes}m"
    if hours < 3:
        return f"{minutes}m"
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if days < 8:
        return f"{days}d{hours % 24}h" if hours % 24 else f"{days}d"
    return f"{days}d"


def _get(obj: Any, *path: str) -> Any:
    for p in path:
        obj = obj.get(p) if isinstance(obj, Mapping) else None
    return obj


def _name(o: Mapping[str, Any]) -> Any:
    return _get(o, "metadata", "name")


def _age(o: Mapping[str, Any]) -> Any:
    return age(_get(o, "metadata", "creationTimestamp"))


_BUILTIN: dict[str, list[tuple[str, str, Cell]]] = {
    "namespaces": [("Status", "string", lambda o: _get(o, "status", "phase"))],
    "configmaps": [("Data", "integer", lambda o: len(o.get("data") or {}) + len(o.get("binaryData") or {}))],
    "secrets": [("Type", "string", lambda o: o.get("type")),
                ("Data", "integer", lambda o: len(o.get("data") or {}))],
    "serviceaccounts": [("Secrets", "integer", lambda o: len(o.get("secrets") or []))],
    "persistentvolumeclaims": [
        ("Status", "string", lambda o: _get(o, "status", "phase")),
        ("Volume", "string", lambda o: _get(o, "spec", "volumeName") or ""),
        ("Capacity", "string", lambda o: _get(o, "status", "capacity", "storage") or ""),
        ("Access Modes", "string", lambda o: ",".join(_get(o, "status", "accessModes") or [])),
        ("StorageClass", "string", lambda o: _get(o, "spec", "storageClassName") or ""),
        ("VolumeAttributesClass", "string", lambda o: "<unset>"),
    ],
    "leases": [("Holder", "string", lambda o: _get(o, "spec", "holderIdentity") or "")],
}


def _columns(call: Call) -> list[tuple[str, str, Cell]]:
    rtype = call.rtype
    if rtype.plural == "events":
        return [
            ("Last Seen", "string", lambda o: age(o.get("lastTimestamp") or o.get("eventTime"))),
            ("Type", "string", lambda o: o.get("type")),
            ("Reason", "string", lambda o: o.get("reason")),
            ("Object", "string", lambda o: f"{str(_get(o, 'involvedObject', 'kind')).lower()}/"
                                           f"{_get(o, 'involvedObject', 'name')}"),
            ("Message", "string", lambda o: o.get("message")),
        ]
    if rtype.plural == "customresourcedefinitions":
        return [("Name", "string", _name),
                ("Created At", "date", lambda o: _get(o, "metadata", "creationTimestamp"))]
    cols: list[tuple[str, str, Cell]] = [("Name", "string", _name)]
    if rtype.custom:
        printer = rtype.versions[call.version].columns
        for col in printer:
            cell = _jsonpath(str(col.get("jsonPath", "")))
            if col.get("type") == "date":
                cols.append((col["name"], "date", _aged(cell)))
            else:
                cols.append((col["name"], str(col.get("type", "string")), cell))
        if not any(c.get("jsonPath") == ".metadata.creationTimestamp" for c in printer):
            cols.append(("Age", "date", _age))
        return cols
    return cols + _BUILTIN.get(rtype.plural, []) + [("Age", "date", _age)]


def _aged(cell: Cell) -> Cell:
    return lambda o: age(cell(o))


_STEP = re.compile(r'\.([A-Za-z0-9_-]+)|\[(\d+)\]|\[\?\(@\.([A-Za-z0-9_.-]+)\s*==\s*["\']([^"\']*)["\']\)\]')


def _jsonpath(expr: str) -> Cell:
    """A small JSONPath subset: `.a.b`, `[0]`, `[?(@.type=="Ready")]`."""
    steps = [m.groups() for m in _STEP.finditer(expr.strip().strip("{}"))]

    def cell(obj: Mapping[str, Any]) -> Any:
        cur: Any = obj
        for name, index, key, value in steps:
            if name is not None:
                cur = cur.get(name) if isinstance(cur, Mapping) else None
            elif index is not None:
                cur = cur[int(index)] if isinstance(cur, list) and int(index) < len(cur) else None
            else:
                cur = next((i for i in cur if isinstance(i, Mapping)
                            and str(_get(i, *key.split("."))) == value), None) if isinstance(cur, list) else None
            if cur is None:
                return None
        return cur if not isinstance(cur, (dict, list)) else json.dumps(cur)

    return cell


def as_table(call: Call, reply: Reply) -> Reply:
    """Re-render a get/list reply as a Table."""
    data = json.loads(reply.body)
    items = data["items"] if "items" in data else [data]
    columns = _columns(call)
    include = call.query.get("includeObject", "Metadata")
    rows = []
    for obj in items:
        row: dict[str, Any] = {"cells": [c(obj) for _, _, c in columns]}
        if include == "Object":
            row["object"] = obj
        elif include != "None":
            row["object"] = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                             "metadata": obj.get("metadata", {})}
        rows.append(row)
    meta = {k: v for k, v in (data.get("metadata") or {}).items()
            if k in ("resourceVersion", "continue", "remainingItemCount")} if "items" in data else {
        "resourceVersion": _get(data, "metadata", "resourceVersion")}
    table = {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": meta,
        "columnDefinitions": [
            {"name": name, "type": kind, "format": "name" if name == "Name" else "",
             "description": name, "priority": 0}
            for name, kind, _ in columns
        ],
        "rows": rows,
    }
    return Reply(200, dumps(table))
