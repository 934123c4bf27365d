"""Reads from watches (``watch_cache``): the daemon plans from an informer cache fed by LIST+WATCH.

A no-op reconcile sends no request; a hand edit is healed without a LIST; a 410 costs exactly one
re-LIST; a cache that lags behind the server never decides a deletion.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable
from typing import Any

from reconciler.cluster.kube.cachestore import Group, WatchStore
from reconciler.cluster.kube.informer import Informer
from reconciler.objects import Manifest
from tests.daemon.conftest import WAIT, Harness, Repo, merge_patch, only_fraud, with_budget
from tests.engine.conftest import Fleet, writes
from tests.waiting import until
from kubeserver.server import KubeServer

SERVING = "/apis/serving.kserve.io/v1beta1/namespaces/ml-serving/inferenceservices"
KEY = ("prod-cloud", "gke-eu")
ISVC = ("serving.kserve.io/v1beta1", "InferenceService", "ml-serving", "")
ISVC_RESOURCE = "inferenceservices.serving.kserve.io"
NAMESPACE = ("v1", "Namespace", "", "ml-serving")


def _warm(repo: Repo, fleet: Fleet, make_daemon: Callable[..., Harness], **settings: Any) -> Harness:
    """A daemon with the watch cache that applied prod-cloud, then reconciled once more so every group
    it reads is watched, its caches caught up with its own writes."""
    h = make_daemon(repo, fleet.connect, watch_cache=True, drift_interval=60.0, **settings)
    h.step()
    for key in h.daemon.pool.keys():
        informer = h.daemon.watches.informer(key)
        assert informer is not None
        assert until(lambda: _caught_up(informer), WAIT), informer.store.groups
    h.tick(60.0)  # drift check: groups first read by the first reconcile's fallbacks are watched by now
    for key in h.daemon.pool.keys():
        informer = h.daemon.watches.informer(key)
        assert informer is not None
        assert until(lambda: _caught_up(informer), WAIT), informer.store.groups
    return h


def _caught_up(informer: Informer) -> bool:
    groups = informer.groups
    return bool(groups) and all(informer.store.caught_up(g) for g in groups)


def test_a_no_op_reconcile_sends_no_request(repo: Repo, fleet: Fleet, make_daemon: Callable[..., Harness]) -> None:
    h = _warm(repo, fleet, make_daemon)
    fleet.reset_requests()

    report = h.tick(60.0)

    assert sorted(report.submitted) == [("prod-cloud", "gke-eu", "drift"), ("prod-cloud", "gke-us", "drift")]
    for server in fleet.servers.values():
        assert server.requests == [], [(r.verb, r.path) for r in server.requests]
    assert h.daemon.target(*KEY).error is None
    text = h.metrics.render()[0].decode()  # counted when the drift checks were submitted
    assert 'platformctl_watch_cache_objects{cluster="gke-eu",environment="prod-cloud"} 5.0' in text, [
        line for line in text.splitlines() if "watch_cache" in line]


def test_a_hand_edit_is_healed_without_a_new_list(repo: Repo, fleet: Fleet,
                                                  make_daemon: Callable[..., Harness]) -> None:
    h = _warm(repo, fleet, make_daemon, drift_watch_delay=2.0)
    server = fleet.servers["gke-eu"]
    merge_patch(server, f"{SERVING}/fraud-detector", {"spec": {"predictor": {"minReplicas": 1}}})
    assert until(lambda: h.daemon.scheduler.when(("drift", KEY)) == h.clock.monotonic() + 2.0, WAIT)
    fleet.reset_requests()

    report = h.tick(2.0)

    assert report.submitted == [("prod-cloud", "gke-eu", "drift")]
    found = server.get_object("serving.kserve.io", "inferenceservices", "fraud-detector", "ml-serving")
    assert found is not None and found["spec"]["predictor"]["minReplicas"] == 4
    assert server.count("list") == 0 and server.count("get") == 0
    assert [(r.verb, r.name) for r in writes(server)] == [("patch", "fraud-detector")]


def test_a_hand_edit_of_the_namespace_is_seen_on_its_watch_by_name_and_healed_from_the_cache(
    repo: Repo, fleet: Fleet, make_daemon: Callable[..., Harness]
) -> None:
    h = _warm(repo, fleet, make_daemon, drift_watch_delay=2.0)
    server = fleet.servers["gke-eu"]
    informer = h.daemon.watches.informer(KEY)
    assert informer is not None and NAMESPACE in informer.groups
    merge_patch(server, "/api/v1/namespaces/ml-serving", {"metadata": {"labels": {"cost-center": "someone-else"}}})
    assert until(lambda: h.daemon.scheduler.when(("drift", KEY)) == h.clock.monotonic() + 2.0, WAIT)
    fleet.reset_requests()

    report = h.tick(2.0)

    assert report.submitted == [("prod-cloud", "gke-eu", "drift")]
    found = server.get_object("", "namespaces", "ml-serving")
    assert found is not None and found["metadata"]["labels"]["cost-center"] == "ml-platform"
    assert server.count("list") == 0 and server.count("get") == 0  # the Namespace came from its watch too


def test_an_expired_watch_costs_exactly_one_list_and_its_check_reads_the_cache(
    repo: Repo, fleet: Fleet, make_daemon: Callable[..., Harness]
) -> None:
    h = _warm(repo, fleet, make_daemon, watch_timeout=1.0, drift_watch_delay=2.0)
    server = fleet.servers["gke-eu"]
    informer = h.daemon.watches.informer(KEY)
    assert informer is not None
    relists = informer.store.counts().relists
    fleet.reset_requests()
    server.faults.fail(410, verb="watch", resource=ISVC_RESOURCE, times=1)  # the next resume is too old

    assert until(lambda: informer.store.counts().relists == relists + 1, WAIT)
    assert until(lambda: h.daemon.scheduler.when(("drift", KEY)) is not None
                 and h.daemon.scheduler.when(("drift", KEY)) < 60.0 * 3, WAIT), "the re-LIST was not reported"
    assert until(lambda: informer.store.caught_up(ISVC), WAIT)
    # the check is due 2 s after the report; under load the loop may still be busy with the target at the
    # first tick, so a few more (the clock moves only when the test says)
    submitted: list[tuple[str, str, str]] = []
    for _ in range(20):
        submitted += h.tick(2.0).submitted
        if ("prod-cloud", "gke-eu", "drift") in submitted:
            break
        time.sleep(0.05)

    assert ("prod-cloud", "gke-eu", "drift") in submitted
    assert server.count("list", ISVC_RESOURCE) == 1  # the informer's re-LIST; the check read its cache
    assert server.count("list") == 1
    assert informer.store.counts().relists == relists + 1


def _apply_as(server: KubeServer, path: str, body: dict[str, Any], manager: str) -> None:
    """A server-side apply by another field manager, straight over HTTP."""
    request = urllib.request.Request(f"{server.url}{path}?fieldManager={manager}&force=true", method="PATCH",
                                     data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/apply-patch+yaml"})
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - loopback test server
        assert answer.status == 200


class _Paused:
    """Holds one group's watch events back (a watch lagging behind the server), then lets them through."""

    def __init__(self, store: WatchStore, group: Group) -> None:
        self._store, self._group = store, group
        self._event = store.event
        self._open = threading.Event()
        store.event = self  # type: ignore[method-assign]

    def __call__(self, group: Group, type_: str, obj: Manifest) -> None:
        if group == self._group:
            self._open.wait(WAIT)
        self._event(group, type_, obj)

    def release(self) -> None:
        self._open.set()


