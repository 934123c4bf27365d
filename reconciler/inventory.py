"""What platformctl owns on one cluster for one environment (pure)."""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.cluster.base import Inventory
from reconciler.objects import Manifest, ObjectKey


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
