"""What a reconcile starts from: the stored inventory and the live objects, read at once."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Iterable
from dataclasses import dataclass

from reconciler.cluster.base import Cluster, KindRef
from reconciler.cluster.inventory_codec import DamagedInventory
from reconciler.errors import Forbidden, NotFound
from reconciler.inventory import Inventory, api_version_of
from reconciler.kinds import RENDERED_KINDS
from reconciler.labels import LABEL_COMPONENT, LABEL_ENVIRONMENT
from reconciler.objects import Manifest, ObjectKey
from reconciler.owned import applied_by_platformctl
from reconciler.policy.model import ALWAYS_RESERVED_PREFIX
from reconciler.render.ownership import label_value
from reconciler.tenancy import TEAM_KIND, Scope


TEAMS_DIRECTORY = "teams"
"""The ``app.kubernetes.io/component`` label value of what a team renders (its Namespace and Profile)."""


@dataclass(slots=True)
class LiveState:
    """What a reconcile starts from."""

    inventory: Inventory | None
    """None when missing or damaged (``damaged`` says how)."""
    damaged: str
    kinds: dict[tuple[str, str], KindRef]
    live: dict[ObjectKey, Manifest]
    scope: Scope
    """The scope given, widened by the namespaces of teams Git no longer hosts here that platformctl
    provably created (so what it applied inside them can still be pruned)."""


def _pairs(manifests: list[Manifest], previous: Inventory | None) -> set[tuple[str, str]]:
    """(apiVersion, kind) of every rendered object, or of every object the inventory names."""
    if previous is None:
        return {(str(m["apiVersion"]), str(m["kind"])) for m in manifests}
    return {(version, key.kind) for key in previous.objects if (version := api_version_of(previous, key))}


def read_state(cluster: Cluster, environment: str, scope: Scope, manifests: list[Manifest], *,
               every_kind: bool = False) -> LiveState:
    """The inventory, the kinds to read and the live objects in every namespace of ``scope``.

    The inventory and the LISTs of the kinds Git renders go out together (against a cluster 20 ms
    away that is one round trip instead of one per kind); kinds only the inventory names are listed
    once it has arrived. Without an inventory (or with ``every_kind``, for ``--adopt``) every kind
    platformctl renders is listed too, so objects it applied are found wherever Git dropped them."""
    kinds = {pair: cluster.kind(*pair) for pair in sorted(_pairs(manifests, None))}
    damaged = ""
    with concurrent.futures.ThreadPoolExecutor(max_workers=READERS) as readers:
        inventory = readers.submit(cluster.read_inventory, environment, scope.namespace)
        reads = {pair: readers.submit(read_kind, cluster, kind, scope) for pair, kind in kinds.items()}
        try:
            previous = inventory.result()
        except DamagedInventory as exc:
            previous, damaged = None, exc.message
        former = _former_teams(cluster, environment, previous, scope)
        # the kinds already being read, in (and, for Profiles, named after) the namespaces of teams Git dropped
        extra_reads = {pair: readers.submit(_read_former, cluster, kind, list(former))
                       for pair, kind in kinds.items() if former and kind.kind != "Namespace"}
        scope = scope.widened(former)
        # Kinds platformctl never renders (a tampered inventory can name any) are read only to report
        # them: one the cluster does not serve is not an error.
        optional = _pairs(manifests, previous) - kinds.keys() - set(RENDERED_KINDS)
        for pair in sorted(_pairs(manifests, previous) - kinds.keys() - optional):
            kinds[pair] = cluster.kind(*pair)
            reads[pair] = readers.submit(read_kind, cluster, kinds[pair], scope)
        if previous is None or every_kind:
            optional |= set(RENDERED_KINDS) - kinds.keys()
        extra = {pair: readers.submit(_read_optional_kind, cluster, pair, scope) for pair in sorted(optional)}
        live: dict[ObjectKey, Manifest] = {}
        for pair in sorted(reads):  # a fixed order: the same live map whatever finishes first
            live.update((ObjectKey.of(o), o) for o in reads[pair].result())
            if pair in extra_reads:
                live.update((ObjectKey.of(o), o) for o in extra_reads[pair].result())
        live.update((ObjectKey.of(o), o) for o in former.values())
        for pair in sorted(extra):
            found = extra[pair].result()
            if found is not None:
                kinds[pair] = found[0]
                live.update((ObjectKey.of(o), o) for o in found[1])
    return LiveState(previous, damaged, kinds, live, scope)


def _former_teams(cluster: Cluster, environment: str, previous: Inventory | None, scope: Scope
                  ) -> dict[str, Manifest]:
    """Namespaces the inventory names that Git no longer hosts here, and that platformctl provably made for a
    team of this environment: the live Namespace carries this environment's team labels (only cluster-wide
    rights can set those) and a server-side apply by platformctl. A name an edited inventory adds fails this."""
    if previous is None:
        return {}
    names = sorted(k.name for k in previous.objects
                   if k.kind == "Namespace" and not k.namespace and k.name not in scope.namespaces
                   and not k.name.startswith(ALWAYS_RESERVED_PREFIX))
    if not names:
        return {}
    kind = cluster.kind("v1", "Namespace")
    found = {}
    for name in names:
        live = cluster.get(kind, None, name)
        labels = ((live or {}).get("metadata") or {}).get("labels") or {}
        if (live is not None and labels.get(LABEL_ENVIRONMENT) == label_value(environment)
                and labels.get(LABEL_COMPONENT) == TEAMS_DIRECTORY and applied_by_platformctl(live)):
            found[name] = slim(live)
    return found


def _read_former(cluster: Cluster, kind: KindRef, former: list[str]) -> list[Manifest]:
    """A kind's objects in the namespaces of former teams (a Profile: the one named after each)."""
    if kind.namespaced:
        return _read_namespaced(cluster, kind, former)
    if kind.kind == TEAM_KIND:
        return [slim(o) for name in former if (o := cluster.get(kind, None, name)) is not None]
    return []


