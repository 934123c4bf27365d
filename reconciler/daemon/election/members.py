"""The membership of a sharded daemon: one lease per replica, renewed by it, listed by all.

A replica renews its own member lease every tick (with a ``LeaderElector`` over
``MemberStore.own(identity)``: nobody else ever writes it); ``MemberStore.list`` reads every
member lease of the group, each with the shard count its replica runs with (replicas that
disagree on it would map one target to two shard Leases: ``ShardedLeadership`` then takes none).
Whether a member is alive is judged on the reader's own clock (``MemberLiveness``): a record
unchanged for its lease duration is a dead replica's.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from reconciler.daemon.clock import Clock
from reconciler.daemon.election.filestore import FileLeaseStore
from reconciler.daemon.election.record import LeaseRecord, LeaseStore


def member_slug(identity: str) -> str:
    """A name part for an identity that is valid in a Lease name and a file name."""
    return hashlib.sha256(identity.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Member:
    """One member lease and the shard count its replica runs with."""

    record: LeaseRecord
    shards: int


class MemberStore(Protocol):
    """The member leases of one group of replicas."""

    description: str

    def own(self, identity: str) -> LeaseStore:
        """The lease of ``identity`` (written only by that replica)."""
        ...

    def list(self) -> list[Member]:
        """Every member lease of the group (released ones included: their holder is empty)."""
        ...


class FileMemberStore:
    """Member leases as ``<state dir>/<name>.member.<shards>.<slug>.lease.json`` files."""

    def __init__(self, directory: Path, name: str, shards: int) -> None:
        self._directory = directory
        self._name = name
        self._shards = shards
        self.description = f"member leases {directory}/{name}.member.*"

    def own(self, identity: str) -> LeaseStore:
        """A file lease for ``identity``."""
        return FileLeaseStore(self._directory, self._lease_name(f"{self._shards}.{member_slug(identity)}"))

    def list(self) -> list[Member]:
        """Every member file that can be read."""
        members: list[Member] = []
        for path in sorted(self._directory.glob(f"{self._name}.member.*.lease.json")):
            part = path.name[len(f"{self._name}.member."):-len(".lease.json")]
            shards, _, slug = part.partition(".")
            record = FileLeaseStore(self._directory, self._lease_name(part)).get()
            if record is not None and shards.isdigit() and slug:
                members.append(Member(record, int(shards)))
        return members

    def _lease_name(self, slug: str) -> str:
        return f"{self._name}.member.{slug}"


class MemberLiveness:
    """Which members are alive, judged on the local clock like the elector judges a lease: a member whose
    record has not changed for its lease duration is gone; a released record (no holder) is gone at once."""

    def __init__(self, clock: Clock, default_duration: float) -> None:
        self._clock = clock
        self._default = default_duration
        self._seen: dict[str, tuple[str, float]] = {}  # holder -> (version, first seen at)

    def observe(self, records: list[LeaseRecord]) -> set[str]:
        """The live members among ``records`` (remembering when each version was first seen)."""
        now = self._clock.monotonic()
        live: set[str] = set()
        current: dict[str, tuple[str, float]] = {}
        for record in records:
            if not record.holder:
                continue
            version, since = self._seen.get(record.holder, ("", now))
            if version != record.version:
                since = now
            current[record.holder] = (record.version, since)
            if now < since + (record.duration or self._default):
                live.add(record.holder)
        self._seen = current
        return live
