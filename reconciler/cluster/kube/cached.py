"""A KubeCluster whose reads are answered by a target's watch cache when it can be planned from.

Reads the store cannot answer (cold, after a 410 or a broken watch, our own write not yet seen on
the watch, a label selector) go to the server, and ask the informer to watch that group from now
on. Every write goes to the server; its answer tells the store which resourceVersion the watch must
reach before the object is read from the cache again. ``read_fresh`` sends every later read of the
reconcile to the server: the engine asks for it before deciding on a deletion.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reconciler.cluster.base import Delegating, KindRef
from reconciler.cluster.inventory_codec import inventory_name
from reconciler.cluster.kube.cachestore import Group
from reconciler.cluster.kube.cluster import KubeCluster, inventory_configmap, inventory_in
from reconciler.cluster.kube.informer import Informer
from reconciler.inventory import Inventory
from reconciler.objects import Manifest

_CONFIGMAP = KindRef("v1", "ConfigMap", "configmaps", True)


class CachedCluster(Delegating):
    """The Cluster protocol over ``inner``, reading from ``informer()`` (None: no cache now)."""

    inner: KubeCluster  # narrower than the Delegating mixin's Cluster

    def __init__(self, inner: KubeCluster, informer: Callable[[], Informer | None]) -> None:
        self.inner = inner
        self.name = inner.name
        self._informer = informer
        self._fresh = False
        self.served = 0
        """Reads the cache answered since ``reset``."""
        self._read: set[Group] = set()

    def reset(self) -> None:
        """A new reconcile: reads from the cache again where it can answer."""
        self._fresh, self.served = False, 0
        self._read = set()

    def retire_unread(self) -> None:
        """After a reconcile that succeeded: stop watching the groups it did not read (a kind or a namespace
        Git and the inventory dropped), so what the cache holds stays what the target reads."""
        informer = self._informer()
        if informer is not None:
            informer.release(informer.groups - self._read)

    def read_fresh(self) -> bool:
        """From now on every read goes to the server; True when an earlier read came from the cache
        (the caller then reads again what it decided on)."""
        served = self.served > 0 and not self._fresh
        self._fresh, self.served = True, 0
        return served

    # --- reads --------------------------------------------------------------------
    def kind(self, api_version: str, kind: str) -> KindRef:
        """Delegated."""
        return self.inner.kind(api_version, kind)

    def list(self, kind: KindRef, namespace: str | None, label_selector: str = "") -> list[Manifest]:
        """From the cache when it can answer; else one LIST, and the group watched from now on."""
        group = (kind.api_version, kind.kind, namespace or "", "")
        self._read.add(group)
        informer = None if label_selector else self._live_informer()
        if informer is None:
            return self.inner.list(kind, namespace, label_selector)
        found = informer.store.read(group)
        if found is None:
            informer.want(group)
            return self.inner.list(kind, namespace)
        self.served += 1
        return found

    def get(self, kind: KindRef, namespace: str | None, name: str) -> Manifest | None:
        """From the cache when it can answer; else one GET, and the group watched from now on (a
        cluster-scoped object on its own, by name)."""
        group = _group(kind, namespace, name)
        self._read.add(group)
        informer = self._live_informer()
        if informer is None:
            return self.inner.get(kind, namespace, name)
        answered, found = informer.store.lookup(group, name)
        if not answered:
            informer.want(group)
            return self.inner.get(kind, namespace, name)
        self.served += 1
        return found

    def read_inventory(self, environment: str, namespace: str) -> Inventory | None:
        """The inventory ConfigMap from the cache of the namespace's ConfigMaps when it can answer."""
        return inventory_in(self.get(_CONFIGMAP, namespace, inventory_name(environment)), environment, namespace,
                            self.name)

    # --- writes: to the server, the store told -------------------------------------------
    def apply(self, manifest: Manifest, *, dry_run: bool = False, force: bool = True) -> Manifest:
        """Delegated; a real write's answer marks the object stale until the watch reaches it."""
        stored = self.inner.apply(manifest, dry_run=dry_run, force=force)
        if not dry_run:
            self._wrote(stored)
        return stored

    def apply_as(self, manifest: Manifest, *, field_manager: str) -> Manifest:
        """Delegated (a rollout's share); the store told as for ``apply``."""
        stored = self.inner.apply_as(manifest, field_manager=field_manager)
        self._wrote(stored)
        return stored

    def delete(self, kind: KindRef, namespace: str | None, name: str, *, dry_run: bool = False) -> bool:
        """Delegated; a real delete marks the group stale until the watch delivers it."""
        informer = self._informer()
        if informer is not None and not dry_run:
            # marked before the request: the watch may deliver the deletion before the answer arrives
            for group in _groups(kind, namespace, name):
                informer.store.deleting(group, name)
        return self.inner.delete(kind, namespace, name, dry_run=dry_run)

    def write_inventory(self, inventory: Inventory, namespace: str) -> None:
        """Server-side apply the inventory ConfigMap, as ``KubeCluster.write_inventory`` does."""
        self.apply(inventory_configmap(inventory, namespace))

    def _wrote(self, stored: Manifest) -> None:
        informer = self._informer()
        if informer is None:
            return
        metadata = stored.get("metadata") or {}
        kind = self.inner.kind(str(stored.get("apiVersion", "")), str(stored.get("kind", "")))
        name = str(metadata.get("name") or "")
        for group in _groups(kind, str(metadata.get("namespace") or "") or None, name):
            informer.store.wrote(group, stored)

    def _live_informer(self) -> Informer | None:
        return None if self._fresh else self._informer()

    # --- delegated ------------------------------------------------------------------
    def record_event(self, event: Manifest) -> None:
        """Delegated."""
        self.inner.record_event(event)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)  # send_json and other KubeCluster extras


def _group(kind: KindRef, namespace: str | None, name: str) -> Group:
    """The group a read of one object is answered from: its namespace's, or its own when cluster-scoped."""
    if kind.namespaced:
        return kind.api_version, kind.kind, namespace or "", ""
    return kind.api_version, kind.kind, "", name


def _groups(kind: KindRef, namespace: str | None, name: str) -> list[Group]:
    """Every group that may hold the object."""
    if kind.namespaced:
        return [(kind.api_version, kind.kind, namespace or "", "")]
    return [(kind.api_version, kind.kind, "", ""), (kind.api_version, kind.kind, "", name)]
