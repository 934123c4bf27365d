"""A webhook push that reaches a standby is handed to the leader through a record beside the lease."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from reconciler.cluster.kube.cluster import KubeCluster
from reconciler.cluster.kube.options import KubeOptions
from reconciler.daemon import FileLeaseStore, LeaderElector, ManualClock
from reconciler.daemon.election.kubestore import KubePushRelay
from reconciler.daemon.election.relay import FilePushRelay, RelayWatch
from tests.daemon.conftest import Harness, Repo, bump_fraud, revision_on
from tests.engine.conftest import Fleet
from kubeserver import kubeconfig
from kubeserver.server import KubeServer


def test_the_leader_sees_each_publish_once_and_not_what_came_before_it_looked(tmp_path: Path) -> None:
    standby, leader = FilePushRelay(tmp_path, "leader"), RelayWatch(FilePushRelay(tmp_path, "leader"))
    standby.publish("main", "replica-b")  # before the leader ever looked: its own refresh covers it
    assert not leader.changed()
    assert not leader.changed()
    standby.publish("main", "replica-b")
    assert leader.changed()
    assert not leader.changed()


def test_the_kube_relay_is_a_configmap_beside_the_lease(kube_cluster_factory: Callable[..., KubeServer],
                                                        tmp_path: Path) -> None:
    server = kube_cluster_factory("lease-holder")
    config = kubeconfig.write(tmp_path / "config", {"lease": server})
    cluster = KubeCluster("lease", kubeconfig=str(config), context="lease", options=KubeOptions(max_retries=0))
    relay = RelayWatch(KubePushRelay(cluster, "default", "platformctl-leader"))
    assert not relay.changed()  # nothing published yet
    relay.relay.publish("main", "replica-b")
    assert relay.changed() and not relay.changed()
    stored = server.get_object("", "configmaps", "platformctl-leader-push", "default")
    assert stored is not None and stored["data"]["ref"] == "main" and stored["data"]["by"] == "replica-b"
    relay.relay.publish("main", "replica-c")
    assert relay.changed()


def test_a_push_to_the_standby_reaches_the_leader_at_its_next_lease_tick(
    repo: Repo, fleet: Fleet, make_daemon: Callable[..., Harness], tmp_path: Path
) -> None:
    clock, state = ManualClock(), tmp_path / "state"

    def replica(name: str) -> Harness:
        return make_daemon(repo, fleet.connect, clock=clock, poll_interval=30.0,
                           leadership=LeaderElector(FileLeaseStore(state, "leader"), name, clock),
                           relay=FilePushRelay(state, "leader"))

    a, b = replica("replica-a"), replica("replica-b")
    assert a.step().leader and not b.step().leader
    old = repo.head()
    new = repo.commit("fraud-detector: 5", bump_fraud())
    assert not a.tick(2).loaded  # the leader does not know of the commit: its poll is 28 s away
    assert all(revision_on(s) == old for s in fleet.servers.values())

    b.daemon.on_push("refs/heads/main")  # GitHub's webhook lands on the standby
    assert not b.step().leader

    report = a.tick(2)
    assert report.leader and report.reasons.get("relayed push") == 1 and report.loaded == new
    assert all(revision_on(s) == new for s in fleet.servers.values())
