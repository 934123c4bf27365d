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

from kubeserver.cluster import Cluster
from kubeserver.errors import bad_request, gone, internal, not_found
from kubeserver.protocol import Call, Reply
from kubeserver.selectors import Matcher, field_selector, label_selector
from kubeserver.store import Event, Record, dumps


def get(cluster: Cluster, call: Call) -> Reply:
    """One object, as the requested version."""
    assert call.name is not None
    _resource_version(call, bare_500=True)
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
    _resource_version(call, bare_500=False)
    try:
        limit = max(int(call.query.get("limit") or 0), 0)  # a negative limit: no paging
    except ValueError:
        raise bad_request(f"limit: Invalid value: {call.query.get('limit')!r}") from None
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
    if rtype.custom:
        meta["continue"] = ""  # unstructured lists always carry it
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


def _resource_version(call: Call, *, bare_500: bool) -> str:
    """The `resourceVersion` parameter ("" when absent); a non-number is refused as the real
    server does: 400 on a list, a reason-less 500 on get and watch (its storage layer's error)."""
    requested = call.query.get("resourceVersion") or ""
    if requested and not requested.isdigit():
        why = f'resourceVersion: Invalid value: "{requested}": strconv.ParseUint: parsing "{requested}": invalid syntax'
        raise internal(why) if bare_500 else bad_request(f"invalid resource version: {why}")
    return requested


PRE_TIMEOUT = 2.0  # the watch cache's last bookmark comes this long before a watch times out
AFTER_EVENTS = 1.0  # and one comes on its next dispatch tick after events reached a watcher


def watch(
    cluster: Cluster, call: Call, alive: Callable[[], bool], bookmark_every: float
) -> Reply:
    """A watch stream of newline-delimited events; 410 as an ERROR event when too old.

    Bookmarks (with `allowWatchBookmarks`) as kube-apiserver's watch cache sends them: one
    marking the end of the initial events of a watch without a resourceVersion (or "0"); one
    about a second after events reached the watcher; one 2 s before `timeoutSeconds` runs out
    if events arrived during the watch (none when the timeout is 2 s or less); and one every
    `bookmark_every` seconds. Nothing when the watch times out.
    """
    rtype = call.rtype
    match, _, _ = _matcher(call)
    namespace = call.namespace if rtype.namespaced else None
    api_version = rtype.api_version(call.version)
    timeout = float(call.query.get("timeoutSeconds") or 0)
    bookmarks = call.flag("allowWatchBookmarks")
    initial_end = call.flag("sendInitialEvents")
    requested = _resource_version(call, bare_500=True)
    store = cluster.store
    with store.lock:
        start_rv = store.rv
        if requested and requested != "0" and not initial_end:
            since = int(requested)
            initial: list[Record] = []
            # A type's watch cache holds the events since it started (a CRD's: when it was
            # established; "too old resource version: 1 (<its start>)") and a bounded history.
            shown_oldest = rtype.watch_start if since < rtype.watch_start else store.oldest_rv()
            expired = since < shown_oldest
        else:
            since, shown_oldest, expired = start_rv, 0, False
            initial = [r for r in store.items(rtype.key, namespace) if match is None or match(r.obj)]
            initial_end = True  # the watch cache marks the end of a listing's ADDED events

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
            yield line("ERROR", gone(f"too old resource version: {since} ({shown_oldest})").body()[:-1])
            return
        for record in initial:
            yield line("ADDED", record.encoded(api_version))
        if initial_end and bookmarks:
            yield bookmark(start_rv, True)
        started = time.monotonic()
        deadline = started + timeout if timeout > 0 else None
        pre_timeout = deadline - PRE_TIMEOUT if deadline is not None else None
        if pre_timeout is not None and pre_timeout <= started:
            pre_timeout = None
        next_bookmark = started + bookmark_every
        owed: float | None = None  # when the bookmark after delivered events is due
        delivered = False  # events reached this watcher since it started
        last = since
        while True:
            with store.lock:
                pending = store.events_after(last, rtype.key)
                if not pending and not store.closed:
                    wait = 0.5
                    for due in (deadline, owed if bookmarks else None, pre_timeout if bookmarks else None):
                        if due is not None:
                            wait = min(wait, due - time.monotonic())
                    if wait > 0:
                        store.changed.wait(wait)
                    pending = store.events_after(last, rtype.key)
                if last < store.oldest_rv():
                    yield line("ERROR", gone(
                        f"too old resource version: {last} ({store.oldest_rv()})").body()[:-1])
                    return
                closed, current = store.closed, store.rv
            sent = False
            for event in pending:
                out = _translate(event, namespace, match, api_version)
                if out is not None:
                    sent = True
                    yield line(*out)
            last = current  # every event of this type up to `current` has been seen
            now = time.monotonic()
            if sent:
                delivered = True
                if owed is None:
                    owed = now + AFTER_EVENTS
            if closed or not alive():
                return
            if deadline is not None and now >= deadline:
                return
            if not bookmarks:
                continue
            if owed is not None and now >= owed or now >= next_bookmark:
                yield bookmark(max(last, current))
                owed, next_bookmark = None, now + bookmark_every
            elif pre_timeout is not None and now >= pre_timeout:
                if delivered:
                    yield bookmark(max(last, current))
                pre_timeout = None

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
