"""Who owns what when targets are sharded across replicas (pure).

A target belongs to one of ``shards`` shards, fixed by its key alone (``shard_of``); each shard is
one Lease, so at most one replica may write a target at any moment whatever the replicas believe.
Which replica *should* hold a shard is rendezvous hashing over the live members
(``preferred``): every replica computes the same answer from the same membership, and when a
member joins or leaves only the shards it gains or held move (``placement``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable


def _score(*parts: str) -> int:
    digest = hashlib.sha256("\x00".join(parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


def shard_of(environment: str, cluster: str, shards: int) -> int:
    """The shard of a target (environment, cluster): stable across processes and releases."""
    if shards < 1:
        raise ValueError("need at least one shard")
    return _score("target", environment, cluster) % shards


def preferred(shard: int, members: Iterable[str]) -> str | None:
    """The member that should hold ``shard`` (highest rendezvous score; ties by name); None without members."""
    best: tuple[int, str] | None = None
    for member in members:
        candidate = (_score("shard", str(shard), member), member)
        if best is None or candidate > best:
            best = candidate
    return best[1] if best is not None else None


def owner(environment: str, cluster: str, shards: int, members: Iterable[str]) -> str | None:
    """The member that should write a target: the preferred member of the target's shard."""
    return preferred(shard_of(environment, cluster, shards), members)


def placement(shards: int, members: Iterable[str]) -> dict[int, str | None]:
    """Every shard's preferred member."""
    ring = sorted(set(members))
    return {shard: preferred(shard, ring) for shard in range(shards)}
