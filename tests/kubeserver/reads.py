"""GET, LIST (selectors, paging with consistent snapshots) and WATCH."""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

from tests.kubeserver.cluster import Cluster
from tests.kubeserver.errors import bad_request, gone, not_found
from tests.kubeserver.protocol import Call, Reply
from tests.kubeserver.selectors import Matcher, field_selector, label_selector
from tests.kubeserver.store import Event, Record, dumps


def get(cluster: Cluster, call: Call) -> Reply:
    """One object, as the requested version."""
    assert call.name is not None
    record = cluster.store.get(call.rtype.key, call.storage_namespace, call.name)
    if record is None:
        raise not_found(call.rtype.plural, call.rtype.group, call.name)
    return Reply(200, record.encoded(call.rtype.api_version(call.version)))


def _matcher(call: Call) -> tuple[Matcher | None, dict[str, str], bool]:
    labels = label_selector(call.query.get("labelSelector"))
    fields, equal = field_selector(
        call.query.get("fieldSelector"), call.rtype.field_getters, call.rtype.custom
    )
    selective = labels is not None or fields is not None
    if labels and fields:
        return (lambda o: labels(o) and fields(o)), equal, selective
    return labels or fields, equal, selective


class Pager:
    """Snapshots of paged lists, so `continue` reads the list as of its first page."""

    def __init__(self, keep: int = 64) -> None:
        self._snapshots: OrderedDict[int, list[Record]] = OrderedDict()
        self._ids = itertools.count(1)
        self._keep = keep
        self._lock = threading.Lock()

    def save(self, records: list[Record]) -> int:
        """Keep the rest of a list; returns the id its continue token carries."""
        with self._lock:
            snap_id = next(self._ids)
            self._snapshots[snap_id] = records
            while len(self._snapshots) > self._keep:
                self._snapshots.popitem(last=False)
            return snap_id

    def load(self, snap_id: int) -> list[Record] | None:
        """The saved rest of a list, or None once evicted (then the live state is paged)."""
        with self._lock:
            return self._snapshots.get(snap_id)


def _token(rv: int, start: str, snap_id: int) -> str:
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": start + "\x00", "id": snap_id})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _untoken(token: str) -> tuple[int, str, int]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        return int(data["rv"]), str(data["start"]), int(data.get("id", 0))
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise bad_request(f"continue key is not valid: {exc}") from None


def _key(record: Record) -> str:
    meta = record.obj["metadata"]
    return f"{meta.get('namespace', '')}/{meta['name']}"


def list_(cluster: Cluster, pager: Pager, call: Call) -> Reply:
    """A list with selectors and `limit`/`continue` paging."""
    rtype = call.rtype
    match, equal, selective = _matcher(call)
    limit = int(call.query.get("limit") or 0)
    token = call.query.get("continue")
    store = cluster.store
    namespace = call.namespace if rtype.namespaced else None
    with store.lock:
        current_rv = store.rv
        if token:
            rv, start, snap_id = _untoken(token)
            records = pager.load(snap_id)
            if records is None:
                records = [r for r in store.items(rtype.key, namespace) if _key(r) >= start]
            else:
                records = [r for r in records if _key(r) >= start]
        else:
            rv = current_rv
            name = equal.get("metadata.name")
            if name is not None and namespace is not None:
                one = store.get(rtype.key, namespace, name)
                records = [one] if one else []
            else:
                records = store.items(rtype.key, namespace)
    if match is not None:
        records = [r for r in records if match(r.obj)]
    meta: dict[str, Any] = {"resourceVersion": str(rv)}
    if limit and len(records) > limit:
        page, rest = records[:limit], records[limit:]
        snap_id = pager.save(rest)
        meta["continue"] = _token(rv, _key(page[-1]), snap_id)
        if not selective:
            meta["remainingItemCount"] = len(rest)
        records = page
    api_version = rtype.api_version(call.version)
    typed = not rtype.custom
    items = b",".join(r.encoded(api_version, typed) for r in records)
    head = dumps({"kind": rtype.kind + "List", "apiVersion": api_version, "metadata": meta})
    return Reply(200, head[:-1] + b',"items":[' + items + b"]}")


