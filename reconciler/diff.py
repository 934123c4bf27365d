"""Compare desired with live on the fields we manage, and show the difference as YAML (pure)."""

from __future__ import annotations

import difflib
from typing import Any

import yaml

from reconciler.labels import ANNOTATION_HASH, VOLATILE_ANNOTATIONS
from reconciler.objects import Manifest
from reconciler.quantity import holds_quantity, same_amount

MASK = "***"


def projection(live: Any, desired: Any, parent: str | int | None = None, key: str | int | None = None) -> Any:
    """``live`` cut down to the fields ``desired`` sets (so server defaults and status never count as drift).

    A quantity field (``quantity.holds_quantity``: resource requests and limits, ``hard``, ``storage``)
    whose live value is the same amount as the desired one counts as the desired value: an API server
    returns ``1Gi`` for ``1024Mi`` on built-in kinds, and ``2`` and ``2000m`` are the same CPU anywhere.
    """
    if isinstance(live, dict) and isinstance(desired, dict):
        return {k: projection(live[k], v, key, k) for k, v in desired.items() if k in live}
    if isinstance(live, list) and isinstance(desired, list) and len(live) == len(desired):
        return [projection(a, b, key, i) for i, (a, b) in enumerate(zip(live, desired, strict=True))]
    if live != desired and holds_quantity(parent, key) and same_amount(live, desired):
        return desired
    return live


def comparable(manifest: Manifest) -> Manifest:
    """What we compare: no status, no volatile annotations (source revision, hash)."""
    metadata = dict(manifest.get("metadata", {}))
    annotations = {k: v for k, v in (metadata.get("annotations") or {}).items() if k not in VOLATILE_ANNOTATIONS}
    if annotations:
        metadata["annotations"] = annotations
    else:
        metadata.pop("annotations", None)
    return {k: v for k, v in {**manifest, "metadata": metadata}.items() if k != "status"}


def _hash(manifest: Manifest) -> str | None:
    return ((manifest.get("metadata") or {}).get("annotations") or {}).get(ANNOTATION_HASH)


def in_sync(desired: Manifest, live: Manifest) -> bool:
    """True when every field we set has the desired value and the live object was applied from the same
    rendered content (a field Git dropped only shows as a changed spec hash: server-side apply removes it)."""
    wanted_hash = _hash(desired)
    if wanted_hash is not None and _hash(live) != wanted_hash:
        return False
    want = comparable(desired)
    return bool(projection(live, want) == want)


def masked(manifest: Manifest | None) -> Manifest | None:
    """Secrets with their values replaced by ``***``."""
    if manifest is None or manifest.get("kind") != "Secret":
        return manifest
    out = dict(manifest)
    for field in ("data", "stringData"):
        if isinstance(out.get(field), dict):
            out[field] = {k: MASK for k in out[field]}
    return out


def _text(manifest: Manifest | None) -> list[str]:
    if manifest is None:
        return []
    dumped = yaml.dump(masked(manifest), Dumper=yaml.CSafeDumper, sort_keys=False, default_flow_style=False, width=120)
    return dumped.splitlines(keepends=True)


def unified_diff(name: str, desired: Manifest | None, live: Manifest | None) -> str:
    """A unified YAML diff from live (projected onto what we manage) to desired; secrets masked."""
    want = comparable(desired) if desired is not None else None
    have = comparable(projection(live, want) if want is not None and live is not None else live) if live else None
    lines = "".join(difflib.unified_diff(_text(have), _text(want), fromfile=f"live/{name}", tofile=f"desired/{name}",
                                         n=3))
    if not lines and desired is not None and live is not None:
        return (f"--- live/{name}\n+++ desired/{name}\n# the rendered spec changed (spec hash {_hash(live)} -> "
                f"{_hash(desired)}): fields Git no longer sets are removed by server-side apply\n")
    return lines
