"""The inventory's stored JSON form, shared by every cluster implementation (pure).

Objects are ``group|kind|namespace|name`` strings, sorted, so the stored text is stable and a
rewrite of the same inventory is a no-op on the server. ``kept`` (written only when not empty, so
older inventories decode unchanged and older readers ignore it) names the objects among
``objects`` that a prune left in place.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.errors import Invalid
from reconciler.inventory import Inventory
from reconciler.objects import ObjectKey

INVENTORY_FORMAT = 1


def inventory_name(environment: str) -> str:
    """The ConfigMap (or file stem) holding an environment's inventory."""
    return f"platformctl-inventory-{environment}"


def encode_inventory(inventory: Inventory) -> str:
    """Stable JSON text of an inventory."""
    data: dict[str, Any] = {
        "format": INVENTORY_FORMAT,
        "environment": inventory.environment,
        "revision": inventory.revision,
        "objects": sorted(_encode_key(k) for k in inventory.objects),
        "api_versions": dict(sorted(inventory.api_versions.items())),
    }
    if inventory.kept:
        data["kept"] = sorted(_encode_key(k) for k in inventory.kept)
    return json.dumps(data, indent=1, sort_keys=False)


def decode_inventory(text: str, where: str) -> Inventory:
    """Parse stored inventory text; Invalid (naming ``where``) when it is damaged.

    A damaged inventory is an error, never read as empty: empty would disown everything.
    """
    try:
        data: Any = json.loads(text)
        objects = tuple(sorted(_decode_key(s) for s in data["objects"]))
        versions = {str(k): str(v) for k, v in dict(data.get("api_versions", {})).items()}
        kept = tuple(sorted(set(_decode_key(s) for s in data.get("kept", [])) & set(objects)))
        return Inventory(str(data["environment"]), str(data["revision"]), objects, versions, kept)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise DamagedInventory(f"the inventory in {where} is damaged ({type(exc).__name__}: {exc})") from None


class DamagedInventory(Invalid):
    """A stored inventory that does not decode: never read as empty (empty would disown everything)."""


def _encode_key(key: ObjectKey) -> str:
    return f"{key.group}|{key.kind}|{key.namespace}|{key.name}"


def _decode_key(text: str) -> ObjectKey:
    group, kind, namespace, name = str(text).split("|")
    if not kind or not name:
        raise ValueError(f"bad object entry {text!r}")
    return ObjectKey(group, kind, namespace, name)
