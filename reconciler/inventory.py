"""What platformctl owns on one cluster for one environment (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from reconciler.objects import Manifest, ObjectKey
from reconciler.owned import owned_live
from reconciler.tenancy import Scope


@dataclass(frozen=True, slots=True)
class Inventory:
    """What platformctl owns on one cluster for one environment, and from which revision."""

    environment: str
    revision: str
    objects: tuple[ObjectKey, ...]
    api_versions: dict[str, str]  # "group/kind" -> apiVersion, so pruning needs no discovery
    kept: tuple[ObjectKey, ...] = ()
    """Owned objects Git no longer renders that a prune left in place (protected, annotated to keep,
    shared, or pruning off): still owned, so a later ``--prune-protected`` can delete them."""

    def keys(self) -> frozenset[ObjectKey]:
        """The owned object keys (kept ones included)."""
        return frozenset(self.objects)

    def kept_keys(self) -> frozenset[ObjectKey]:
        """The kept object keys."""
        return frozenset(self.kept)


def inventory_of(environment: str, revision: str, manifests: Iterable[Manifest],
                 keep: Iterable[tuple[ObjectKey, str]] = (),
                 kept: Iterable[tuple[ObjectKey, str]] = ()) -> Inventory:
    """The inventory holding ``manifests`` plus ``keep`` ((key, apiVersion) pairs still to prune) plus
    ``kept`` (pairs a prune left in place, marked kept)."""
    api_versions: dict[str, str] = {}
    keys: set[ObjectKey] = set()
    for manifest in manifests:
        key = ObjectKey.of(manifest)
        keys.add(key)
        api_versions[f"{key.group}/{key.kind}"] = str(manifest["apiVersion"])
    marked: set[ObjectKey] = set()
    for pairs, mark in ((keep, False), (kept, True)):
        for key, api_version in pairs:
            if mark and key not in keys:
                marked.add(key)
            keys.add(key)
            api_versions.setdefault(f"{key.group}/{key.kind}", api_version)
    return Inventory(environment, revision, tuple(sorted(keys)), dict(sorted(api_versions.items())),
                     tuple(sorted(marked)))


def same_contents(a: Inventory | None, b: Inventory) -> bool:
    """Whether two inventories own the same objects (revision alone does not warrant a write)."""
    return (a is not None and a.keys() == b.keys() and a.api_versions == b.api_versions
            and a.kept_keys() == b.kept_keys())


def api_version_of(inventory: Inventory, key: ObjectKey) -> str | None:
    """The apiVersion an owned object was written with."""
    return inventory.api_versions.get(f"{key.group}/{key.kind}")


def adopted(environment: str, revision: str, live: Mapping[ObjectKey, Manifest], scope: Scope) -> Inventory:
    """The inventory ``--adopt`` rebuilds: every live object that passes the ownership rule."""
    keys = owned_live(live, scope)
    return inventory_of(environment, revision, [], [(k, str(live[k]["apiVersion"])) for k in keys])


def held_reason(environment: str, damaged: str, orphans: list[ObjectKey]) -> str:
    """Why pruning must wait for ``--adopt`` ('' when a fresh inventory would forget nothing)."""
    fix = (f"nothing is pruned and the inventory is not rewritten until `platformctl apply --env {environment} "
           "--adopt` rebuilds it from the objects' managedFields")
    if damaged:
        return f"{damaged}; {fix}"
    if not orphans:
        return ""
    named = ", ".join(str(k) for k in orphans[:3]) + (f" and {len(orphans) - 3} more" if len(orphans) > 3 else "")
    return (f"the inventory of environment '{environment}' is missing, but platformctl applied "
            f"{len(orphans)} object(s) here that Git no longer renders ({named}); {fix}")

