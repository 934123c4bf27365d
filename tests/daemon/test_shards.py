"""Sharding across replicas: the pure ring (hypothesis), member liveness, and shard leases handed between
replicas (file leases, a manual clock)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubeserver import kubeconfig
from kubeserver.server import KubeServer
from reconciler.cluster.kube.cluster import KubeCluster
from reconciler.cluster.kube.options import KubeOptions
from reconciler.daemon import ManualClock
from reconciler.daemon.election.elector import LeaderElector
from reconciler.daemon.election.filestore import FileLeaseStore
from reconciler.daemon.election.kubestore import GROUP_LABEL, KubeMemberStore
from reconciler.daemon.election.members import FileMemberStore, MemberLiveness, member_slug
from reconciler.daemon.election.record import LeaseRecord
from reconciler.daemon.election.ring import owner, placement, preferred, shard_of
from reconciler.daemon.election.sharded import ShardedLeadership
from tests.daemon.conftest import Repo

names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-0123456789", min_size=1, max_size=12)
member_sets = st.sets(names, min_size=1, max_size=8)


@given(environment=names, cluster=names, shards=st.integers(1, 64))
def test_a_target_has_one_shard_in_range_always_the_same(environment: str, cluster: str, shards: int) -> None:
    shard = shard_of(environment, cluster, shards)
    assert 0 <= shard < shards and shard == shard_of(environment, cluster, shards)


@given(members=member_sets, shard=st.integers(0, 63))
def test_the_preferred_member_is_a_member_and_does_not_depend_on_order(members: set[str], shard: int) -> None:
    ordered = sorted(members)
    owner = preferred(shard, ordered)
    assert owner in members
    assert preferred(shard, reversed(ordered)) == owner


@given(members=member_sets, gone=names, shards=st.integers(1, 32))
def test_a_member_leaving_moves_only_its_own_shards(members: set[str], gone: str, shards: int) -> None:
    before = placement(shards, members | {gone})
    after = placement(shards, members - {gone} or {"survivor"})
    if not members - {gone}:
        return
    for shard in range(shards):
        if before[shard] != gone:
            assert after[shard] == before[shard]
        else:
            assert after[shard] != gone


@given(members=member_sets, joined=names, shards=st.integers(1, 32))
def test_a_member_joining_takes_shards_only_from_others_and_only_for_itself(
    members: set[str], joined: str, shards: int
) -> None:
    before, after = placement(shards, members), placement(shards, members | {joined})
    assert all(after[s] in (before[s], joined) for s in range(shards))


@given(targets=st.lists(st.tuples(names, names), min_size=1, max_size=40, unique=True), members=member_sets,
       shards=st.integers(1, 32))
def test_every_target_has_exactly_one_owner_among_the_members(
    targets: list[tuple[str, str]], members: set[str], shards: int
) -> None:
    owners = {t: owner(*t, shards, members) for t in targets}
    assert all(o in members for o in owners.values())
    assert owners == {t: owner(*t, shards, sorted(members, reverse=True)) for t in targets}  # same on every replica
    assert all(owners[t] == placement(shards, members)[shard_of(*t, shards)] for t in targets)


def test_three_members_share_thirty_shards_roughly_evenly() -> None:
    counts = Counter(placement(30, ["replica-a", "replica-b", "replica-c"]).values())
    assert set(counts) == {"replica-a", "replica-b", "replica-c"} and min(counts.values()) >= 5


def test_no_members_no_owner() -> None:
    assert preferred(3, []) is None


def test_liveness_is_judged_on_the_local_clock() -> None:
    clock = ManualClock()
    live = MemberLiveness(clock, 15.0)
    a, b = LeaseRecord("a", 15, version="1"), LeaseRecord("b", 15, version="1")
    assert live.observe([a, b]) == {"a", "b"}
    clock.advance(10)
    assert live.observe([LeaseRecord("a", 15, version="2"), b]) == {"a", "b"}
    clock.advance(5)  # b unchanged for 15 s: gone; a renewed 5 s ago
    assert live.observe([LeaseRecord("a", 15, version="2"), b]) == {"a"}
    assert live.observe([LeaseRecord("", 1, version="3")]) == set()  # released


def replica(tmp_path: Path, identity: str, clock: ManualClock, shards: int = 6) -> ShardedLeadership:
    directory = tmp_path / "state"
    members = FileMemberStore(directory, "leader", shards)
    return ShardedLeadership(
        identity, clock, member=LeaderElector(members.own(identity), identity, clock), members=members,
        shards=[LeaderElector(FileLeaseStore(directory, f"leader-shard-{i}"), identity, clock) for i in range(shards)])


def holders(replicas: list[ShardedLeadership], shards: int = 6) -> list[list[str]]:
    """Who may write each shard now, per the replicas themselves: never more than one."""
    found = [[r.identity for r in replicas if r.writes(s)] for s in range(shards)]
    assert all(len(h) <= 1 for h in found), found
    return found


def test_replicas_share_shards_hand_them_over_on_join_and_take_them_over_on_death(tmp_path: Path) -> None:
    clock = ManualClock()
    a = replica(tmp_path, "a", clock)
    assert a.tick() and a.held() == frozenset(range(6))  # alone: every shard

    b = replica(tmp_path, "b", clock)
    b.tick()
    assert b.held() == frozenset()  # a holds them all: b waits for the hand-over
    clock.advance(2)
    a.tick()
    given_up = a.handing_off()
    wanted = {s for s in range(6) if preferred(s, ["a", "b"]) == "b"}
    assert given_up == wanted and wanted
    assert all(not a.owns(s) and a.writes(s) for s in given_up)  # no new jobs, writes in flight still fenced open
    holders([a, b])
    for shard in given_up:  # the daemon releases once no write of the shard is in flight
        a.release_shard(shard)
    holders([a, b])
    clock.advance(2)
    b.tick()
    a.tick()
    assert b.held() == frozenset(wanted) and a.held() == frozenset(range(6)) - wanted
    assert [h for h in holders([a, b])] == [["b"] if s in wanted else ["a"] for s in range(6)]

    # b dies without releasing: its shards stay fenced until a has seen them unchanged for the lease duration
    died = clock.monotonic()
    while a.held() != frozenset(range(6)):
        clock.advance(2)
        a.tick()
        holders([a, b])
        assert clock.monotonic() - died <= 15 + 2 * 2, "a never took b's shards"
    assert clock.monotonic() - died > 15 - 2
    assert not any(b.writes(s) for s in range(6))  # b's own fence had shut at its renew deadline


def test_replicas_that_disagree_on_the_shard_count_take_no_shard_until_they_agree(tmp_path: Path) -> None:
    clock = ManualClock()
    old = replica(tmp_path, "old", clock, shards=6)
    assert old.tick() and old.held() == frozenset(range(6))
    new = replica(tmp_path, "new", clock, shards=4)  # one target would be in two shard Leases at once
    assert not new.tick() and "old run with another shard count than 4" in str(new.describe()["error"])
    clock.advance(2)
    old.tick()
    assert old.handing_off() == frozenset(range(6))  # old stops starting jobs; new takes nothing
    for shard in old.handing_off():
        old.release_shard(shard)
    clock.advance(2)
    assert not new.tick() and not old.tick()
    old.release()  # the rolling update ends: old is gone, new takes every shard
    clock.advance(2)
    assert new.tick() and new.held() == frozenset(range(4))


def test_shutdown_releases_every_shard_for_the_others_at_once(tmp_path: Path) -> None:
    clock = ManualClock()
    a, b = replica(tmp_path, "a", clock), replica(tmp_path, "b", clock)
    a.tick()
    b.tick()
    clock.advance(2)
    a.tick()
    for shard in a.handing_off():
        a.release_shard(shard)
    b.tick()
    assert a.held() and b.held()
    b.release()
    clock.advance(2)
    a.tick()  # b's member lease is released: gone at once; its shards are free
    clock.advance(2)
    a.tick()
    assert a.held() == frozenset(range(6)) and b.describe()["leader"] is False


def test_shards_is_a_setting_that_needs_leases(tmp_path: Path) -> None:
    from reconciler.daemon.config import ConfigError, DaemonConfig, build_config
    from reconciler.daemon.service import build_leadership

    assert DaemonConfig().shards == 0  # one leader unless asked
    assert build_config({"shards": "4"}, {}).shards == 4
    assert build_config({}, {"PLATFORMCTL_SHARDS": "3"}).shards == 3
    for flags, message in (({"shards": "2", "lease": "none"}, "sharding needs leases"),
                           ({"shards": "-1"}, "shards must not be negative")):
        try:
            build_config(flags, {})
        except ConfigError as exc:
            assert message in str(exc)
        else:
            raise AssertionError(f"{flags} accepted")
    config = build_config({"shards": "4", "lease": "file", "state_dir": str(tmp_path), "identity": "r1"}, {})
    leadership = build_leadership(config, ManualClock())
    assert isinstance(leadership, ShardedLeadership) and leadership.shard_count == 4
    assert leadership.tick() and leadership.held() == frozenset(range(4))
    assert sorted(p.name for p in tmp_path.glob("*.lease.json"))[:2] == [
        "platformctl-leader-shard-0.lease.json", "platformctl-leader-shard-1.lease.json"]


def test_member_leases_on_a_cluster_are_listed_by_their_group_label(
    kube_cluster_factory: Callable[..., KubeServer], tmp_path: Path
) -> None:
    server = kube_cluster_factory("lease-holder")
    config = kubeconfig.write(tmp_path / "lease-kubeconfig", {"lease": server})
    cluster = KubeCluster("lease", kubeconfig=str(config), context="lease",
                          options=KubeOptions(sleep=lambda _s: None, max_retries=0))
    members, others = KubeMemberStore(cluster, "default", "leader", 4), KubeMemberStore(cluster, "default", "other", 4)
    clock = ManualClock()
    for identity in ("replica-a", "replica-b"):
        assert LeaderElector(members.own(identity), identity, clock).tick()
    assert LeaderElector(others.own("replica-z"), "replica-z", clock).tick()
    assert sorted((m.record.holder, m.shards) for m in members.list()) == [("replica-a", 4), ("replica-b", 4)]
    lease = server.get_object("coordination.k8s.io", "leases", f"leader-member-{member_slug('replica-a')}", "default")
    assert lease is not None and lease["metadata"]["labels"][GROUP_LABEL] == "leader"


def test_the_status_page_shows_who_owns_each_cluster() -> None:
    from reconciler.observability.statuspage import status_html

    doc = {"revision": "abc", "leader": True, "environments": [{"name": "prod", "clusters": [
        {"name": "c01", "sync": "Synced", "health": "Healthy", "shard": 3, "owner": "replica-b", "components": []},
        {"name": "c02", "sync": "Unknown", "health": "Unknown", "shard": 5, "owner": None, "components": []}]}]}
    page = status_html(doc)
    assert "c01<br><small>shard 3: replica-b</small>" in page and "shard 5: no owner" in page


def test_the_dashboard_shows_who_owns_each_cluster() -> None:
    from reconciler.observability.pages import cluster_live, overview_live

    cluster = {"name": "c01", "sync": "Synced", "health": "Healthy", "shard": 3, "owner": "replica-b",
               "components": []}
    overview = overview_live({"revision": "abc", "environments": [{"name": "prod", "clusters": [cluster]}]})
    assert "<div class=\"owner\">shard 3 · replica-b</div>" in overview
    assert "shard 3 · replica-b" in cluster_live({"environment": "prod", "cluster": cluster})


def test_run_once_sharded_alone_applies_every_target_and_hands_the_shards_back(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    from reconciler.cli import main
    from reconciler.daemon import DaemonConfig

    assert main(["run", "--repo", str(repo.path), "--env", "dev", "--once", "--shards", "3", "--lease", "file",
                 "--identity", "solo"]) == 0
    assert "22 created" in capsys.readouterr().out
    state = DaemonConfig(repo=str(repo.path)).resolved_state_dir()
    shards = [FileLeaseStore(state, f"platformctl-leader-shard-{i}").get() for i in range(3)]
    assert all(s is not None and s.holder == "" for s in shards)  # released on the way out


rounds = st.lists(st.tuples(st.sampled_from([0.5, 2.0, 4.0, 7.0]), st.lists(
    st.sampled_from(["start", "tick", "tick", "skip", "hand-over", "kill", "shutdown"]), min_size=3, max_size=3)),
    max_size=25)


@settings(max_examples=150, deadline=None)
@given(steps=rounds)
def test_no_two_replicas_may_write_one_shard_at_any_moment(steps: list[tuple[float, list[str]]]) -> None:
    """Rounds of time passing, then each of three replica slots starts, ticks, skips a tick, hands shards
    over, dies or shuts down: at no moment may two replicas write one shard, and once the live ones have
    ticked for a while every shard is held by the live member the ring prefers."""
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        clock, base = ManualClock(), Path(directory)
        alive: dict[int, ShardedLeadership] = {}
        every: list[ShardedLeadership] = []
        for seconds, acts in steps:
            clock.advance(seconds)
            for slot, what in enumerate(acts):
                r = alive.get(slot)
                if what == "start" and r is None:
                    alive[slot] = replica(base, f"r{slot}-{len(every)}", clock)
                    every.append(alive[slot])
                elif r is not None and what == "tick":
                    r.tick()
                elif r is not None and what == "hand-over":
                    for shard in r.handing_off():
                        r.release_shard(shard)
                elif r is not None and what == "kill":
                    del alive[slot]  # never ticks again, never releases
                elif r is not None and what == "shutdown":
                    r.release()
                    del alive[slot]
                holders(every)
        if not alive:
            return
        for _ in range(20):  # the survivors settle
            clock.advance(2)
            for r in alive.values():
                r.tick()
                for shard in r.handing_off():
                    r.release_shard(shard)
                holders(every)
        live = [r.identity for r in alive.values()]
        assert [h[0] if h else None for h in holders(every)] == [preferred(s, live) for s in range(6)]
