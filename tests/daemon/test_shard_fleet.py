"""Three sharded replicas share thirty clusters (test API servers); one dies mid-apply: no write without
the Lease of the target's shard, no double writer, no missed target."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kubeserver.faults import RequestRecord
from reconciler.cluster.base import Cluster
from reconciler.cluster.fence import WriteFence
from reconciler.daemon import ManualClock
from reconciler.daemon.election.elector import LeaderElector
from reconciler.daemon.election.filestore import FileLeaseStore
from reconciler.daemon.election.members import FileMemberStore
from reconciler.daemon.election.ring import placement, shard_of
from reconciler.daemon.election.sharded import ShardedLeadership
from reconciler.daemon.worker import Connect
from reconciler.source.directory import DirectorySource
from reconciler.spec.load import load
from reconciler.spec.models import Cluster as ClusterSpec
from tests.daemon.conftest import WAIT, Harness, Repo, bump_fraud, only_fraud, revision_on
from tests.engine.conftest import Fleet, writes as server_writes
from kubeserver.server import KubeServer

SHARDS = 10
CLUSTERS = [f"c{i:02d}" for i in range(30)]
ENV = "prod-cloud"


def thirty_clusters(text: str) -> str:
    """prod-cloud serving only the fraud detector, on thirty clusters."""
    old = ("    - name: gke-eu\n      kubeconfig: {context: gke-eu-prod}\n"
           "    - name: gke-us\n      kubeconfig: {context: gke-us-prod}\n")
    assert old in text
    new = "".join(f"    - name: {c}\n      kubeconfig: {{context: {c}}}\n" for c in CLUSTERS)
    return only_fraud(text.replace(old, new))


@dataclass
class Writes:
    """Every write a replica's fence let through, checked against the shard Lease on disk at that moment."""

    state: Path
    sent: list[tuple[str, str, float]] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    fenced: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def holder(self, cluster: str) -> str:
        record = FileLeaseStore(self.state, f"leader-shard-{shard_of(ENV, cluster, SHARDS)}").get()
        return record.holder if record is not None else ""


class HeldBack:
    """Writes held back at a replica's fence (as a slow request would hold them) until released."""

    def __init__(self) -> None:
        self.clusters: list[str] = []
        self.released = threading.Event()
        self._cond = threading.Condition()

    def hold(self, cluster: str) -> None:
        with self._cond:
            self.clusters.append(cluster)
            self._cond.notify_all()
        assert self.released.wait(WAIT), "never released"

    def wait_for(self, count: int) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: len(self.clusters) >= count, WAIT)


class RecordingFence:
    """The replica's fence for one target, asked before every write: records the writes it lets through;
    ``gate`` (when set) holds a write back there, as a slow request would, before the deadline is asked."""

    def __init__(self, inner: WriteFence, identity: str, cluster: str, writes: Writes, clock: ManualClock,
                 gate: Callable[[str, str], None]) -> None:
        self._inner, self._identity, self._cluster = inner, identity, cluster
        self._writes, self._clock, self._gate = writes, clock, gate

    def remaining(self) -> float:
        self._gate(self._identity, self._cluster)
        left = self._inner.remaining()
        with self._writes.lock:
            if left <= 0:
                self._writes.fenced.append((self._identity, self._cluster))
                return left
            holder = self._writes.holder(self._cluster)
            if holder != self._identity:
                self._writes.violations.append(f"{self._identity} wrote {self._cluster} while {holder!r} held it")
            self._writes.sent.append((self._identity, self._cluster, self._clock.monotonic()))
        return left

    def reason(self) -> str:
        return self._inner.reason()


def recording(fleet: Fleet, identity: str, writes: Writes, clock: ManualClock,
              gate: Callable[[str, str], None]) -> Connect:
    def connect(spec: ClusterSpec) -> Cluster:
        cluster = fleet.connect(spec)
        supervise = cluster.supervise

        def supervised(*, fence: WriteFence | None = None, **kwargs: object) -> None:
            assert fence is not None
            recorded = RecordingFence(fence, identity, spec.name, writes, clock, gate)
            supervise(fence=recorded, **kwargs)  # type: ignore[arg-type]

        cluster.supervise = supervised  # type: ignore[method-assign]
        return cluster

    return connect


