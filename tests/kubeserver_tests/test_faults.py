"""Fault injection and request counting."""

from __future__ import annotations

import http.client
import socket
import threading
import time

import pytest
from kubernetes.dynamic.exceptions import DynamicApiError

from kubeserver.server import KubeServer
from tests.kubeserver_tests.util import call, cm


def test_fail_next_n_per_verb_and_resource(kube_server: KubeServer, kube_namespace: str) -> None:
    path = f"/api/v1/namespaces/{kube_namespace}/configmaps"
    kube_server.faults.fail(503, verb="create", resource="configmaps", times=2)
    assert call(kube_server, "GET", path).status == 200  # other verbs unaffected
    first, second, third = (call(kube_server, "POST", path, cm(f"c{i}")) for i in range(3))
    assert (first.status, second.status, third.status) == (503, 503, 201)
    assert first.json["reason"] == "ServiceUnavailable" and first.json["kind"] == "Status"
    assert kube_server.count("create", "configmaps") == 3
    assert [r.fault for r in kube_server.requests if r.verb == "create"] == ["error", "error", ""]


def test_error_rate_is_seeded_and_reproducible(kube_server: KubeServer, kube_namespace: str) -> None:
    path = f"/api/v1/namespaces/{kube_namespace}/configmaps"

    def run() -> list[int]:
        kube_server.faults.clear()
        kube_server.faults.fail_rate(0.5, 500, verb="list", seed=7)
        return [call(kube_server, "GET", path).status for _ in range(20)]

    first = run()
    assert first == run()
    assert 0 < first.count(500) < 20 and set(first) == {200, 500}


def test_error_rate_draws_follow_the_request_not_the_arrival_order(kube_server: KubeServer,
                                                                   kube_namespace: str) -> None:
    paths = [f"/api/v1/namespaces/{kube_namespace}/configmaps/c{i}" for i in range(30)]

    def failed(order: list[str]) -> set[tuple[str, int]]:
        kube_server.faults.clear()
        kube_server.faults.fail_rate(0.5, 500, verb="get", seed=7)
        seen: set[tuple[str, int]] = set()
        for attempt in range(2):  # a retry of the same request gets a draw of its own
            seen |= {(p, attempt) for p in order if call(kube_server, "GET", p).status == 500}
        return seen

    forward = failed(paths)
    assert forward == failed(list(reversed(paths)))  # concurrent clients meet the same failures
    assert 0 < len(forward) < 60 and {p for p, a in forward if a == 0} != {p for p, a in forward if a == 1}


def test_throttle_answers_429_with_retry_after(kube_server: KubeServer, kube_namespace: str) -> None:
    path = f"/api/v1/namespaces/{kube_namespace}/configmaps"
    kube_server.faults.throttle(retry_after=3, times=1)
    plain = call(kube_server, "GET", path)
    assert plain.status == 429 and plain.headers["retry-after"] == "3"
    assert plain.raw == b"Too many requests, please try again later.\n"
    kube_server.faults.throttle(retry_after=2, times=1, status_body=True)
    status = call(kube_server, "GET", path)
    assert status.status == 429 and status.headers["retry-after"] == "2"
    assert status.json["reason"] == "TooManyRequests"
    assert status.json["details"] == {"retryAfterSeconds": 2}
    assert call(kube_server, "GET", path).status == 200


def test_latency_is_added(kube_server: KubeServer, kube_namespace: str) -> None:
    kube_server.faults.delay(0.2, verb="get", resource="configmaps")
    call(kube_server, "POST", f"/api/v1/namespaces/{kube_namespace}/configmaps", cm("slow"))
    started = time.monotonic()
    assert call(kube_server, "GET", f"/api/v1/namespaces/{kube_namespace}/configmaps/slow").status == 200
    assert time.monotonic() - started >= 0.2


def test_refused_partition_resets_connections_until_healed(kube_server: KubeServer, kube_dynamic_client,
                                                           kube_namespace: str) -> None:
    api = kube_dynamic_client.resources.get(api_version="v1", kind="ConfigMap")
    kube_server.faults.partition("refuse")
    conn = http.client.HTTPConnection("127.0.0.1", kube_server.port, timeout=5)
    with pytest.raises((ConnectionError, http.client.RemoteDisconnected)):
        conn.request("GET", "/version")
        conn.getresponse()
    conn.close()
    kube_server.faults.heal()
    assert api.get(namespace=kube_namespace).items == []


def test_hung_partition_never_answers_until_released(kube_server: KubeServer) -> None:
    kube_server.faults.partition("hang")
    sock = socket.create_connection(("127.0.0.1", kube_server.port), timeout=5)
    try:
        sock.sendall(b"GET /version HTTP/1.1\r\nHost: x\r\n\r\n")
        sock.settimeout(0.3)
        with pytest.raises(TimeoutError):
            sock.recv(1)
        answered = threading.Event()
        sock.settimeout(5)

        def read() -> None:
            if sock.recv(12).startswith(b"HTTP/1.1 200"):
                answered.set()

        reader = threading.Thread(target=read)
        reader.start()
        kube_server.faults.heal()
        reader.join(timeout=5)
        assert answered.is_set()
    finally:
        sock.close()


def test_client_sees_injected_500_as_api_error(kube_dynamic_client, kube_server: KubeServer, kube_namespace: str) -> None:
    api = kube_dynamic_client.resources.get(api_version="v1", kind="ConfigMap")
    kube_server.faults.fail(500, verb="patch", resource="configmaps")
    with pytest.raises(DynamicApiError) as err:
        api.server_side_apply(body={**cm("x"), "metadata": {"name": "x", "namespace": kube_namespace}},
                              field_manager="t")
    assert err.value.status == 500


def test_request_counters_and_reset(kube_server: KubeServer, kube_namespace: str) -> None:
    path = f"/api/v1/namespaces/{kube_namespace}/configmaps"
    call(kube_server, "POST", path, cm("a"))
    call(kube_server, "GET", f"{path}/a")
    call(kube_server, "GET", path)
    call(kube_server, "PATCH", f"{path}/a", cm("a"), content_type="application/apply-patch+yaml", fieldManager="m")
    assert kube_server.counts() == {("create", "configmaps"): 1, ("get", "configmaps"): 1,
                                    ("list", "configmaps"): 1, ("patch", "configmaps"): 1}
    assert kube_server.count(resource="configmaps") == 4 and kube_server.count("get") == 1
    kube_server.reset_requests()
    assert kube_server.counts() == {} and kube_server.requests == []


def test_refused_partition_cuts_open_watches(kube_server: KubeServer, kube_namespace: str) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", kube_server.port, timeout=5)
    try:
        conn.request("GET", f"/api/v1/namespaces/{kube_namespace}/configmaps?watch=true&timeoutSeconds=30")
        resp = conn.getresponse()
        assert resp.status == 200
        cut = threading.Timer(0.1, kube_server.faults.partition, args=("refuse",))
        cut.start()
        with pytest.raises((ConnectionError, http.client.IncompleteRead)):
            resp.read()
        cut.join()
    finally:
        conn.close()
        kube_server.faults.heal()
