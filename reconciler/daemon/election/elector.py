"""Leader election over a LeaseStore, so two replicas never apply at once (client-go's algorithm).

Every ``retry_period`` the daemon calls ``tick``: the holder renews ``renewTime`` with a
conditional update; a standby takes the lease over once it has seen the same record unchanged
for ``leaseDurationSeconds`` *on its own clock* (so clock skew between replicas does not
matter); every race is settled by the store's precondition (409 -> lost). The leader stops
applying as soon as it has not renewed for ``renew_deadline`` (``holds()`` turns false), which
is shorter than the lease duration, so it has stopped before any standby may start.
``remaining()`` is the same deadline as a number of seconds: the write fence of the leader's
cluster clients, so a write already under way (retrying) cannot cross it either.
"""

from __future__ import annotations

import dataclasses
import math
import threading
from collections.abc import Callable
from typing import Protocol

import structlog

from reconciler.daemon.election.record import LeaseConflict, LeaseRecord, LeaseStore
from reconciler.daemon.clock import Clock
from reconciler.errors import ClusterError

log = structlog.get_logger("platformctl.leader")


class Leadership(Protocol):
    """What the daemon needs from leader election."""

    identity: str
    retry_period: float

    def tick(self) -> bool:
        """Acquire or renew; True while this replica leads."""
        ...

    def holds(self) -> bool:
        """Whether this replica may write now (thread-safe; checked before every write)."""
        ...

    def remaining(self) -> float:
        """Seconds left in which this replica may write (``math.inf``: no deadline; 0: none now)."""
        ...

    def release(self) -> None:
        """Give the lease up (on shutdown)."""
        ...

    def describe(self) -> dict[str, object]:
        """State for the status page."""
        ...


class AlwaysLeader:
    """No election (a single replica by configuration)."""

    retry_period = 3600.0

    def __init__(self, identity: str = "single") -> None:
        self.identity = identity
        self._released = threading.Event()

    def tick(self) -> bool:
        """Always leads until released."""
        return not self._released.is_set()

    def holds(self) -> bool:
        """Always may write until released."""
        return not self._released.is_set()

    def remaining(self) -> float:
        """No deadline until released."""
        return 0.0 if self._released.is_set() else math.inf

    def release(self) -> None:
        """Stop writing."""
        self._released.set()

    def describe(self) -> dict[str, object]:
        """Election is off."""
        return {"election": "off", "identity": self.identity, "leader": self.holds()}


class LeaderElector:
    """Acquire, renew and release one lease for ``identity``."""

    def __init__(self, store: LeaseStore, identity: str, clock: Clock, *, lease_duration: float = 15.0,
                 renew_deadline: float = 10.0, retry_period: float = 2.0) -> None:
        if not 0 < retry_period < renew_deadline < lease_duration:
            raise ValueError("need 0 < retry_period < renew_deadline < lease_duration")
        self.store = store
        self.identity = identity
        self.clock = clock
        self.lease_duration = lease_duration
        self.renew_deadline = renew_deadline
        self.retry_period = retry_period
        self._lock = threading.Lock()
        self._leader = False
        self._renewed_at = float("-inf")  # monotonic time of our last successful write
        self._record: LeaseRecord | None = None
        self._observed: tuple[str, str] | None = None  # (holder, version) of the record last read
        self._observed_at = 0.0
        self._error = ""

    def tick(self, *, acquire: bool = True) -> bool:
        """One round: read the lease, then create, renew or take it over when allowed (with ``acquire``
        false only renew a lease already held, still watching the holder's record age)."""
        try:
            record = self.store.get()
        except (ClusterError, OSError, ValueError, TypeError) as exc:  # unreachable, or a record we cannot parse
            return self._failed(f"cannot read {self.store.description}: {exc}")
        now = self.clock.monotonic()
        if record is None:
            if not acquire:
                return self._set(False, "not acquiring")
            return self._write(self.store.create, self._fresh(transitions=0), "acquired (created)")
        if (record.holder, record.version) != self._observed:
            self._observed, self._observed_at = (record.holder, record.version), now
        self._record = record
        if record.holder == self.identity:
            wall = self.clock.now()
            renewed = dataclasses.replace(record, renew_time=wall, duration=int(self.lease_duration))
            return self._write(self.store.update, renewed, "renewed")
        duration = record.duration or self.lease_duration
        if acquire and (not record.holder or now >= self._observed_at + duration):
            taken = dataclasses.replace(self._fresh(record.transitions + 1), version=record.version)
            return self._write(self.store.update, taken, f"acquired (from {record.holder or 'nobody'})")
        return self._set(False, f"standby; {record.holder} holds the lease")

    def holds(self) -> bool:
        """Leader, and renewed within ``renew_deadline``."""
        return self.remaining() > 0

    def remaining(self) -> float:
        """Seconds until the renew deadline (last successful renewal + ``renew_deadline``); 0 when not leading."""
        with self._lock:
            if not self._leader:
                return 0.0
            return max(0.0, self._renewed_at + self.renew_deadline - self.clock.monotonic())

    def release(self) -> None:
        """Hand the lease back (holder cleared, duration 1 s) so a standby need not wait for expiry."""
        with self._lock:
            record, leading = self._record, self._leader
            self._leader = False
        if not leading or record is None:
            return
        released = dataclasses.replace(record, holder="", duration=1, renew_time=self.clock.now())
        try:
            self._record = self.store.update(released)
            log.info("lease released", lease=self.store.description, identity=self.identity)
        except (LeaseConflict, ClusterError, OSError) as exc:
            log.warning("lease not released", lease=self.store.description, error=str(exc))

    def holder(self) -> str:
        """The holder of the record read last ("" when none or released)."""
        record = self._record
        return record.holder if record is not None else ""

    def expired(self) -> bool:
        """Whether the record read last has stayed unchanged for its lease duration on the local clock (or has
        no holder): its holder is gone and the lease may be taken over."""
        record = self._record
        if record is None or not record.holder:
            return True
        duration = record.duration or self.lease_duration
        return self.clock.monotonic() >= self._observed_at + duration

    def describe(self) -> dict[str, object]:
        """Identity, leadership, the holder seen last and the last error."""
        record = self._record
        return {"election": self.store.description, "identity": self.identity, "leader": self.holds(),
                "holder": record.holder if record else None, "error": self._error or None}

    def _fresh(self, transitions: int) -> LeaseRecord:
        wall = self.clock.now()
        return LeaseRecord(self.identity, int(self.lease_duration), wall, wall, transitions)

    def _write(self, write: Callable[[LeaseRecord], LeaseRecord], record: LeaseRecord, what: str) -> bool:
        started = self.clock.monotonic()
        try:
            stored = write(record)
        except LeaseConflict as exc:
            return self._set(False, f"lost the race: {exc}")
        except (ClusterError, OSError) as exc:
            return self._failed(f"cannot write {self.store.description}: {exc}")
        self._record = stored
        self._observed, self._observed_at = (stored.holder, stored.version), started
        with self._lock:
            self._renewed_at = started
        return self._set(True, what)

    def _failed(self, error: str) -> bool:
        """A store error: keep leading only until the renew deadline passes."""
        self._error = error
        if self.holds():
            log.warning("lease renewal failed; still within the renew deadline", error=error)
            return True
        return self._set(False, error)

    def _set(self, leader: bool, why: str) -> bool:
        with self._lock:
            changed = leader != self._leader
            self._leader = leader
        if leader:
            self._error = ""
        if changed:
            log.info("leadership changed", leader=leader, identity=self.identity, why=why,
                     lease=self.store.description)
        return leader