def watch(
    cluster: Cluster, call: Call, alive: Callable[[], bool], bookmark_every: float
) -> Reply:
    """A watch stream of newline-delimited events; 410 as an ERROR event when too old."""
    rtype = call.rtype
    match, _, _ = _matcher(call)
    namespace = call.namespace if rtype.namespaced else None
    api_version = rtype.api_version(call.version)
    timeout = float(call.query.get("timeoutSeconds") or 0)
    bookmarks = call.flag("allowWatchBookmarks")
    initial_end = call.flag("sendInitialEvents")
    requested = call.query.get("resourceVersion") or ""
    if requested and not requested.isdigit():
        raise bad_request(f'resourceVersion: Invalid value: "{requested}": must be an integer')
    store = cluster.store
    with store.lock:
        start_rv = store.rv
        if requested and requested != "0" and not initial_end:
            since = int(requested)
            oldest = store.oldest_rv()
            initial: list[Record] = []
            expired = since < oldest
        else:
            since, oldest, expired = start_rv, 0, False
            initial = [r for r in store.items(rtype.key, namespace) if match is None or match(r.obj)]

    def line(kind: str, obj: bytes) -> bytes:
        return b'{"type":"' + kind.encode() + b'","object":' + obj + b"}\n"

    def bookmark(rv: int, end_of_initial: bool = False) -> bytes:
        meta: dict[str, Any] = {"resourceVersion": str(rv)}
        if end_of_initial:
            meta["annotations"] = {"k8s.io/initial-events-end": "true"}
        return line("BOOKMARK", dumps({"kind": rtype.kind, "apiVersion": api_version,
                                       "metadata": meta}))

    def events() -> Iterator[bytes]:
        if expired:
            yield line("ERROR", gone(f"too old resource version: {since} ({oldest})").body()[:-1])
            return
        for record in initial:
            yield line("ADDED", record.encoded(api_version))
        if initial_end and bookmarks:
            yield bookmark(start_rv, True)
        deadline = time.monotonic() + timeout if timeout > 0 else None
        next_bookmark = time.monotonic() + bookmark_every
        last = since
        while True:
            with store.lock:
                pending = store.events_after(last, rtype.key)
                if not pending and not store.closed:
                    wait = 0.5
                    if deadline is not None:
                        wait = min(wait, deadline - time.monotonic())
                    if wait > 0:
                        store.changed.wait(wait)
                    pending = store.events_after(last, rtype.key)
                if last < store.oldest_rv():
                    yield line("ERROR", gone(
                        f"too old resource version: {last} ({store.oldest_rv()})").body()[:-1])
                    return
                closed, current = store.closed, store.rv
            for event in pending:
                out = _translate(event, namespace, match, api_version)
                if out is not None:
                    yield line(*out)
            last = current  # every event of this type up to `current` has been seen
            if closed or not alive():
                return
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                if bookmarks:
                    yield bookmark(max(last, current))
                return
            if bookmarks and now >= next_bookmark:
                yield bookmark(max(last, current))
                next_bookmark = now + bookmark_every

    return Reply(200, stream=events())


def _translate(
    event: Event, namespace: str | None, match: Matcher | None, api_version: str
) -> tuple[str, bytes] | None:
    """The event a filtered watcher sees (objects moving in/out of a selector)."""
    if namespace is not None and event.namespace != namespace:
        return None
    if match is None:
        return event.kind, event.record.encoded(api_version)
    now_in = event.kind != "DELETED" and match(event.record.obj)
    was_in = event.prev is not None and match(event.prev.obj)
    if event.kind == "DELETED":
        return ("DELETED", event.record.encoded(api_version)) if was_in else None
    if now_in and (was_in or event.kind == "ADDED"):
        return event.kind, event.record.encoded(api_version)
    if now_in:
        return "ADDED", event.record.encoded(api_version)
    if was_in and event.prev is not None:
        prev = event.prev.obj
        moved = {**prev, "metadata": {**prev["metadata"], "resourceVersion": str(event.rv)}}
        return "DELETED", dumps({**moved, "apiVersion": api_version})
    return None
