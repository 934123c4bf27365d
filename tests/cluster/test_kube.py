"""KubeCluster only: schema rejections, retries, partitions, rate limit, discovery, concurrency."""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.cluster.kube.cluster import KubeCluster, ThrottledTokenCheck
from reconciler.errors import ClusterError, Conflict, Forbidden, Invalid, NotFound, Unavailable
from tests.cluster.conftest import FakeTime, kube_options
from tests.cluster.test_contract import configmap, notebook
from kubeserver.server import KubeServer
from tests.kubeserver_tests.util import call
from tests.waiting import until


def test_schema_rejection_is_invalid_with_the_field_in_a_cause(kube: KubeCluster, kube_namespace: str) -> None:
    bad = notebook(kube_namespace)
    bad["spec"]["template"]["spec"]["containers"][0]["ports"] = "8888"
    with pytest.raises(Invalid) as caught:
        kube.apply(bad)
    # kube-apiserver refuses a type error in an apply body with 500 "failed to create typed patch
    # object" before its 422 validation runs: still the request's fault, never retried.
    assert caught.value.status in (422, 500)
    assert kube.retries == 0
    assert any(c.startswith("spec.template.spec.containers[0].ports:") for c in caught.value.causes)
    assert str(caught.value).startswith(f"Notebook/{kube_namespace}/nb: ")


def test_retries_converge_under_a_500_rate(kube: KubeCluster, kube_server: KubeServer, kube_namespace: str,
                                          fake_time: FakeTime) -> None:
    kube_server.faults.fail_rate(0.2, 500, verb="patch", seed=3)
    for i in range(20):
        kube.apply(configmap(kube_namespace, f"flaky-{i}"))
    assert len(kube.list(kube.kind("v1", "ConfigMap"), kube_namespace)) == 20
    assert kube.retries > 0 and len(fake_time.sleeps) == kube.retries
    assert kube.request_counts()["patch"] == kube_server.count("patch") == 20 + kube.retries
    assert all(0 < s <= kube.options.backoff_cap for s in fake_time.sleeps)


@pytest.mark.parametrize("status_body", [False, True])
def test_429_waits_for_retry_after(kube: KubeCluster, kube_server: KubeServer, kube_namespace: str,
                                   fake_time: FakeTime, status_body: bool) -> None:
    kube_server.faults.throttle(retry_after=3, times=2, verb="patch", status_body=status_body)
    kube.apply(configmap(kube_namespace, "throttled"))
    assert fake_time.sleeps == [3.0, 3.0]
    assert kube_server.count("patch") == 3


def test_exhausted_retries_are_unavailable(kube_server: KubeServer, kube_config: Path, kube_namespace: str,
                                          fake_time: FakeTime) -> None:
    kube_server.faults.fail(503, verb="get", resource="configmaps", times=None)
    with KubeCluster("flaky", kubeconfig=str(kube_config), options=kube_options(fake_time, max_retries=3)) as cluster:
        with pytest.raises(Unavailable) as caught:
            cluster.get(cluster.kind("v1", "ConfigMap"), kube_namespace, "x")
    assert caught.value.status == 503 and "gave up after 4 attempts" in caught.value.message
    assert kube_server.count("get", "configmaps") == 4
    assert fake_time.sleeps == [0.1, 0.2, 0.4]  # full jitter with random() == 0.5: base * 2**n / 2


@pytest.mark.parametrize(("code", "error"), [(403, Forbidden), (409, Conflict), (400, Invalid), (404, NotFound)])
def test_http_statuses_map_to_typed_errors(kube: KubeCluster, kube_server: KubeServer, kube_namespace: str,
                                           code: int, error: type[ClusterError]) -> None:
    kube_server.faults.fail(code, verb="patch", resource="configmaps", message="injected " + "x" * 500)
    with pytest.raises(error) as caught:
        kube.apply(configmap(kube_namespace, "mapped"))
    assert caught.value.status == code
    assert "injected xxx" in caught.value.message and len(caught.value.message) <= 300
    assert kube_server.count("patch") == 1  # not retried


def test_refused_partition_is_unavailable_quickly(kube: KubeCluster, kube_server: KubeServer,
                                                  kube_namespace: str, fake_time: FakeTime) -> None:
    kube_server.faults.partition("refuse")
    started = time.monotonic()
    with pytest.raises(Unavailable) as caught:
        kube.get(kube.kind("v1", "ConfigMap"), kube_namespace, "x")
    assert time.monotonic() - started < 2
    assert "cannot reach cluster kube" in caught.value.message
    assert len(fake_time.sleeps) == kube.options.max_retries