def writes_to(server: KubeServer, resource: str) -> list[RequestRecord]:
    """The real writes a server answered to one resource."""
    return [w for w in server_writes(server) if w.resource.startswith(resource)]


def sharded(state: Path, identity: str, clock: ManualClock) -> ShardedLeadership:
    members = FileMemberStore(state, "leader", SHARDS)
    return ShardedLeadership(
        identity, clock, member=LeaderElector(members.own(identity), identity, clock), members=members,
        shards=[LeaderElector(FileLeaseStore(state, f"leader-shard-{i}"), identity, clock) for i in range(SHARDS)])


def test_three_replicas_share_thirty_clusters_and_survive_losing_one_mid_apply(
    repo: Repo, make_fleet: Callable[..., Fleet], make_daemon: Callable[..., Harness], tmp_path: Path
) -> None:
    repo.commit("thirty clusters", {"environments/prod-cloud.yaml": thirty_clusters})
    fleet = make_fleet(load(DirectorySource(repo.path)), ENV)
    clock, state, writes = ManualClock(), tmp_path / "leases", Writes(tmp_path / "leases")
    blocked, held_back = threading.Event(), HeldBack()

    def gate(identity: str, cluster: str) -> None:
        if identity == "replica-c" and blocked.is_set():  # c is killed mid-apply: its writes hang here
            held_back.hold(cluster)

    replicas = {name: make_daemon(repo, recording(fleet, name, writes, clock, gate), clock=clock,
                                  leadership=sharded(state, name, clock), drift_watch=False)
                for name in ("replica-a", "replica-b", "replica-c")}
    a, b, c = replicas.values()

    # Start-up: whoever ticks first takes every shard, then hands the others' shares over.
    for _ in range(4):
        clock.advance(2)
        for replica in (a, b, c):
            replica.step()
    expected = placement(SHARDS, replicas)
    for name, replica in replicas.items():
        leadership = replica.daemon.leadership
        assert isinstance(leadership, ShardedLeadership)
        assert leadership.held() == {s for s, owner in expected.items() if owner == name}, name
        assert leadership.held(), f"{name} holds no shard"
    head = repo.head()
    assert all(revision_on(s) == head for s in fleet.servers.values())  # no missed target
    assert writes.violations == []

    # Each replica's status names the owner of every target, the same on all three.
    owners = {name: {c["name"]: (c["shard"], c["owner"]) for c in r.daemon.status()["environments"][0]["clusters"]}
              for name, r in replicas.items()}
    assert owners["replica-a"] == owners["replica-b"] == owners["replica-c"]
    assert {o for _s, o in owners["replica-a"].values()} == set(replicas)
    assert all(expected[shard] == owner for shard, owner in owners["replica-a"].values())
    assert "platformctl_shard_moves_total" in a.metrics.render()[0].decode()

    # A new commit; c dies in the middle of applying it (its writes hang, it never ticks again).
    new = repo.commit("fraud-detector: 5", bump_fraud())
    c_targets = [cl for cl in CLUSTERS if expected[shard_of(ENV, cl, SHARDS)] == "replica-c"]
    blocked.set()
    for replica in (a, b, c):
        replica.daemon.trigger.fire("test")
        clock.advance(0.1)
        report = replica.daemon.step()
    assert {t[1] for t in report.submitted} == set(c_targets)
    assert held_back.wait_for(len(c_targets)) and sorted(held_back.clusters) == sorted(c_targets)
    assert a.daemon.wait_idle(WAIT) and b.daemon.wait_idle(WAIT)
    killed = clock.monotonic()
    assert all(revision_on(fleet.servers[cl]) == head for cl in c_targets)
    fleet.reset_requests()

    # a and b take c's shards over once its leases have stayed unchanged for the lease duration, and apply them.
    while not all(revision_on(s) == new for s in fleet.servers.values()):
        assert clock.monotonic() - killed <= 15 + 3 * 2, "c's targets were never taken over"
        a.tick(2)
        b.tick(2)
    assert clock.monotonic() - killed > 15 - 2  # not before c's leases expired
    moved = {cl for ident, cl, at in writes.sent if at > killed and ident != "replica-c"}
    assert set(c_targets) <= moved

    # c's hung writes go on now: its fence shut at its renew deadline, so none reaches a server.
    held_back.released.set()
    assert c.daemon.wait_idle(WAIT)
    assert all(ident != "replica-c" for ident, _cl, at in writes.sent if at >= killed)
    assert {cl for ident, cl in writes.fenced if ident == "replica-c"} == set(c_targets)
    assert writes.violations == []
    assert all(revision_on(s) == new for s in fleet.servers.values())
    for cl in c_targets:  # each of c's clusters got the new revision exactly once, from its new owner
        assert [w.verb for w in writes_to(fleet.servers[cl], "inferenceservices")] == ["patch"], cl
    assert all(c.daemon.target(ENV, cl).applied != new for cl in c_targets)  # abandoned, not applied, by c