def test_a_lagging_cache_never_prunes_an_object_another_owner_now_applies(
    repo: Repo, fleet: Fleet, make_daemon: Callable[..., Harness]
) -> None:
    repo.commit("allow larger prunes", {"environments/prod-cloud.yaml": with_budget("1.0")})
    h = _warm(repo, fleet, make_daemon)
    server = fleet.servers["gke-eu"]
    informer = h.daemon.watches.informer(KEY)
    assert informer is not None
    paused = _Paused(informer.store, ISVC)
    try:
        # Another team starts applying recsys-ranker too; the cache does not see it yet.
        _apply_as(server, f"{SERVING}/recsys-ranker", {
            "apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
            "metadata": {"name": "recsys-ranker", "namespace": "ml-serving", "labels": {"owner": "search"}}},
            manager="search-team")
        assert informer.store.caught_up(ISVC)  # the lagging cache would still answer
        repo.commit("serve only the fraud detector", {"environments/prod-cloud.yaml": only_fraud})
        fleet.reset_requests()
        h.daemon.trigger.fire("test")
        h.step()
    finally:
        paused.release()

    kept = server.get_object("serving.kserve.io", "inferenceservices", "recsys-ranker", "ml-serving")
    assert kept is not None, "pruned on the word of a stale cache"
    assert server.get_object("serving.kserve.io", "inferenceservices", "churn-predictor", "ml-serving") is None
    assert server.count("list", ISVC_RESOURCE) >= 1  # deciding the prunes read the server


def test_a_namespace_the_role_may_not_watch_is_read_by_get(repo: Repo, fleet: Fleet,
                                                           make_daemon: Callable[..., Harness]) -> None:
    for server in fleet.servers.values():  # a role with get, but no list/watch, on this namespace (a name
        # left out of the shipped role's resourceNames)
        server.faults.fail(403, verb="list", resource="namespaces", times=None)
    h = _warm(repo, fleet, make_daemon)
    fleet.reset_requests()

    h.tick(60.0)

    for server in fleet.servers.values():
        assert [(r.verb, r.resource, r.name) for r in server.requests] == [("get", "namespaces", "ml-serving")]
    assert h.daemon.target(*KEY).error is None