def test_hung_partition_times_out_into_unavailable(kube_server: KubeServer, kube_config: Path,
                                                   kube_namespace: str, fake_time: FakeTime) -> None:
    options = kube_options(fake_time, read_timeout=0.2, max_retries=1)
    with KubeCluster("hung", kubeconfig=str(kube_config), options=options) as cluster:
        kube_server.faults.partition("hang")
        started = time.monotonic()
        with pytest.raises(Unavailable) as caught:
            cluster.get(cluster.kind("v1", "ConfigMap"), kube_namespace, "x")
        assert time.monotonic() - started < 2
    assert "timed out" in caught.value.message.lower()
    kube_server.faults.heal()
    # The server logs a hung request only once released; let that happen inside this test so
    # it cannot land in the next test's request log.
    assert until(lambda: kube_server.count("get", "configmaps") == 2)


def test_rate_limit_bounds_the_request_rate(kube_server: KubeServer, kube_config: Path, kube_namespace: str,
                                            fake_time: FakeTime) -> None:
    options = kube_options(fake_time, qps=10, burst=5)
    with KubeCluster("limited", kubeconfig=str(kube_config), options=options) as cluster:
        kind = cluster.kind("v1", "ConfigMap")
        for _ in range(25):
            cluster.get(kind, kube_namespace, "x")
        # 5 from the burst, then 20 at 10/s: two seconds of (fake) waiting, none wasted.
        assert cluster.throttled_seconds == pytest.approx(2.0)
        assert fake_time.now == pytest.approx(2.0)
        assert kube_server.count("get", "configmaps") == 25


def test_auto_limit_is_lifted_once_the_server_shows_priority_and_fairness(
        kube_server: KubeServer, kube_config: Path, kube_namespace: str, fake_time: FakeTime) -> None:
    options = kube_options(fake_time, qps=10, burst=5, defer_to_flow_control=True)
    with KubeCluster("auto", kubeconfig=str(kube_config), options=options) as cluster:
        assert cluster.rate_limit == 10.0  # nothing heard from the server yet
        kind = cluster.kind("v1", "ConfigMap")
        for _ in range(25):
            cluster.get(kind, kube_namespace, "x")
        # The first answer carried the APF headers: nothing waited for the client-side bucket.
        assert cluster.server_flow_control and cluster.rate_limit == 0.0
        assert cluster.throttled_seconds == 0.0 and fake_time.sleeps == []
        assert kube_server.count("get", "configmaps") == 25


def test_an_explicit_limit_holds_even_when_the_server_runs_priority_and_fairness(
        kube_server: KubeServer, kube_config: Path, kube_namespace: str, fake_time: FakeTime) -> None:
    options = kube_options(fake_time, qps=10, burst=5)  # a number in the spec: the operator's choice
    with KubeCluster("explicit", kubeconfig=str(kube_config), options=options) as cluster:
        kind = cluster.kind("v1", "ConfigMap")
        for _ in range(25):
            cluster.get(kind, kube_namespace, "x")
        assert cluster.server_flow_control and cluster.rate_limit == 10.0
        assert cluster.throttled_seconds == pytest.approx(2.0)


def test_auto_limit_holds_against_a_server_without_priority_and_fairness(tmp_path: Path,
                                                                        fake_time: FakeTime) -> None:
    with KubeServer("no-apf", flow_control=False) as server:
        server.create_namespace("ns")
        config = server.write_kubeconfig(tmp_path / "config")
        options = kube_options(fake_time, qps=10, burst=5, defer_to_flow_control=True)
        with KubeCluster("no-apf", kubeconfig=str(config), options=options) as cluster:
            kind = cluster.kind("v1", "ConfigMap")
            for _ in range(25):
                cluster.get(kind, "ns", "x")
            assert not cluster.server_flow_control and cluster.rate_limit == 10.0
            assert cluster.throttled_seconds == pytest.approx(2.0)


def test_uninstalled_crd_kind_is_not_found_naming_the_kind(kube_cluster_factory: Callable[..., KubeServer],
                                                           tmp_path: Path, fake_time: FakeTime) -> None:
    bare = kube_cluster_factory("bare")  # no CRDs registered
    bare.create_namespace("ns")
    config = bare.write_kubeconfig(tmp_path / "config")
    with KubeCluster("bare", kubeconfig=str(config), options=kube_options(fake_time)) as cluster:
        with pytest.raises(NotFound) as applying:
            cluster.apply(notebook("ns"))
        with pytest.raises(NotFound) as listing:
            cluster.list(cluster.kind("kubeflow.org/v1", "Notebook"), "ns")
        with pytest.raises(NotFound) as getting:
            cluster.get(cluster.kind("kubeflow.org/v1", "Notebook"), "ns", "nb")
        with pytest.raises(NotFound) as discovering:
            cluster.kind("kubeflow.org/v1beta1", "Trial")
    for caught in (applying, listing, getting):
        assert "does not serve Notebook (kubeflow.org/v1)" in caught.value.message
    assert "Trial" in discovering.value.message


