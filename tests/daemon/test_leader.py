"""Leader election: lease stores (a test-server Lease, a file), the elector, two daemons sharing one lease."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconciler.cluster.base import Cluster
from reconciler.cluster.kinds import known_kind
from reconciler.cluster.kube.cluster import KubeCluster
from reconciler.cluster.kube.options import KubeOptions
from reconciler.cluster.localdir.cluster import LocalDirCluster
from reconciler.daemon import FileLeaseStore, LeaderElector, ManualClock
from reconciler.daemon.election.elector import AlwaysLeader
from reconciler.daemon.election.kubestore import KubeLeaseStore
from reconciler.daemon.election.record import LeaseConflict, LeaseRecord, LeaseStore
from reconciler.daemon.guard import DaemonFence, GuardedCluster, WriteRefused
from reconciler.errors import Fenced
from tests.daemon.conftest import Harness, Repo, bump_fraud, revision_on
from tests.engine.conftest import Fleet, writes
from kubeserver import kubeconfig
from kubeserver.server import KubeServer

T0 = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture
def lease_server(kube_cluster_factory: Callable[..., KubeServer]) -> KubeServer:
    return kube_cluster_factory("lease-holder")


def kube_store(server: KubeServer, tmp_path: Path, name: str = "platformctl-leader") -> KubeLeaseStore:
    config = kubeconfig.write(tmp_path / "lease-kubeconfig", {"lease": server})
    cluster = KubeCluster("lease", kubeconfig=str(config), context="lease",
                          options=KubeOptions(sleep=lambda _s: None, max_retries=0))
    return KubeLeaseStore(cluster, "default", name)


@pytest.fixture(params=["kube", "file"])
def store_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], LeaseStore]:
    """Fresh handles on one shared lease (each daemon opens its own)."""
    if request.param == "file":
        return lambda: FileLeaseStore(tmp_path / "state", "leader")
    server = request.getfixturevalue("lease_server")
    return lambda: kube_store(server, tmp_path)


def test_stores_settle_races_with_conflicts(store_factory: Callable[[], LeaseStore]) -> None:
    first, second = store_factory(), store_factory()
    assert first.get() is None
    created = first.create(LeaseRecord("a", 15, T0, T0, 0))
    with pytest.raises(LeaseConflict):
        second.create(LeaseRecord("b", 15, T0, T0, 0))
    read = second.get()
    assert read is not None and (read.holder, read.duration, read.renew_time, read.version) == (
        "a", 15, T0, created.version)
    renewed = first.update(dataclasses.replace(created, renew_time=datetime(2025, 1, 1, 0, 0, 2, 500, tzinfo=UTC)))
    with pytest.raises(LeaseConflict):  # b read the lease before a renewed it
        second.update(dataclasses.replace(read, holder="b"))
    final = second.get()
    assert final is not None and final.holder == "a" and final.version == renewed.version
    assert final.renew_time == datetime(2025, 1, 1, 0, 0, 2, 500, tzinfo=UTC)  # MicroTime keeps microseconds


def test_the_kube_lease_is_a_real_coordination_lease(lease_server: KubeServer, tmp_path: Path) -> None:
    store = kube_store(lease_server, tmp_path)
    store.create(LeaseRecord("replica-a", 15, T0, T0, 0))
    stored = lease_server.get_object("coordination.k8s.io", "leases", "platformctl-leader", "default")
    assert stored is not None
    assert stored["spec"] == {"holderIdentity": "replica-a", "leaseDurationSeconds": 15, "leaseTransitions": 0,
                              "acquireTime": "2025-01-01T00:00:00.000000Z", "renewTime": "2025-01-01T00:00:00.000000Z"}
    assert [(r.method, r.code) for r in lease_server.requests if "leases" in r.resource] == [("POST", 201)]


def test_the_standby_takes_over_only_after_the_lease_expires_on_its_own_clock(
    store_factory: Callable[[], LeaseStore]
) -> None:
    clock = ManualClock()
    a = LeaderElector(store_factory(), "a", clock)
    b = LeaderElector(store_factory(), "b", clock)
    assert a.tick() and a.holds()
    assert not b.tick() and not b.holds()
    for _ in range(10):  # a keeps renewing: b never takes over, however long it waits
        clock.advance(2)
        assert a.tick() and not b.tick()
    # a stops renewing (hung or partitioned). It stops writing after its renew deadline...
    clock.advance(9.9)
    assert a.holds()
    clock.advance(0.1)
    assert not a.holds()
    # ...and b, which saw the last renewal 10 s ago, waits out the full 15 s lease duration.
    assert not b.tick()
    clock.advance(5)
    assert b.tick() and b.holds()
    assert not a.tick() and a.describe()["holder"] == "b"
    lease = b.store.get()
    assert lease is not None and (lease.holder, lease.transitions) == ("b", 1)


def test_release_on_shutdown_lets_the_standby_in_at_once(store_factory: Callable[[], LeaseStore]) -> None:
    clock = ManualClock()
    a, b = LeaderElector(store_factory(), "a", clock), LeaderElector(store_factory(), "b", clock)
    assert a.tick() and not b.tick()
    a.release()
    assert not a.holds()
    clock.advance(2)
    assert b.tick()


def test_a_replica_without_the_lease_cannot_write(tmp_path: Path) -> None:
    clock = ManualClock()
    elector = LeaderElector(FileLeaseStore(tmp_path), "a", clock)
    cluster: Cluster = LocalDirCluster("local", tmp_path / "cluster")
    guarded = GuardedCluster(cluster, lambda: None if elector.holds() else "lease lost", clock)
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ml"}}
    elector.tick()
    guarded.apply(namespace)
    clock.advance(10)  # no renewal within the renew deadline

    with pytest.raises(WriteRefused, match="write refused: lease lost"):
        guarded.apply(namespace)
    guarded.apply(namespace, dry_run=True)  # dry runs and reads still work
    kind = known_kind("v1", "Namespace")
    assert kind is not None and guarded.get(kind, None, "ml") is not None
    assert guarded.refused


def test_remaining_is_the_renew_deadline_on_the_local_clock(tmp_path: Path) -> None:
    clock = ManualClock()
    elector = LeaderElector(FileLeaseStore(tmp_path), "a", clock)
    assert elector.remaining() == 0  # not leading yet
    assert elector.tick() and elector.remaining() == 10.0
    clock.advance(9.5)
    assert elector.remaining() == 0.5 and elector.holds()
    assert elector.tick() and elector.remaining() == 10.0  # a renewal moves the deadline
    clock.advance(10)
    assert elector.remaining() == 0 and not elector.holds()
    assert AlwaysLeader().remaining() == math.inf


def test_the_daemon_fence_shuts_at_the_deadline_or_when_writes_are_refused() -> None:
    left, refusal = [5.0], [None]
    fence = DaemonFence(lambda: left[0], lambda: refusal[0])
    assert fence.remaining() == 5.0
    left[0] = 0.0
    assert fence.remaining() == 0 and "renew deadline" in fence.reason()
    left[0], refusal[0] = 5.0, "the daemon is shutting down"  # type: ignore[list-item]
    assert fence.remaining() == 0 and fence.reason() == "the daemon is shutting down"


def test_a_write_fenced_after_the_lease_is_lost_abandons_the_reconcile(tmp_path: Path) -> None:
    clock = ManualClock()
    elector = LeaderElector(FileLeaseStore(tmp_path), "a", clock)
    elector.tick()

    class FencedCluster(LocalDirCluster):
        def apply(self, manifest: dict[str, object], *, dry_run: bool = False, force: bool = True) -> dict[str, object]:
            clock.advance(10)  # the lease lapses while the write retries; the transport fences it
            raise Fenced("write to cluster local not retried: past the write deadline")

    refusal = lambda: None if elector.holds() else "lease lost"  # noqa: E731
    guarded = GuardedCluster(FencedCluster("local", tmp_path / "cluster"), refusal, clock)
    with pytest.raises(Fenced):
        guarded.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ml"}})
    assert guarded.refused  # reported as abandoned (lease lost), not as a failure to retry

    # Still leading (a Retry-After longer than the lease has left): a plain failure, retried later.
    leading = GuardedCluster(FencedCluster("local", tmp_path / "cluster"), lambda: None, clock)
    with pytest.raises(Fenced):
        leading.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ml"}})
    assert not leading.refused


def test_two_daemons_sharing_a_lease_never_both_apply(
    repo: Repo, fleet: Fleet, make_daemon: Callable[..., Harness], lease_server: KubeServer, tmp_path: Path
) -> None:
    clock = ManualClock()
    a = make_daemon(repo, fleet.connect, clock=clock, leadership=LeaderElector(kube_store(lease_server, tmp_path),
                                                                               "replica-a", clock))
    b = make_daemon(repo, fleet.connect, clock=clock, leadership=LeaderElector(kube_store(lease_server, tmp_path),
                                                                               "replica-b", clock))
    assert a.step().leader and not b.step().leader
    assert all(revision_on(s) == repo.head() for s in fleet.servers.values())
    assert b.daemon.status()["environments"][0]["clusters"][0]["revision"] is None

    # A new commit: both replicas load it, only the leader writes.
    fleet.reset_requests()
    new = repo.commit("fraud-detector: 5", bump_fraud())
    for replica in (b, a):
        replica.daemon.trigger.fire("test")
        replica.tick(2)
    assert all(revision_on(s) == new for s in fleet.servers.values())
    assert b.daemon.target("prod-cloud", "gke-eu").attempted is None
    assert b.daemon.status()["revision"] == new and not b.daemon.status()["leader"]

    # The leader dies without releasing; the standby stays idle for the lease duration, then takes over.
    fleet.reset_requests()
    last_renewal = clock.monotonic()  # a's last tick renewed the lease
    while not b.tick(2).leader:
        assert clock.monotonic() - last_renewal < 20, "the standby never took over"
    waited = clock.monotonic() - last_renewal
    # Not before the lease expired (15 s after b saw a's last renewal), at most two retry periods after.
    assert 15 < waited <= 15 + 2 * 2
    assert b.daemon.target("prod-cloud", "gke-eu").attempted == new  # b resynced every target once...
    assert all(writes(s) == [] for s in fleet.servers.values())  # ...which, a having applied it, wrote nothing
    newest = repo.commit("fraud-detector: 6", bump_fraud("min: 5, max: 16", "min: 6, max: 16"))
    b.daemon.trigger.fire("test")
    b.step()
    assert all(revision_on(s) == newest for s in fleet.servers.values())

    # The old leader comes back: it sees b's lease and stays a standby; its workers get nothing to do.
    fleet.reset_requests()
    a.daemon.trigger.fire("test")
    assert not a.tick(2).leader
    assert all(writes(s) == [] for s in fleet.servers.values())
    assert a.daemon.target("prod-cloud", "gke-eu").applied == new
    lease = lease_server.get_object("coordination.k8s.io", "leases", "platformctl-leader", "default")
    assert lease is not None and lease["spec"]["holderIdentity"] == "replica-b"
    assert 'platformctl_leader 1.0' in b.metrics.render()[0].decode()
    assert 'platformctl_leader 0.0' in a.metrics.render()[0].decode()

    b.daemon.shutdown()  # what SIGTERM does: the lease is handed back, not left to expire
    lease = lease_server.get_object("coordination.k8s.io", "leases", "platformctl-leader", "default")
    assert lease is not None and "holderIdentity" not in lease["spec"] and lease["spec"]["leaseDurationSeconds"] == 1
    assert a.tick(2).leader  # the old leader's replica takes over at its next tick, without waiting 15 s
