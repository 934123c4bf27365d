"""The daemon's side of sharding: which targets this replica writes, and the fence of each.

A target's writes are fenced by its own shard's Lease (``guard``): the refusal and the transport
fence of its worker are that shard's renew deadline, not any other lease. ``settle`` runs after
every lease tick: targets whose shard was gained are reconciled once (the new owner resyncs),
targets whose shard was lost or is being handed over get no new job, and a shard being handed
over is released once none of its targets has a reconcile in flight. Moves are counted.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

import structlog

from reconciler.cluster.fence import WriteFence
from reconciler.daemon.election.sharded import ShardedLeadership
from reconciler.daemon.guard import DaemonFence
from reconciler.daemon.pool import WorkerPool
from reconciler.daemon.revisions import TargetKey
from reconciler.observability.metrics import Metrics

log = structlog.get_logger("platformctl.daemon")


class ShardedTargets:
    """Ownership of targets by shard Leases, for one replica (called holding the daemon's condition unless
    said otherwise)."""

    def __init__(self, leadership: ShardedLeadership, *, metrics: Metrics, stop: threading.Event,
                 abandon: threading.Event) -> None:
        self.leadership = leadership
        self._metrics = metrics
        self._stop = stop
        self._abandon = abandon
        self._owned: set[TargetKey] = set()
        self._known: set[TargetKey] = set()
        self._held: frozenset[int] = frozenset()
        metrics.shards_moved(0, 0, 0)

    def shard(self, key: TargetKey) -> int:
        """The shard of a target."""
        return self.leadership.shard_of(*key)

    def owns(self, key: TargetKey) -> bool:
        """Whether this replica starts jobs on ``key`` now."""
        return not self._stop.is_set() and self.leadership.owns(self.shard(key))

    def refusal(self, key: TargetKey) -> str | None:
        """Why a write of ``key`` must not be sent now, or None (any thread)."""
        if self._abandon.is_set():
            return "the daemon is shutting down"
        shard = self.shard(key)
        if not self.leadership.writes(shard):
            return f"{self.leadership.identity} does not hold the lease of shard {shard}"
        return None

    def guard(self, key: TargetKey) -> tuple[Callable[[], str | None], WriteFence]:
        """The refusal and transport fence of ``key``'s worker: its shard's Lease."""
        shard = self.shard(key)
        return (lambda: self.refusal(key)), DaemonFence(lambda: self.leadership.remaining_shard(shard),
                                                         lambda: self.refusal(key))

    def settle(self, pool: WorkerPool) -> tuple[list[TargetKey], list[int]]:
        """After a lease tick: the targets let go (their watches to stop) and the shards that may be released
        now (release them with ``release`` outside the condition)."""
        self._count()
        keys = list(pool.states)
        owned = {k for k in keys if self.owns(k)}
        let_go = [k for k in self._owned if k not in owned]
        # a target known before and gained now is reconciled once; a new target gets its first job anyway
        pool.let_go([*let_go, *(k for k in owned if k not in self._owned and k in self._known)])
        self._owned, self._known = owned, set(keys)
        releasable = [s for s in sorted(self.leadership.handing_off())
                      if not pool.running([k for k in keys if self.shard(k) == s])]
        return let_go, releasable

    def release(self, shards: list[int]) -> None:
        """Hand shards over (lease writes: call without holding the condition; on the loop's thread)."""
        for shard in shards:
            self.leadership.release_shard(shard)
        if shards:
            self._count()

    def _count(self) -> None:
        """Count the shards gained and lost since the last look (on the loop's thread)."""
        held = self.leadership.held()
        gained, lost = held - self._held, self._held - held
        if gained or lost:
            log.info("shards moved", identity=self.leadership.identity, gained=sorted(gained), lost=sorted(lost),
                     held=sorted(held))
        self._metrics.shards_moved(len(gained), len(lost), len(held))
        self._held = held

    def owners(self, keys: Iterable[TargetKey]) -> dict[TargetKey, dict[str, Any]]:
        """Each target's shard and the replica holding its Lease (as last read here)."""
        return {key: {"shard": self.shard(key), "owner": self.leadership.holder(self.shard(key))} for key in keys}
