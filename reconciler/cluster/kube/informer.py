"""The watch cache's feeder: one thread per group doing LIST, then WATCH from the LIST's
resourceVersion, into a ``WatchStore``; listeners hear every event after the store holds it.

A stream the server ends (its timeout) or a dropped connection resumes from the last
resourceVersion seen, without a LIST. Only a 410 (Expired) or an error answer (a broken watch)
unsyncs the group and lists it again; listeners hear of the re-LIST once it is in the store.
A group the client may not list or watch (403) is given up for good, and a kind not served backs
off: either stays unsynced, so reads of it go to the server, as without a cache.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

import structlog

from reconciler.cluster.kube.cachestore import Group, WatchStore, packed
from reconciler.cluster.kube.cluster import KubeCluster, WatchEvent
from reconciler.errors import ClusterError, Expired, Forbidden

log = structlog.get_logger("platformctl.informer")

_QUICK_END = 1.0
"""A stream that ends sooner than this without an event counts as a failure (no busy loop)."""


class Listener(Protocol):
    """Told of a group's events (after the store took them) and of its re-LISTs."""

    def event(self, group: Group, event: WatchEvent) -> None:
        """One event of a watched group."""

    def relisted(self, group: Group, why: str) -> None:
        """The group was listed again after its watch expired or broke: events may have been missed."""


class Informer:
    """The LIST+WATCH of every group a target wants, over one client; ``stop`` ends them all."""

    def __init__(self, client: KubeCluster, store: WatchStore | None = None, *, timeout_seconds: int = 300,
                 backoff_base: float = 1.0, backoff_cap: float = 60.0) -> None:
        self.client = client
        self.store = store if store is not None else WatchStore()
        self._timeout = timeout_seconds
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._lock = threading.Lock()
        self._threads: dict[Group, tuple[threading.Thread, threading.Event]] = {}
        self._listeners: list[Listener] = []
        self._refused: set[Group] = set()
        """Groups the server does not let this client list or watch (e.g. Namespaces by name)."""
        self._closed = False

    @property
    def groups(self) -> set[Group]:
        """The groups listed and watched now (or reconnecting)."""
        with self._lock:
            return set(self._threads)

    def listen(self, listener: Listener) -> Callable[[], None]:
        """Tell ``listener`` of every event from now on; returns what stops that."""
        with self._lock:
            self._listeners.append(listener)

        def forget() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)
        return forget

    def want(self, group: Group) -> None:
        """List and watch ``group`` from now on (a no-op when it already is)."""
        with self._lock:
            if self._closed or group in self._threads or group in self._refused:
                return
            stop = threading.Event()
            thread = threading.Thread(target=self._run, args=(group, stop), daemon=True,
                                      name=f"informer-{self.client.name}-{group[1]}-{group[2] or group[3]}")
            self._threads[group] = (thread, stop)
        thread.start()

    def release(self, groups: set[Group]) -> None:
        """Stop watching ``groups`` and forget what they held."""
        with self._lock:
            stops = [self._threads.pop(g)[1] for g in groups if g in self._threads]
        for stop in stops:
            stop.set()
        for group in groups:
            self.store.drop(group)

    def stop(self) -> list[threading.Thread]:
        """End every watch; returns their threads (each ends within about 0.1 s of an idle stream, once
        the client's stopper interrupts it: close the client only after they ended)."""
        with self._lock:
            self._closed = True
            threads = list(self._threads.values())
            self._threads.clear()
        for _, stop in threads:
            stop.set()
        return [thread for thread, _ in threads]

    # --- one group -------------------------------------------------------------------
    def _run(self, group: Group, stop: threading.Event) -> None:
        api_version, kind_name, namespace, name = group
        selector = f"metadata.name={name}" if name else ""
        version, failures, why = "", 0, ""
        while not stop.is_set():
            started, events = time.monotonic(), 0
            try:
                kind = self.client.kind(api_version, kind_name)
                if not version:
                    objects: dict[str, bytes] = {}
                    for page, version in self.client.list_pages(kind, namespace or None, field_selector=selector):
                        packed(page, objects)  # a page at a time: never the whole LIST decoded at once
                    if stop.is_set():
                        return
                    self.store.replace(group, objects, version)
                    if why:
                        self._tell(lambda listener: listener.relisted(group, why))
                        why = ""
                for event in self.client.watch(kind, namespace or None, version, timeout_seconds=self._timeout,
                                               stop=stop, field_selector=selector):
                    events += 1
                    version = event.resource_version or version
                    self.store.event(group, event.type, event.object)
                    self._tell(lambda listener: listener.event(group, event))
                    if stop.is_set():
                        return
            except Forbidden as exc:
                self.store.unsync(group)
                with self._lock:
                    self._refused.add(group)
                    self._threads.pop(group, None)
                log.info("not allowed to watch; read from the server instead", cluster=self.client.name,
                         kind=kind_name, namespace=namespace, name=name, error=exc.message)
                return
            except Expired:
                self.store.unsync(group)
                version, why = "", "the watch fell too far behind (410)"
                continue
            except ClusterError as exc:
                self.store.unsync(group)
                version, why = "", f"the watch broke: {exc.message}"
                log.info("watch failed; listing again", cluster=self.client.name, kind=kind_name, error=exc.message)
            except Exception:  # noqa: BLE001 - a bug must not end the watch for good
                self.store.unsync(group)
                version, why = "", "the watch crashed"
                log.exception("watch crashed; listing again", cluster=self.client.name, kind=kind_name)
            else:
                if events or time.monotonic() - started >= _QUICK_END:
                    failures = 0
                    continue  # the server ended the stream or the connection dropped: resume, no LIST
            failures += 1
            stop.wait(min(self._backoff_cap, self._backoff_base * 2 ** min(failures - 1, 16)))

    def _tell(self, call: Callable[[Listener], None]) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                call(listener)
            except Exception:  # noqa: BLE001 - a listener's bug must not stop the cache
                log.exception("watch listener failed", cluster=self.client.name)
