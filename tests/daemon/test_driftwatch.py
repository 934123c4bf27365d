"""Drift seen by WATCH: a hand edit is checked within seconds, status updates never count."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from reconciler.cluster.kube.cluster import KubeCluster
from reconciler.cluster.kube.watch import WatchEvent
from reconciler.daemon.driftwatch import DriftWatch, drifted
from tests.daemon.conftest import WAIT, Harness, Repo, merge_patch
from tests.engine.conftest import Fleet
from tests.waiting import until

SERVING = "/apis/serving.kserve.io/v1beta1/namespaces/ml-serving/inferenceservices"
KEY = ("prod-cloud", "gke-eu")


def _isvc(replicas: int = 4, status: dict[str, Any] | None = None) -> dict[str, Any]:
    manifest: dict[str, Any] = {
        "apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
        "metadata": {"name": "fraud-detector", "namespace": "ml-serving", "labels": {"team": "risk"}},
        "spec": {"predictor": {"minReplicas": replicas}},
    }
    if status is not None:
        manifest["status"] = status
    return manifest


def test_only_events_that_move_a_field_we_manage_are_drift() -> None:
    desired = _isvc()
    live = {**_isvc(status={"conditions": [{"type": "Ready", "status": "True"}]}),
            "metadata": {**_isvc()["metadata"], "resourceVersion": "7", "generation": 3, "uid": "u"}}
    assert not drifted(WatchEvent("MODIFIED", live), desired)  # status, server fields: not ours
    assert drifted(WatchEvent("MODIFIED", _isvc(replicas=1)), desired)
    assert drifted(WatchEvent("DELETED", live), desired)
    assert drifted(WatchEvent("ADDED", _isvc(replicas=1)), desired)  # re-created by someone else, differently
    assert not drifted(WatchEvent("BOOKMARK", {"metadata": {"resourceVersion": "9"}}), desired)
    assert not drifted(WatchEvent("MODIFIED", _isvc(replicas=1)), None)  # not an object Git holds


def test_a_status_update_is_ignored_and_a_hand_edit_reported(repo: Repo, fleet: Fleet,
                                                             make_daemon: Callable[..., Harness]) -> None:
    h = make_daemon(repo, fleet.connect)
    h.step()  # applies prod-cloud; the watches under test are our own, below
    server = fleet.servers["gke-eu"]
    desired = h.daemon.good.desired[KEY].target.manifests  # type: ignore[union-attr]
    reports: list[str] = []
    client = fleet.connect(h.daemon.good.desired[KEY].cluster)  # type: ignore[union-attr]
    assert isinstance(client, KubeCluster)
    watch = DriftWatch(KEY, client, lambda _key, what: reports.append(what))
    try:
        watch.update(desired)
        isvc = ("serving.kserve.io/v1beta1", "InferenceService", "ml-serving")
        assert until(lambda: isvc in watch.groups, WAIT)
        assert until(lambda: client.request_counts().get("watch", 0) >= len(watch.groups), WAIT)

        merge_patch(server, f"{SERVING}/fraud-detector/status",
                    {"status": {"conditions": [{"type": "Ready", "status": "True"}]}}, manager="kserve")
        merge_patch(server, f"{SERVING}/recsys-ranker", {"spec": {"predictor": {"minReplicas": 9}}})

        # Both events travel on the one InferenceService WATCH, in order: once the edit is
        # reported, the status update has been looked at too.
        assert until(lambda: any("recsys-ranker" in r for r in reports), WAIT)
        assert reports == ["modified InferenceService/ml-serving/recsys-ranker"]
    finally:
        watch.stop()


@pytest.mark.parametrize(("watch_cache", "watches"), [(True, 2), (False, 1)], ids=["watch-cache", "list"])
def test_a_hand_edit_is_healed_within_the_watch_delay_not_the_drift_interval(
    repo: Repo, fleet: Fleet, make_daemon: Callable[..., Harness], watch_cache: bool, watches: int
) -> None:
    h = make_daemon(repo, fleet.connect, drift_interval=3600.0, drift_watch_delay=2.0, watch_cache=watch_cache)
    h.step()
    assert until(lambda: fleet.servers["gke-eu"].count("watch", "inferenceservices") >= 1, WAIT)
    lists = fleet.servers["gke-eu"].count("list", "inferenceservices")
    merge_patch(fleet.servers["gke-eu"], f"{SERVING}/fraud-detector", {"spec": {"predictor": {"minReplicas": 1}}})

    deadline = h.clock.monotonic() + 2.0
    assert until(lambda: h.daemon.scheduler.when(("drift", KEY)) == deadline, WAIT), "the watch never reported the edit"
    assert h.daemon.scheduler.when(("drift", ("prod-cloud", "gke-us"))) == 3600.0  # the other cluster: untouched
    assert h.tick(1.9).submitted == []
    report = h.tick(0.1)

    assert report.submitted == [("prod-cloud", "gke-eu", "drift")]
    found = fleet.servers["gke-eu"].get_object("serving.kserve.io", "inferenceservices", "fraud-detector",
                                               "ml-serving")
    assert found is not None and found["spec"]["predictor"]["minReplicas"] == 4
    assert h.daemon.target(*KEY).drifted == 1
    text = h.metrics.render()[0].decode()
    assert 'platformctl_drift_watch_reports_total{cluster="gke-eu",environment="prod-cloud"} 1.0' in text
    # InferenceServices in ml-serving; with the cache also the ConfigMaps there (the inventory is read from it)
    assert f'platformctl_drift_watches{{cluster="gke-eu",environment="prod-cloud"}} {watches}.0' in text
    if watch_cache:  # the healing reconcile planned from the watch's event: no LIST since the edit
        assert fleet.servers["gke-eu"].count("list", "inferenceservices") == lists


def test_no_watch_when_turned_off(repo: Repo, fleet: Fleet, make_daemon: Callable[..., Harness]) -> None:
    h = make_daemon(repo, fleet.connect, drift_watch=False)
    h.step()
    for server in fleet.servers.values():
        assert server.count("watch") == 0


def test_stopping_without_waiting_still_ends_every_watch_promptly(repo: Repo, fleet: Fleet,
                                                                   make_daemon: Callable[..., Harness]) -> None:
    h = make_daemon(repo, fleet.connect, drift_watch=False)
    h.step()
    desired = h.daemon.good.desired[KEY]  # type: ignore[union-attr]
    client = fleet.connect(desired.cluster)
    assert isinstance(client, KubeCluster)
    watch = DriftWatch(("stop-test", "gke-eu"), client, lambda _key, _what: None)
    watch.update(desired.target.manifests)
    assert until(lambda: client.request_counts().get("watch", 0) >= len(watch.groups) > 0, WAIT)

    watch.stop(timeout=0)  # what losing the lease does: never block the daemon's loop

    def ours() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t.name.startswith(("watch-gke-eu-", "watch-close-gke-eu"))]
    assert until(lambda: not ours(), 5.0), [t.name for t in ours()]


def test_a_watch_rides_out_a_partition_and_misses_nothing_written_meanwhile(
    repo: Repo, fleet: Fleet, make_daemon: Callable[..., Harness]
) -> None:
    h = make_daemon(repo, fleet.connect, drift_watch=False)
    h.step()
    server = fleet.servers["gke-eu"]
    desired = h.daemon.good.desired[KEY]  # type: ignore[union-attr]
    client = fleet.connect(desired.cluster)
    assert isinstance(client, KubeCluster)
    reports: list[str] = []
    watch = DriftWatch(("partition", "gke-eu"), client, lambda _key, what: reports.append(what),
                       backoff_base=0.05, backoff_cap=0.2)
    try:
        watch.update(desired.target.manifests)
        assert until(lambda: client.request_counts().get("watch", 0) >= 1, WAIT)
        server.faults.partition("refuse")  # the open stream is cut, reconnects are refused
        tries = client.request_counts().get("watch", 0)
        assert until(lambda: client.request_counts().get("watch", 0) >= tries + 2, WAIT)  # it keeps trying
        server.faults.heal()
        merge_patch(server, f"{SERVING}/churn-predictor", {"spec": {"predictor": {"minReplicas": 9}}})
        assert until(lambda: any("churn-predictor" in r for r in reports), WAIT)
        assert reports == ["modified InferenceService/ml-serving/churn-predictor"]
    finally:
        watch.stop()
