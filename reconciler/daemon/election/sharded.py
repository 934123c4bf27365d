"""Sharding across replicas: one Lease per shard, held by the replica the ring prefers.

Every ``tick`` a replica renews its member lease, reads the group's member leases (which
replicas are alive, on its own clock), and ticks one ``LeaderElector`` per shard: it tries to
acquire exactly the shards ``ring.preferred`` gives it among the live members, and keeps renewing
a shard it holds but should hand over until the daemon, once no write of that shard is in
flight, calls ``release_shard`` (the preferred replica then takes it at its next tick). A dead
replica's shards are taken over once its member and shard leases have stayed unchanged for the
lease duration. Each shard's elector is the write fence of that shard's targets
(``remaining_shard``), so two replicas never write one target at once: the Lease, not the ring,
decides who may write.
"""

from __future__ import annotations

import structlog

from reconciler.daemon.clock import Clock
from reconciler.daemon.election.elector import LeaderElector
from reconciler.daemon.election.members import MemberLiveness, MemberStore
from reconciler.daemon.election.ring import preferred, shard_of
from reconciler.errors import ClusterError

log = structlog.get_logger("platformctl.leader")

class ShardedLeadership:
    """The ``Leadership`` of a sharded replica: it "leads" while it holds any shard."""

    def __init__(self, identity: str, clock: Clock, *, member: LeaderElector, members: MemberStore,
                 shards: list[LeaderElector]) -> None:
        if not shards:
            raise ValueError("need at least one shard")
        self.identity = identity
        self.retry_period = member.retry_period
        self._clock = clock
        self._member = member
        self._members = members
        self._shards = shards
        self._liveness = MemberLiveness(clock, member.lease_duration)
        self.live: frozenset[str] = frozenset()
        """The members alive at the last tick (this replica included while its member lease holds)."""
        self._handing: set[int] = set()
        self._error = ""

    @property
    def shard_count(self) -> int:
        """How many shards (Leases) the targets are spread over."""
        return len(self._shards)

    def shard_of(self, environment: str, cluster: str) -> int:
        """The shard of a target."""
        return shard_of(environment, cluster, len(self._shards))

    def tick(self) -> bool:
        """Renew the membership, read the members, acquire, renew or start handing over each shard."""
        member = self._member.tick()
        try:
            members = self._members.list()
            self._error = ""
        except (ClusterError, OSError, ValueError, TypeError) as exc:
            self._error = f"cannot list {self._members.description}: {exc}"
            members = []
            member = False  # without the membership nothing new is acquired; held shards are handed over
        live = set(self._liveness.observe([m.record for m in members]))
        others = sorted({m.record.holder for m in members
                         if m.record.holder in live - {self.identity} and m.shards != len(self._shards)})
        if others:  # one target would map to two shard Leases: nobody takes any until the replicas agree
            self._error = (f"{', '.join(others)} run with another shard count than {len(self._shards)}: no shard is "
                           "taken until every replica runs with the same --shards")
            member = False
        if member:
            live.add(self.identity)
        else:
            live.discard(self.identity)
        self.live = frozenset(live)
        for index, elector in enumerate(self._shards):
            want = member and preferred(index, live) == self.identity
            if elector.holds() and not want:
                elector.tick(acquire=False)  # keep the fence open for writes in flight until released
                if index not in self._handing:
                    log.info("handing a shard over", shard=index, to=preferred(index, live), identity=self.identity)
                self._handing.add(index)
            else:
                self._handing.discard(index)
                elector.tick(acquire=want)
        return self.holds()

    def holds(self) -> bool:
        """Whether any shard's lease is held."""
        return any(e.holds() for e in self._shards)

    def held(self) -> frozenset[int]:
        """The shards whose lease is held now (within the renew deadline)."""
        return frozenset(i for i, e in enumerate(self._shards) if e.holds())

    def writes(self, shard: int) -> bool:
        """Whether this replica may write the targets of ``shard`` now."""
        return self._shards[shard].holds()

    def owns(self, shard: int) -> bool:
        """Whether this replica should start jobs on ``shard``'s targets (held and not being handed over)."""
        return shard not in self._handing and self._shards[shard].holds()

    def handing_off(self) -> frozenset[int]:
        """Held shards another live member should hold: released once none of their writes is in flight."""
        return frozenset(i for i in self._handing if self._shards[i].holds())

    def remaining_shard(self, shard: int) -> float:
        """Seconds left before ``shard``'s renew deadline (0 when not held): its targets' write fence."""
        return self._shards[shard].remaining()

    def remaining(self) -> float:
        """The longest any held shard may still be written."""
        return max((e.remaining() for e in self._shards), default=0.0) if self.holds() else 0.0

    def holder(self, shard: int) -> str | None:
        """Who holds ``shard`` as last read (None when nobody)."""
        return self._shards[shard].holder() or None

    def release_shard(self, shard: int) -> None:
        """Hand one shard's lease back (its writes stop at once, before the lease is written)."""
        self._handing.discard(shard)
        self._shards[shard].release()

    def release(self) -> None:
        """Hand back every shard, then the membership (on shutdown)."""
        for index in range(len(self._shards)):
            self.release_shard(index)
        self._member.release()

    def describe(self) -> dict[str, object]:
        """Members, and each shard's holder and preferred member (for the status page)."""
        return {"election": "sharded", "identity": self.identity, "leader": self.holds(),
                "members": sorted(self.live), "shards": [
                    {"shard": i, "holder": e.holder() or None, "preferred": preferred(i, self.live),
                     "mine": e.holds(), "handingOver": i in self._handing} for i, e in enumerate(self._shards)],
                "error": self._error or None}
