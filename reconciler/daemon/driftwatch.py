"""Drift seen as it happens: WATCH the kinds of one target's objects and report the first event
that leaves an object we manage out of line with Git.

The periodic drift check re-lists every kind; this watcher instead keeps one WATCH open per
(kind, namespace) of the target and compares each event's object with the desired manifest on
the fields we manage (``diff.in_sync``, the same test the plan uses). Status updates by the
Kubeflow controllers therefore never count; a hand edit or a deletion does, and makes the daemon
schedule a drift reconcile of the target within ``drift_watch_delay`` seconds.

A watch resumes from the last resourceVersion it saw after the server ends the stream or the
connection drops; when the server answers 410 (too old) events may have been missed, so the
target is reported for a full check and the watch restarts from the current collection.
Clusters whose client cannot watch (a local directory) are left to the periodic check.

With the watch cache (``DaemonConfig.watch_cache``) the WATCHes are an ``Informer``'s instead: it
lists and watches each group into the store the target's reconciles read, and tells this watcher
of each event once the store holds it (so the drift reconcile it triggers plans from that event),
and of each re-LIST after a 410 or a broken watch. The cache also watches the cluster-scoped objects a
reconcile reads by name (the environment's Namespace, team Profiles) where the role allows it, so a
hand edit of one of those counts as drift too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Protocol, runtime_checkable

import structlog

from reconciler.cluster.base import KindRef
from reconciler.cluster.kube.cachestore import Group as CacheGroup
from reconciler.cluster.kube.informer import Informer
from reconciler.cluster.kube.watch import WatchEvent
from reconciler.daemon.revisions import TargetKey
from reconciler.diff import in_sync
from reconciler.errors import ClusterError, Expired
from reconciler.objects import Manifest, ObjectKey

log = structlog.get_logger("platformctl.driftwatch")

_QUICK_END = 1.0
"""A stream that ends sooner than this without an event counts as a failure (no busy loop)."""

Group = tuple[str, str, str]
"""(apiVersion, kind, namespace): one WATCH."""


@runtime_checkable
class Watchable(Protocol):
    """What the watcher needs of a cluster client (KubeCluster has it; LocalDirCluster has not)."""

    def kind(self, api_version: str, kind: str) -> KindRef: ...

    def collection_version(self, kind: KindRef, namespace: str | None, label_selector: str = "") -> str: ...

    def watch(self, kind: KindRef, namespace: str | None, resource_version: str, *, label_selector: str = "",
              timeout_seconds: int = 300, stop: threading.Event | None = None) -> Iterator[WatchEvent]: ...

    def close(self) -> None: ...


def groups_of(manifests: list[Manifest]) -> dict[ObjectKey, tuple[Group, Manifest]]:
    """Each desired namespaced object with the WATCH that sees it. Cluster-scoped objects (the
    environment's Namespace) get no WATCH of a whole kind, which would need list and watch on every
    namespace of the cluster (the daemon's role deliberately lacks it): without the watch cache they are
    left to the periodic check; with it they are watched one by one, by name."""
    found: dict[ObjectKey, tuple[Group, Manifest]] = {}
    for manifest in manifests:
        key = ObjectKey.of(manifest)
        if not key.namespace:
            continue
        group = (str(manifest.get("apiVersion", "")), str(manifest.get("kind", "")), key.namespace)
        found[key] = (group, manifest)
    return found


def drifted(event: WatchEvent, desired: Manifest | None) -> bool:
    """Whether an event leaves a desired object out of line with Git (pure): it was deleted, or
    created or changed so that a field we manage differs."""
    if desired is None or event.type == "BOOKMARK":
        return False
    return event.type == "DELETED" or not in_sync(desired, event.object)


class DriftWatch:
    """The watches of one target. ``update`` sets what Git wants; ``stop`` ends every watch."""

    def __init__(self, key: TargetKey, client: Watchable, on_drift: Callable[[TargetKey, str], None], *,
                 timeout_seconds: int = 300, backoff_base: float = 1.0, backoff_cap: float = 60.0,
                 informer: Informer | None = None) -> None:
        self.key = key
        self.informer = informer
        """The watch cache's feeder: its WATCHes replace this watcher's own."""
        self._unlisten = informer.listen(self) if informer is not None else None
        self._client = client
        self._on_drift = on_drift
        self._timeout = timeout_seconds
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._lock = threading.Lock()
        self._desired: dict[ObjectKey, Manifest] = {}
        self._threads: dict[Group, tuple[threading.Thread, threading.Event]] = {}
        self._closed = False

    @property
    def groups(self) -> set[Group]:
        """The WATCHes open (or reconnecting) now."""
        if self.informer is not None:
            return {(g[0], g[1], g[2]) for g in self.informer.groups if not g[3]}
        with self._lock:
            return set(self._threads)

    def update(self, manifests: list[Manifest]) -> None:
        """Compare events with these manifests from now on; open and close WATCHes to match."""
        wanted = groups_of(manifests)
        needed = {group for group, _ in wanted.values()}
        with self._lock:
            if self._closed:
                return
            self._desired = {key: manifest for key, (_, manifest) in wanted.items()}
            if self.informer is not None:
                # watched by name once a reconcile read them (and the role lets it): their events count too
                self._desired.update((key, m) for m in manifests if not (key := ObjectKey.of(m)).namespace)
                for api_version, kind, namespace in needed:  # the reconciles add the groups they read
                    self.informer.want((api_version, kind, namespace, ""))
                return
            for group in [g for g in self._threads if g not in needed]:
                self._threads.pop(group)[1].set()
            for group in needed - set(self._threads):
                stop = threading.Event()
                thread = threading.Thread(target=self._run, args=(group, stop), daemon=True,
                                          name=f"watch-{self.key[1]}-{group[1]}-{group[2]}")
                self._threads[group] = (thread, stop)
                thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """End every WATCH, then close the client; waits at most ``timeout`` seconds (0: not at all).

        The client is closed only once the watch threads have ended: its stopper thread is what
        interrupts a read blocked on an idle stream.
        """
        with self._lock:
            self._closed = True
            threads = [thread for thread, _ in self._threads.values()]
            stops = [stop for _, stop in self._threads.values()]
            self._threads.clear()
        for stop in stops:
            stop.set()
        if self.informer is not None and self._unlisten is not None:
            self._unlisten()
            threads += self.informer.stop()

        def close_when_done() -> None:
            for thread in threads:
                thread.join(5.0)
            self._client.close()

        closer = threading.Thread(target=close_when_done, name=f"watch-close-{self.key[1]}", daemon=True)
        closer.start()
        if timeout > 0:
            closer.join(timeout)

    # --- one WATCH ------------------------------------------------------------------------
    def _run(self, group: Group, stop: threading.Event) -> None:
        api_version, kind_name, namespace = group
        version = ""
        failures = 0
        while not stop.is_set():
            started, events = time.monotonic(), 0
            try:
                kind = self._client.kind(api_version, kind_name)
                if not version:
                    version = self._client.collection_version(kind, namespace)
                for event in self._client.watch(kind, namespace, version, timeout_seconds=self._timeout, stop=stop):
                    events += 1
                    version = event.resource_version or version
                    self._consider(event)
                    if stop.is_set():
                        return
            except Expired:
                version = ""
                self._report(f"the watch of {kind_name} fell too far behind; checking everything")
                continue
            except ClusterError as exc:
                log.info("watch failed; retrying", environment=self.key[0], cluster=self.key[1], kind=kind_name,
                         error=exc.message)
            except Exception:  # noqa: BLE001 - a bug must not end the watch for good
                log.exception("watch crashed; retrying", environment=self.key[0], cluster=self.key[1],
                              kind=kind_name)
            else:
                if events or time.monotonic() - started >= _QUICK_END:
                    failures = 0
                    continue  # the server ended the stream (its timeout) or the connection dropped: resume
            failures += 1  # an error, or a stream that keeps ending at once: back off
            stop.wait(min(self._backoff_cap, self._backoff_base * 2 ** min(failures - 1, 16)))

    # --- told by the informer (watch cache) ----------------------------------------------
    def event(self, group: CacheGroup, event: WatchEvent) -> None:
        """An event the cache holds now."""
        self._consider(event)

    def relisted(self, group: CacheGroup, why: str) -> None:
        """A group was listed again (410 or a broken watch): events may have been missed."""
        self._report(f"{why} ({group[1]} in {group[2] or 'the cluster'}); checking everything")

    def _consider(self, event: WatchEvent) -> None:
        key = ObjectKey.of(event.object)
        with self._lock:
            desired = self._desired.get(key)
        if drifted(event, desired):
            self._report(f"{event.type.lower()} {key}")

    def _report(self, what: str) -> None:
        with self._lock:
            if self._closed:
                return
        self._on_drift(self.key, what)
