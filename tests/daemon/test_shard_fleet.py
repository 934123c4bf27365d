"""Three sharded replicas share thirty clusters (test API servers); one dies mid-apply: no write without
the Lease of the target's shard, no double writer, no missed target."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

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
from tests.engine.conftest import Fleet

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
            supervise(fence=RecordingFence(fence, identity, spec.name, writes, clock, gate), **kwargs)  # type: ignore[arg-type]

        cluster.supervise = supervised  # type: ignore[method-assign]
        return cluster

    return connect


def sharded(state: Path, identity: str, clock: ManualClock) -> ShardedLeadership:
    members = FileMemberStore(state, "leader")
    return ShardedLeadership(
        identity, clock, member=LeaderElector(members.own(identity), identity, clock), members=members,
        shards=[LeaderElector(FileLeaseStore(state, f"leader-shard-{i}"), identity, clock) for i in range(SHARDS)])


def test_three_replicas_share_thirty_clusters_and_survive_losing_one_mid_apply(
    repo: Repo, make_fleet: Callable[..., Fleet], make_daemon: Callable[..., Harness], tmp_path: Path
) -> None:
    repo.commit("thirty clusters", {"environments/prod-cloud.yaml": thirty_clusters})
    fleet = make_fleet(load(DirectorySource(repo.path)), ENV)
    clock, state, writes = ManualClock(), tmp_path / "leases", Writes(tmp_path / "leases")
    blocked, release, held_back = threading.Event(), threading.Event(), []

    def gate(identity: str, cluster: str) -> None:
        if identity == "replica-c" and blocked.is_set():  # c is killed mid-apply: its writes hang here
            held_back.append(cluster)
            release.wait(WAIT)

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
    assert c.daemon.wait_until(lambda: len(held_back) == len(c_targets), WAIT)
    assert a.daemon.wait_idle(WAIT) and b.daemon.wait_idle(WAIT)
    killed = clock.monotonic()
    assert all(revision_on(fleet.servers[cl]) == head for cl in c_targets)

    # a and b take c's shards over once its leases have stayed unchanged for the lease duration, and apply them.
    while not all(revision_on(s) == new for s in fleet.servers.values()):
        assert clock.monotonic() - killed <= 15 + 3 * 2, "c's targets were never taken over"
        a.tick(2)
        b.tick(2)
    assert clock.monotonic() - killed > 15 - 2  # not before c's leases expired
    moved = {cl for ident, cl, at in writes.sent if at > killed and ident != "replica-c"}
    assert set(c_targets) <= moved

    # c's hung writes go on now: its fence shut at its renew deadline, so none reaches a server.
    release.set()
    assert c.daemon.wait_idle(WAIT)
    assert all(ident != "replica-c" for ident, _cl, at in writes.sent if at >= killed)
    assert {cl for ident, cl in writes.fenced if ident == "replica-c"} == set(c_targets)
    assert writes.violations == []
    assert all(revision_on(s) == new for s in fleet.servers.values())
    assert all(c.daemon.target(ENV, cl).applied != new for cl in c_targets)  # abandoned, not applied, by c