def _read_optional_kind(cluster: Cluster, pair: tuple[str, str], scope: Scope
                        ) -> tuple[KindRef, list[Manifest]] | None:
    """A kind Git does not render here, listed to find what platformctl applied; None when the cluster
    does not serve it or does not let us read it (a tampered inventory may name any kind: it must not
    stop the reconcile). A cluster-scoped kind the environment may not own is not read at all: nothing
    of it can be the environment's to delete, and listing it cluster-wide needs rights it is not given."""
    try:
        kind = cluster.kind(*pair)
        if not kind.namespaced and kind.kind not in scope.cluster_scoped and kind.kind != TEAM_KIND:
            return kind, []
        return kind, read_kind(cluster, kind, scope)
    except (NotFound, Forbidden):
        return None


READERS = 8
"""Reads in flight while a reconcile reads the cluster's state (the inventory and one LIST per kind)."""


def read_kind(cluster: Cluster, kind: KindRef, scope: Scope) -> list[Manifest]:
    """One kind's live objects in the scope, slimmed as soon as read (kinds are read at once: peak memory).

    Namespaces and team Profiles are read by name: never every one of a shared cluster."""
    if kind.namespaced:
        return _read_namespaced(cluster, kind, scope.namespaces)
    if kind.kind == "Namespace":
        names: tuple[str, ...] = scope.namespaces
    elif kind.kind == TEAM_KIND and kind.kind not in scope.cluster_scoped:
        names = tuple(sorted(scope.teams))
    else:
        return [slim(o) for o in cluster.list(kind, None)]
    found = (cluster.get(kind, None, name) for name in names)
    return [slim(o) for o in found if o is not None]


def _read_namespaced(cluster: Cluster, kind: KindRef, namespaces: Iterable[str]) -> list[Manifest]:
    return [slim(o) for namespace in namespaces for o in cluster.list(kind, namespace)]


def slim(obj: Manifest) -> Manifest:
    """Drop the field sets of managedFields (most of a live object's bytes); who applied it is kept."""
    entries = obj.get("metadata", {}).get("managedFields")
    if entries:
        obj["metadata"]["managedFields"] = [
            {k: e[k] for k in ("manager", "operation", "subresource") if k in e} for e in entries
        ]
    return obj
