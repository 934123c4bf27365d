"""In-memory object storage: one global resourceVersion counter and a bounded event history.

Stored objects are never mutated after they are stored (every write stores a new dict), so
readers may hold references without copying and encoded bytes can be cached per record.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

TypeKey = tuple[str, str]  # (group, plural)


def dumps(obj: Any) -> bytes:
    """Compact JSON as the apiserver writes it."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(slots=True)
class Record:
    """A stored object and its cached encodings."""

    obj: dict[str, Any]
    rv: int
    _raw: dict[tuple[str, bool], bytes] = field(default_factory=dict)

    def encoded(self, api_version: str, typed_item: bool = False) -> bytes:
        """JSON of the object as `api_version`; list items of built-ins drop kind/apiVersion."""
        key = (api_version, typed_item)
        raw = self._raw.get(key)
        if raw is None:
            obj = self.obj
            if typed_item:
                obj = {k: v for k, v in obj.items() if k not in ("kind", "apiVersion")}
            elif obj.get("apiVersion") != api_version:
                obj = {**obj, "apiVersion": api_version}
            raw = dumps(obj)
            self._raw[key] = raw
        return raw


@dataclass(slots=True, frozen=True)
class Event:
    """One change: ADDED / MODIFIED / DELETED of an object at a resourceVersion."""

    rv: int
    type_key: TypeKey
    namespace: str
    kind: str
    record: Record
    prev: Record | None = None


class Store:
    """Objects keyed by (group, plural) -> namespace -> name, plus the event history."""

    def __init__(self, history: int = 10_000) -> None:
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.rv = 1
        self._objects: dict[TypeKey, dict[str, dict[str, Record]]] = {}
        self._events: deque[Event] = deque(maxlen=history)
        self.closed = False

    def next_rv(self) -> int:
        """Consume and return the next resourceVersion (call with the lock held)."""
        self.rv += 1
        return self.rv

    def get(self, key: TypeKey, namespace: str, name: str) -> Record | None:
        """The record of one object, or None."""
        return self._objects.get(key, {}).get(namespace, {}).get(name)

    def items(self, key: TypeKey, namespace: str | None) -> list[Record]:
        """Records sorted by (namespace, name), like etcd keys; all namespaces for None."""
        spaces = self._objects.get(key, {})
        if namespace is not None:
            bucket = spaces.get(namespace, {})
            return [bucket[n] for n in sorted(bucket)]
        return [spaces[ns][n] for ns in sorted(spaces) for n in sorted(spaces[ns])]

    def count(self, key: TypeKey, namespace: str | None = None) -> int:
        """How many objects of a type (in a namespace)."""
        spaces = self._objects.get(key, {})
        if namespace is not None:
            return len(spaces.get(namespace, {}))
        return sum(len(b) for b in spaces.values())

    def namespaces_in_use(self, namespace: str) -> Iterator[TypeKey]:
        """Type keys holding objects in a namespace."""
        for key, spaces in self._objects.items():
            if spaces.get(namespace):
                yield key

    def put(self, key: TypeKey, obj: dict[str, Any], event: str) -> Record:
        """Store an object at a fresh resourceVersion and record the event (lock held)."""
        rv = self.next_rv()
        meta = obj["metadata"] = {**obj["metadata"], "resourceVersion": str(rv)}
        record = Record(obj, rv)
        ns = meta.get("namespace", "")
        bucket = self._objects.setdefault(key, {}).setdefault(ns, {})
        prev = bucket.get(meta["name"])
        bucket[meta["name"]] = record
        self._record(Event(rv, key, ns, event, record, prev))
        return record

    def remove(self, key: TypeKey, obj: dict[str, Any]) -> Record:
        """Delete an object; the DELETED event carries a fresh resourceVersion (lock held)."""
        meta = obj["metadata"]
        ns = meta.get("namespace", "")
        bucket = self._objects.get(key, {}).get(ns, {})
        prev = bucket.pop(meta["name"], None)
        if not bucket:
            self._objects.get(key, {}).pop(ns, None)
        rv = self.next_rv()
        gone = {**obj, "metadata": {**meta, "resourceVersion": str(rv)}}
        record = Record(gone, rv)
        self._record(Event(rv, key, ns, "DELETED", record, prev))
        return record

    def drop_type(self, key: TypeKey) -> list[dict[str, Any]]:
        """Remove every object of a type (CRD deletion); returns them."""
        objs = [r.obj for r in self.items(key, None)]
        for obj in objs:
            self.remove(key, obj)
        self._objects.pop(key, None)
        return objs

    def _record(self, event: Event) -> None:
        self._events.append(event)
        self.changed.notify_all()

    def oldest_rv(self) -> int:
        """The resourceVersion below which history is gone (a watch from older gets 410)."""
        if len(self._events) == self._events.maxlen and self._events:
            return self._events[0].rv - 1
        return 1

    def events_after(self, rv: int, key: TypeKey) -> list[Event]:
        """Events of a type newer than `rv` (lock held)."""
        out = []
        for event in reversed(self._events):
            if event.rv <= rv:
                break
            if event.type_key == key:
                out.append(event)
        out.reverse()
        return out

    def close(self) -> None:
        """Wake every watcher so that it ends."""
        with self.lock:
            self.closed = True
            self.changed.notify_all()