def test_a_joining_replica_gets_a_shard_only_after_the_write_in_flight_on_it_ends(
    repo: Repo, fleet: Fleet, make_daemon: Callable[..., Harness], tmp_path: Path
) -> None:
    moving = "gke-eu"
    newcomer = next(f"replica-{i}" for i in range(100)
                    if placement(SHARDS, ["replica-a", f"replica-{i}"])[shard_of(ENV, moving, SHARDS)] != "replica-a")
    clock, state, writes = ManualClock(), tmp_path / "leases", Writes(tmp_path / "leases")
    hold, held_back = threading.Event(), HeldBack()

    def gate(identity: str, cluster: str) -> None:
        if identity == "replica-a" and cluster == moving and hold.is_set():
            held_back.hold(cluster)

    a = make_daemon(repo, recording(fleet, "replica-a", writes, clock, gate), clock=clock,
                    leadership=sharded(state, "replica-a", clock), drift_watch=False)
    assert a.step().leader and all(revision_on(s) == repo.head() for s in fleet.servers.values())

    new = repo.commit("fraud-detector: 5", bump_fraud())
    hold.set()
    a.daemon.trigger.fire("test")
    clock.advance(2)
    a.daemon.step()
    assert held_back.wait_for(1) and held_back.clusters == [moving]  # a's write to gke-eu is in flight

    c = make_daemon(repo, recording(fleet, newcomer, writes, clock, gate), clock=clock,
                    leadership=sharded(state, newcomer, clock), drift_watch=False)
    for _ in range(3):  # c joins; a hands the shard over but keeps it while its write is in flight
        clock.advance(2)
        c.step()
        a.daemon.step()
    shard = shard_of(ENV, moving, SHARDS)
    assert isinstance(a.daemon.leadership, ShardedLeadership) and isinstance(c.daemon.leadership, ShardedLeadership)
    assert shard in a.daemon.leadership.handing_off() and a.daemon.leadership.writes(shard), (
        a.daemon.leadership.describe(), c.daemon.leadership.describe(), shard, newcomer)
    assert not c.daemon.leadership.writes(shard) and c.daemon.target(ENV, moving).attempted is None

    held_back.released.set()  # the write goes on under a's lease, then a lets the shard go and c takes it
    assert a.daemon.wait_idle(WAIT)
    hold.clear()
    assert revision_on(fleet.servers[moving]) == new
    a.tick(2)
    assert not a.daemon.leadership.writes(shard)
    c.tick(2)
    assert c.daemon.leadership.writes(shard) and c.daemon.target(ENV, moving).attempted == new  # resynced once
    assert writes.violations == []
    assert [ident for ident, cl, _at in writes.sent if cl == moving][-1] == "replica-a"  # c had nothing to write
    owners = {cl["name"]: cl["owner"] for cl in c.daemon.status()["environments"][0]["clusters"]}
    assert owners[moving] == newcomer
    rendered = a.metrics.render()[0].decode()
    given = sum(1 for s in range(SHARDS) if placement(SHARDS, ["replica-a", newcomer])[s] == newcomer)
    assert f'platformctl_shard_moves_total{{direction="gained"}} {SHARDS}.0' in rendered
    assert f'platformctl_shard_moves_total{{direction="lost"}} {given}.0' in rendered
    assert f"platformctl_shards_held {SHARDS - given}.0" in rendered
