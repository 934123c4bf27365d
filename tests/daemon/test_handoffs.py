"""Which replica opens a promotion after a verified rollout, and when (the queue's logic; the rollout
states on other replicas' clusters come from a plain function, Git is replaced by a recorder)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest

from reconciler.daemon.handoffs import PEER_CHECK_SECONDS, HandoffQueue
from reconciler.daemon.revisions import LoadedRevision, TargetKey
from reconciler.daemon.status import TargetState
from reconciler.engine import Target
from reconciler.errors import ClusterError
from reconciler.fleet import Placement
from reconciler.handoff import Handoff
from reconciler.rollout.policy import RolloutPolicy
from reconciler.rollout.state import Phase, RolloutState
from reconciler.rollout.view import RolloutView
from reconciler.spec.models import Cluster as ClusterSpec

MODEL = "serving/fraud-detector"
CLUSTERS = ("a-onprem", "b-cloud", "c-cloud")


def _policy(version: str = "8") -> RolloutPolicy:
    return RolloutPolicy(MODEL, "fraud-detector", "ml-staging", version, (10, 50, 100), 60.0)


def _revision(version: str = "8") -> LoadedRevision:
    desired = {("staging", name): Placement(Target("staging", name, "ml-staging", "c1", []),
                                            ClusterSpec.model_validate({"name": name, "inCluster": True}), 0.5, 8,
                                            (_policy(version),))
               for name in CLUSTERS}
    return LoadedRevision("c1", desired)


def _state(phase: Phase, version: str = "8") -> RolloutState:
    return RolloutState(MODEL, version, "7", (10, 50, 100), phase, 2, 100 if phase is Phase.SUCCEEDED else 0, 0.0, 0.0)


def _states(**phases: Phase) -> dict[TargetKey, TargetState]:
    states = {("staging", name): TargetState("staging", name) for name in CLUSTERS}
    for name, phase in phases.items():
        cluster = name.replace("_", "-")
        states[("staging", cluster)].rollouts = [RolloutView("staging", cluster, "fraud-detector", _state(phase), None)]
    return states


class Peers:
    """The stored states on the clusters other replicas reconcile."""

    def __init__(self, **phases: Phase) -> None:
        self.phases = {name.replace("_", "-"): phase for name, phase in phases.items()}
        self.reads: list[str] = []
        self.broken = False

    def __call__(self, key: TargetKey, policy: RolloutPolicy) -> RolloutState | None:
        self.reads.append(key[1])
        if self.broken:
            raise ClusterError("connection refused")
        phase = self.phases.get(key[1])
        return _state(phase, policy.version) if phase is not None else None


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def opened() -> Any:
    calls: list[tuple[str, str, str]] = []

    def record(repo: Path, commit: str, environment: str, ref: str, version: str, *, push: bool) -> list[Handoff]:
        calls.append((environment, ref, version))
        return [Handoff(environment, "prod-cloud", ref, version, "promote/prod-cloud/fraud-detector-8", "abc")]

    with patch("reconciler.daemon.handoffs.open_promotions", record):
        yield calls


def _queue(owned: set[str], peers: Peers, clock: Clock) -> HandoffQueue:
    return HandoffQueue(enabled=True, push=False, owns=lambda key: key[1] in owned, peer_state=peers, now=clock)


def test_the_replica_of_the_first_cluster_opens_it_once_the_others_succeed(opened: list[Any]) -> None:
    condition, clock, good = threading.Condition(), Clock(), _revision()
    peers = Peers(b_cloud=Phase.PROGRESSING, c_cloud=Phase.SUCCEEDED)
    queue = _queue({"a-onprem"}, peers, clock)
    queue.note(("staging", "a-onprem"), good, _states(a_onprem=Phase.SUCCEEDED))
    queue.open_pending(Path("."), condition, good)
    assert opened == [] and sorted(peers.reads) == ["b-cloud"]  # stops at the first cluster still rolling out
    peers.phases["b-cloud"] = Phase.SUCCEEDED
    queue.open_pending(Path("."), condition, good)
    assert opened == []  # not asked again before PEER_CHECK_SECONDS
    clock.now += PEER_CHECK_SECONDS
    queue.open_pending(Path("."), condition, good)
    assert opened == [("staging", MODEL, "8")]
    clock.now += PEER_CHECK_SECONDS
    queue.note(("staging", "a-onprem"), good, _states(a_onprem=Phase.SUCCEEDED))
    queue.open_pending(Path("."), condition, good)
    assert opened == [("staging", MODEL, "8")] and queue.document()[0]["branch"] == "promote/prod-cloud/fraud-detector-8"


def test_a_replica_that_does_not_own_the_first_cluster_never_opens_it(opened: list[Any]) -> None:
    condition, clock, good = threading.Condition(), Clock(), _revision()
    peers = Peers(a_onprem=Phase.SUCCEEDED, c_cloud=Phase.SUCCEEDED)
    queue = _queue({"b-cloud"}, peers, clock)
    queue.note(("staging", "b-cloud"), good, _states(b_cloud=Phase.SUCCEEDED))
    for _ in range(3):
        clock.now += PEER_CHECK_SECONDS
        queue.open_pending(Path("."), condition, good)
    assert opened == [] and peers.reads == []


def test_a_failed_rollout_elsewhere_or_a_new_pin_drops_it(opened: list[Any]) -> None:
    condition, clock = threading.Condition(), Clock()
    failing = _queue({"a-onprem"}, Peers(b_cloud=Phase.SUCCEEDED, c_cloud=Phase.FAILED), clock)
    failing.note(("staging", "a-onprem"), _revision(), _states(a_onprem=Phase.SUCCEEDED))
    failing.open_pending(Path("."), condition, _revision())
    moved_on = _queue({"a-onprem"}, Peers(b_cloud=Phase.PROGRESSING), clock)
    moved_on.note(("staging", "a-onprem"), _revision(), _states(a_onprem=Phase.SUCCEEDED))
    moved_on.open_pending(Path("."), condition, _revision("9"))  # Git pins 9 now: 8 is no longer promoted
    for queue in (failing, moved_on):
        clock.now += PEER_CHECK_SECONDS
        queue.open_pending(Path("."), condition, _revision())
    assert opened == []


def test_an_unreadable_cluster_only_delays_it(opened: list[Any]) -> None:
    condition, clock, good = threading.Condition(), Clock(), _revision()
    peers = Peers(b_cloud=Phase.SUCCEEDED, c_cloud=Phase.SUCCEEDED)
    peers.broken = True
    queue = _queue({"a-onprem", "b-cloud"}, peers, clock)
    queue.note(("staging", "a-onprem"), good, _states(a_onprem=Phase.SUCCEEDED, b_cloud=Phase.SUCCEEDED))
    queue.open_pending(Path("."), condition, good)
    assert opened == [] and peers.reads == ["c-cloud"]  # its own clusters are not read: it knows them
    peers.broken = False
    clock.now += PEER_CHECK_SECONDS
    queue.open_pending(Path("."), condition, good)
    assert opened == [("staging", MODEL, "8")]


def test_without_sharding_every_cluster_is_its_own_and_nothing_is_read(opened: list[Any]) -> None:
    condition, good = threading.Condition(), _revision()
    peers = Peers()
    queue = HandoffQueue(enabled=True, push=False, peer_state=peers)
    queue.note(("staging", "a-onprem"), good, _states(a_onprem=Phase.SUCCEEDED, b_cloud=Phase.SUCCEEDED))
    queue.open_pending(Path("."), condition, good)
    assert opened == []  # c-cloud has not succeeded here
    queue.note(("staging", "c-cloud"), good, _states(a_onprem=Phase.SUCCEEDED, b_cloud=Phase.SUCCEEDED,
                                                     c_cloud=Phase.SUCCEEDED))
    queue.open_pending(Path("."), condition, good)
    assert opened == [("staging", MODEL, "8")] and peers.reads == []
