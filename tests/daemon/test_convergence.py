"""The daemon against one test API server per cluster: apply, last good revision, drift, dead clusters."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.daemon import FileLeaseStore, LeaderElector, ManualClock

from tests.daemon.conftest import WAIT, Harness, Repo, bump_fraud, merge_patch, revision_on
from tests.engine.conftest import Fleet, writes

ISVC = "/apis/serving.kserve.io/v1beta1/namespaces/ml-serving/inferenceservices/fraud-detector"


def _min_replicas(fleet: Fleet, cluster: str) -> int:
    found = fleet.servers[cluster].get_object("serving.kserve.io", "inferenceservices", "fraud-detector",
                                              "ml-serving")
    assert found is not None
    return int(found["spec"]["predictor"]["minReplicas"])


def _cluster_doc(h: Harness, cluster: str) -> dict[str, object]:
    [env] = h.daemon.status()["environments"]
    [doc] = [c for c in env["clusters"] if c["name"] == cluster]
    return doc  # type: ignore[no-any-return]


def test_a_commit_is_applied_to_every_cluster_of_its_environment(
    repo: Repo, fleet: Fleet, make_daemon: Callable[..., Harness]
) -> None:
    h = make_daemon(repo, fleet.connect)
    first = h.step()
    assert first.loaded == repo.head()
    assert sorted(first.submitted) == [("prod-cloud", "gke-eu", "revision"), ("prod-cloud", "gke-us", "revision")]
    assert {name: revision_on(server) for name, server in fleet.servers.items()} == {
        "gke-eu": repo.head(), "gke-us": repo.head()}

    new = repo.commit("fraud-detector: 5 replicas minimum", bump_fraud())
    idle = h.step()  # no trigger fired and the poll is not due: nothing happens
    assert idle.reasons == {} and idle.submitted == []
    polled = h.tick(30)

    assert polled.reasons == {"poll": 1} and polled.loaded == new
    for name, server in fleet.servers.items():
        assert revision_on(server) == new, name
        assert _min_replicas(fleet, name) == 5
        assert server.errors == []
    doc = h.daemon.status()
    assert doc["revision"] == new and doc["sourceError"] is None and doc["leader"] is True
    for cluster in ("gke-eu", "gke-us"):
        entry = _cluster_doc(h, cluster)
        assert (entry["revision"], entry["lastAttemptedRevision"], entry["sync"]) == (new, new, "Synced")
        assert entry["lastSuccess"] == "2025-01-01T00:00:30Z" and entry["reachable"] is True
    text = h.metrics.render()[0].decode()
    applied = f'platformctl_last_applied_revision_info{{cluster="gke-eu",environment="prod-cloud",revision="{new}"}}'
    assert f"{applied} 1.0" in text
    assert 'platformctl_cluster_up{cluster="gke-us",environment="prod-cloud"} 1.0' in text


def test_a_broken_commit_keeps_the_last_good_revision_and_reports_file_line(
    repo: Repo, fleet: Fleet, make_daemon: Callable[..., Harness]
) -> None:
    h = make_daemon(repo, fleet.connect)
    h.step()
    good = repo.head()
    bad = repo.commit("typo", {"environments/prod-cloud.yaml": lambda t: t.replace("  namespace: ml-serving",
                                                                                   "  namespce: ml-serving")})
    fleet.reset_requests()

    h.daemon.trigger.fire("test")
    report = h.step()

    assert report.rejected == bad and report.loaded is None and report.submitted == []
    for server in fleet.servers.values():
        assert writes(server) == []  # nothing applied, and above all nothing pruned
        assert revision_on(server) == good
    doc = h.daemon.status()
    assert doc["revision"] == good
    assert doc["source"]["rejectedRevision"] == bad and doc["source"]["rejectedStage"] == "spec"
    assert doc["source"]["errors"][0].startswith("environments/prod-cloud.yaml:14:3: unknown key 'namespce'")
    assert "environments/prod-cloud.yaml:14:3" in doc["sourceError"] and good[:12] in doc["sourceError"]
    assert f'platformctl_source_revision_info{{ok="false",revision="{bad}"}} 1.0' in h.metrics.render()[0].decode()

    # The last good revision keeps running: its drift check still re-applies it, the bad commit is not retried.
    drift = h.tick(60)
    assert drift.reasons == {"poll": 1} and (drift.loaded, drift.rejected) == (None, None)
    assert sorted(r for *_, r in drift.submitted) == ["drift", "drift"]
    assert all(h.daemon.target("prod-cloud", c).applied == good for c in ("gke-eu", "gke-us"))

    fixed = repo.commit("fix the typo", {"environments/prod-cloud.yaml": lambda t: t.replace("namespce", "namespace")})
    h.daemon.trigger.fire("test")
    assert h.step().loaded == fixed
    assert h.daemon.status()["source"]["errors"] == []
    # Same content as the good revision: recorded as applied, and (unchanged objects cost no write) not rewritten.
    assert all(h.daemon.target("prod-cloud", c).applied == fixed for c in ("gke-eu", "gke-us"))


@pytest.mark.parametrize("self_heal", [True, False])
def test_hand_made_drift_is_found_on_the_next_drift_tick_and_healed(
    self_heal: bool, repo: Repo, fleet: Fleet, make_daemon: Callable[..., Harness]
) -> None:
    h = make_daemon(repo, fleet.connect, self_heal=self_heal, drift_watch=False)  # the periodic check alone
    h.step()
    merge_patch(fleet.servers["gke-eu"], ISVC, {"spec": {"predictor": {"minReplicas": 1}}})
    assert _min_replicas(fleet, "gke-eu") == 1

    assert h.tick(59).submitted == []
    report = h.tick(1)

    assert sorted(report.submitted) == [("prod-cloud", "gke-eu", "drift"), ("prod-cloud", "gke-us", "drift")]
    assert _min_replicas(fleet, "gke-eu") == (4 if self_heal else 1)
    assert (h.daemon.target("prod-cloud", "gke-eu").drifted, h.daemon.target("prod-cloud", "gke-us").drifted) == (1, 0)
    assert _cluster_doc(h, "gke-eu")["sync"] == ("Synced" if self_heal else "OutOfSync")
    text = h.metrics.render()[0].decode()
    assert 'platformctl_drift_detected_total{cluster="gke-eu",environment="prod-cloud"} 1.0' in text
    assert 'platformctl_drifted_objects{cluster="gke-us",environment="prod-cloud"} 0.0' in text


@pytest.mark.parametrize("watch_cache", [True, False], ids=["watch-cache", "list"])
def test_a_dead_cluster_is_unknown_with_last_seen_while_the_others_converge_and_recovers_after_heal(
    repo: Repo, fleet: Fleet, make_daemon: Callable[..., Harness], watch_cache: bool
) -> None:
    # With the cache the dead cluster's reconcile plans from the watches and its first request is a dry
    # run: that gets no answer, which is reported as the cluster unreachable, not as objects rejected, and
    # reads the cache answered never count as the cluster having been seen.
    h = make_daemon(repo, fleet.connect, watch_cache=watch_cache)
    h.step()
    old = repo.head()
    dead = fleet.servers["gke-us"]
    dead.faults.partition("refuse")
    h.clock.advance(10)
    new = repo.commit("fraud-detector: 5", bump_fraud())
    h.daemon.trigger.fire("test")
    h.step()

    assert revision_on(fleet.servers["gke-eu"]) == new
    state = h.daemon.target("prod-cloud", "gke-us")
    assert (state.applied, state.reachable, state.failures) == (old, False, 1)
    assert state.error is not None and "cannot reach cluster gke-us" in state.error
    doc = _cluster_doc(h, "gke-us")
    assert (doc["health"], doc["sync"]) == ("Unknown", "Unknown")
    assert doc["healthMessage"] == "cluster unreachable; last seen 2025-01-01T00:00:00Z"
    assert doc["components"] == [{"name": "*", "sync": "Unknown", "health": "Unknown", "objects": 0,
                                  "message": "cluster unreachable; last seen 2025-01-01T00:00:00Z"}]
    assert doc["nextRetry"] == "2025-01-01T00:00:11Z"  # 2 s base backoff, equal jitter (rand 0.5): 1.5 s
    assert 'platformctl_cluster_up{cluster="gke-us",environment="prod-cloud"} 0.0' in h.metrics.render()[0].decode()

    # While it backs off, newer commits reach the live cluster at once and the dead one waits its turn.
    newer = repo.commit("fraud-detector: 6", bump_fraud("min: 5, max: 16", "min: 6, max: 16"))
    h.daemon.trigger.fire("test")
    h.clock.advance(1)
    assert h.step().submitted == [("prod-cloud", "gke-eu", "revision")]
    assert h.tick(0.5).submitted == [("prod-cloud", "gke-us", "retry")]  # 2 s base, equal jitter: 1.5 s
    assert h.daemon.target("prod-cloud", "gke-us").failures == 2
    assert h.tick(2.5).submitted == []  # second backoff: 3 s
    assert h.tick(0.5).submitted == [("prod-cloud", "gke-us", "retry")]

    dead.faults.heal()
    h.clock.advance(6)  # third backoff: 6 s
    assert h.step().submitted == [("prod-cloud", "gke-us", "retry")]
    state = h.daemon.target("prod-cloud", "gke-us")
    assert (state.applied, state.reachable, state.failures, state.error) == (newer, True, 0, None)
    assert revision_on(dead) == newer and _cluster_doc(h, "gke-us")["health"] != "Unknown"


def test_a_hanging_cluster_never_delays_the_others(
    repo: Repo, fleet: Fleet, make_daemon: Callable[..., Harness]
) -> None:
    h = make_daemon(repo, fleet.connect)
    h.step()
    old = repo.head()
    fleet.servers["gke-us"].faults.partition("hang")
    new = repo.commit("fraud-detector: 5", bump_fraud())
    h.daemon.trigger.fire("test")
    h.daemon.step()  # no wait: gke-us's worker is stuck in a request

    assert h.daemon.wait_until(lambda: h.daemon.target("prod-cloud", "gke-eu").applied == new, WAIT)
    assert h.daemon.target("prod-cloud", "gke-us").applied == old
    assert revision_on(fleet.servers["gke-eu"]) == new

    fleet.servers["gke-us"].faults.heal()
    assert h.daemon.wait_idle(WAIT)
    assert h.daemon.target("prod-cloud", "gke-us").applied == new


def test_shutdown_abandons_an_apply_stuck_past_the_grace_period_at_its_next_write(
    repo: Repo, fleet: Fleet, make_daemon: Callable[..., Harness], tmp_path: Path
) -> None:
    h = make_daemon(repo, fleet.connect, shutdown_grace=0,
                    leadership=LeaderElector(FileLeaseStore(tmp_path / "lease"), "replica-a", ManualClock()))
    stuck = fleet.servers["gke-us"]
    stuck.faults.partition("hang")
    h.daemon.step()
    assert h.daemon.wait_until(lambda: h.daemon.target("prod-cloud", "gke-eu").applied is not None, WAIT)
    stopping = threading.Thread(target=h.daemon.shutdown)
    stopping.start()
    assert h.daemon.wait_until(lambda: h.daemon.refusal() == "the daemon is shutting down", WAIT)

    stuck.faults.heal()  # the hung request returns; the reconcile goes on until its first real write
    stopping.join(WAIT)

    assert not stopping.is_alive()
    state = h.daemon.target("prod-cloud", "gke-us")
    assert state.applied is None and state.error is not None
    assert "write refused: the daemon is shutting down" in state.error and state.error.startswith("abandoned: ")
    assert writes(stuck) == []  # it read and dry-ran, and wrote nothing
    lease = FileLeaseStore(tmp_path / "lease").get()
    assert lease is not None and lease.holder == ""  # nothing in flight any more: released
