"""What a reconcile starts from: the stored inventory and the live objects, read at once."""

from __future__ import annotations

import concurrent.futures

from reconciler.cluster.base import Cluster, KindRef
from reconciler.cluster.inventory_codec import DamagedInventory
from reconciler.errors import Forbidden, NotFound
from reconciler.inventory import Inventory, api_version_of
from reconciler.kinds import RENDERED_KINDS
from reconciler.objects import Manifest, ObjectKey
from reconciler.tenancy import CLUSTER_SCOPED_ALLOWED


def _pairs(manifests: list[Manifest], previous: Inventory | None) -> set[tuple[str, str]]:
    """(apiVersion, kind) of every rendered object, or of every object the inventory names."""
    if previous is None:
        return {(str(m["apiVersion"]), str(m["kind"])) for m in manifests}
    return {(version, key.kind) for key in previous.objects if (version := api_version_of(previous, key))}


def read_state(cluster: Cluster, environment: str, namespace: str, manifests: list[Manifest], *,
               every_kind: bool = False, cluster_scoped: frozenset[str] = CLUSTER_SCOPED_ALLOWED
               ) -> tuple[Inventory | None, str, dict[tuple[str, str], KindRef], dict[ObjectKey, Manifest]]:
    """The inventory (None when missing or damaged, with the damage), the kinds to read and the live objects.

    The inventory and the LISTs of the kinds Git renders go out together (against a cluster 20 ms
    away that is one round trip instead of one per kind); kinds only the inventory names are listed
    once it has arrived. Without an inventory (or with ``every_kind``, for ``--adopt``) every kind
    platformctl renders is listed too, so objects it applied are found wherever Git dropped them."""
    kinds = {pair: cluster.kind(*pair) for pair in sorted(_pairs(manifests, None))}
    damaged = ""
    with concurrent.futures.ThreadPoolExecutor(max_workers=READERS) as readers:
        inventory = readers.submit(cluster.read_inventory, environment, namespace)
        reads = {pair: readers.submit(read_kind, cluster, kind, namespace) for pair, kind in kinds.items()}
        try:
            previous = inventory.result()
        except DamagedInventory as exc:
            previous, damaged = None, exc.message
        # Kinds platformctl never renders (a tampered inventory can name any) are read only to report
        # them: one the cluster does not serve is not an error.
        optional = _pairs(manifests, previous) - kinds.keys() - set(RENDERED_KINDS)
        for pair in sorted(_pairs(manifests, previous) - kinds.keys() - optional):
            kinds[pair] = cluster.kind(*pair)
            reads[pair] = readers.submit(read_kind, cluster, kinds[pair], namespace)
        if previous is None or every_kind:
            optional |= set(RENDERED_KINDS) - kinds.keys()
        extra = {pair: readers.submit(_read_optional_kind, cluster, pair, namespace, cluster_scoped)
                 for pair in sorted(optional)}
        live: dict[ObjectKey, Manifest] = {}
        for pair in sorted(reads):  # a fixed order: the same live map whatever finishes first
            live.update((ObjectKey.of(o), o) for o in reads[pair].result())
        for pair in sorted(extra):
            found = extra[pair].result()
            if found is not None:
                kinds[pair] = found[0]
                live.update((ObjectKey.of(o), o) for o in found[1])
    return previous, damaged, kinds, live


def _read_optional_kind(cluster: Cluster, pair: tuple[str, str], namespace: str, cluster_scoped: frozenset[str]
                        ) -> tuple[KindRef, list[Manifest]] | None:
    """A kind Git does not render here, listed to find what platformctl applied; None when the cluster
    does not serve it or does not let us read it (a tampered inventory may name any kind: it must not
    stop the reconcile). A cluster-scoped kind the environment may not own is not read at all: nothing
    of it can be the environment's to delete, and listing it cluster-wide needs rights it is not given."""
    try:
        kind = cluster.kind(*pair)
        if not kind.namespaced and kind.kind not in cluster_scoped:
            return kind, []
        return kind, read_kind(cluster, kind, namespace)
    except (NotFound, Forbidden):
        return None


READERS = 8
"""Reads in flight while a reconcile reads the cluster's state (the inventory and one LIST per kind)."""


def read_kind(cluster: Cluster, kind: KindRef, namespace: str) -> list[Manifest]:
    """One kind's live objects, slimmed as soon as read (kinds are read at once: peak memory)."""
    if kind.namespaced:
        objects = cluster.list(kind, namespace)
    elif kind.kind == "Namespace":  # ours only: never list every namespace of a shared cluster
        found = cluster.get(kind, None, namespace)
        objects = [found] if found is not None else []
    else:
        objects = cluster.list(kind, None)
    return [slim(o) for o in objects]


def slim(obj: Manifest) -> Manifest:
    """Drop the field sets of managedFields (most of a live object's bytes); who applied it is kept."""
    entries = obj.get("metadata", {}).get("managedFields")
    if entries:
        obj["metadata"]["managedFields"] = [
            {k: e[k] for k in ("manager", "operation", "subresource") if k in e} for e in entries
        ]
    return obj