def test_discovery_finds_served_kinds_once(kube: KubeCluster, kube_server: KubeServer) -> None:
    trial = kube.kind("kubeflow.org/v1beta1", "Trial")  # a CRD that is not in KNOWN_KINDS
    assert (trial.plural, trial.namespaced) == ("trials", True)
    assert kube.kind("kubeflow.org/v1beta1", "Suggestion").plural == "suggestions"
    assert kube.request_counts() == {"get": 1}
    with pytest.raises(NotFound):
        kube.kind("kubeflow.org/v1beta1", "Gadget")


def test_list_follows_continue_tokens(kube_server: KubeServer, kube_config: Path, kube_namespace: str,
                                      fake_time: FakeTime) -> None:
    with KubeCluster("paged", kubeconfig=str(kube_config), options=kube_options(fake_time, page_size=2)) as cluster:
        for i in range(5):
            cluster.apply(configmap(kube_namespace, f"page-{i}"))
        names = [o["metadata"]["name"] for o in cluster.list(cluster.kind("v1", "ConfigMap"), kube_namespace)]
    assert names == [f"page-{i}" for i in range(5)]
    assert kube_server.count("list") == 3


def test_force_takes_fields_from_another_manager(kube: KubeCluster, kube_server: KubeServer,
                                                 kube_namespace: str) -> None:
    path = f"/api/v1/namespaces/{kube_namespace}/configmaps/shared"
    other = call(kube_server, "PATCH", path, configmap(kube_namespace, "shared", {"k": "theirs"}),
                 content_type="application/apply-patch+yaml", fieldManager="someone-else")
    assert other.status == 201
    with pytest.raises(Conflict) as caught:
        kube.apply(configmap(kube_namespace, "shared", {"k": "ours"}), force=False)
    assert "someone-else" in caught.value.message
    assert kube.apply(configmap(kube_namespace, "shared", {"k": "ours"}))["data"] == {"k": "ours"}


def test_concurrent_use_from_many_threads(kube: KubeCluster, kube_server: KubeServer, kube_namespace: str) -> None:
    kind = kube.kind("v1", "ConfigMap")

    def work(i: int) -> dict[str, Any] | None:
        kube.apply(configmap(kube_namespace, f"par-{i}", {"i": str(i)}))
        return kube.get(kind, kube_namespace, f"par-{i}")

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, range(40)))
    assert [r["data"]["i"] for r in results if r is not None] == [str(i) for i in range(40)]
    assert len(kube.list(kind, kube_namespace)) == 40
    assert kube.request_counts() == {"patch": 40, "get": 40, "list": 1}
    assert kube_server.errors == []


def test_bad_kubeconfig_context_is_a_cluster_error(kube_config: Path) -> None:
    with pytest.raises(ClusterError) as caught:
        KubeCluster("x", kubeconfig=str(kube_config), context="no-such-context")
    assert "no-such-context" in str(caught.value)


def test_one_401_rechecks_the_token_and_retries_once(kube: KubeCluster, kube_server: KubeServer,
                                                     kube_namespace: str) -> None:
    kube_server.faults.fail(401, verb="patch", times=1)  # e.g. a token that expired a moment ago
    kube.apply(configmap(kube_namespace, "after-401"))
    assert kube_server.count("patch", "configmaps") == 2
    kube_server.faults.fail(401, verb="patch", times=2)  # still refused: no retry loop, a clear error
    with pytest.raises(ClusterError) as caught:
        kube.apply(configmap(kube_namespace, "refused"))
    assert caught.value.status == 401
    assert kube_server.count("patch", "configmaps") == 4


def test_token_check_runs_at_most_once_a_second_and_stays_in_place() -> None:
    now = [0.0]
    calls: list[float] = []

    class Configuration:
        refresh_api_key_hook: Any = None

    configuration = Configuration()

    def loader_hook(config: Any) -> None:  # like kube_config's: it re-installs itself each time
        calls.append(now[0])
        config.refresh_api_key_hook = loader_hook

    configuration.refresh_api_key_hook = loader_hook
    check = ThrottledTokenCheck(configuration, 1.0, clock=lambda: now[0])
    for step in range(30):  # 3 seconds of requests, one every 0.1 s
        now[0] = step / 10
        configuration.refresh_api_key_hook(configuration)
    assert calls == [0.0, 1.0, 2.0]
    assert configuration.refresh_api_key_hook is check
    check.force()
    configuration.refresh_api_key_hook(configuration)
    assert calls[-1] == 2.9
