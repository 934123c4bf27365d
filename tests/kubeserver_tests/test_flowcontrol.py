"""API Priority and Fairness response headers."""

from __future__ import annotations

import http.client
import uuid

from kubeserver.server import KubeServer
from tests.kubeserver_tests.util import Response, call, cm

FLOW = "x-kubernetes-pf-flowschema-uid"
LEVEL = "x-kubernetes-pf-prioritylevel-uid"


def _apf(response: Response) -> tuple[str, str]:
    return response.headers[FLOW], response.headers[LEVEL]


def test_headers_on_success_and_are_uuids(kube_server: KubeServer, kube_namespace: str) -> None:
    ok = call(kube_server, "GET", f"/api/v1/namespaces/{kube_namespace}/configmaps")
    assert ok.status == 200
    flow, level = _apf(ok)
    assert uuid.UUID(flow) and uuid.UUID(level) and flow != level
    assert _apf(call(kube_server, "GET", "/version")) == (flow, level)  # stable per server


def test_headers_on_errors(kube_server: KubeServer, kube_namespace: str) -> None:
    expected = _apf(call(kube_server, "GET", "/version"))
    missing = call(kube_server, "GET", f"/api/v1/namespaces/{kube_namespace}/configmaps/nope")
    assert missing.status == 404 and _apf(missing) == expected
    unrouted = call(kube_server, "GET", "/apis/example.com/v1/widgets")
    assert unrouted.status == 404 and _apf(unrouted) == expected
    body = cm("bad name")
    invalid = call(kube_server, "POST", f"/api/v1/namespaces/{kube_namespace}/configmaps", body)
    assert invalid.status == 422 and _apf(invalid) == expected


def test_headers_on_injected_faults(kube_server: KubeServer, kube_namespace: str) -> None:
    expected = _apf(call(kube_server, "GET", "/version"))
    path = f"/api/v1/namespaces/{kube_namespace}/configmaps"
    kube_server.faults.throttle(retry_after=1, times=1)
    throttled = call(kube_server, "GET", path)
    assert throttled.status == 429 and _apf(throttled) == expected
    kube_server.faults.fail(503, times=1)
    failed = call(kube_server, "GET", path)
    assert failed.status == 503 and _apf(failed) == expected


def test_headers_on_watch_streams(kube_server: KubeServer, kube_namespace: str) -> None:
    expected = _apf(call(kube_server, "GET", "/version"))
    conn = http.client.HTTPConnection("127.0.0.1", kube_server.port, timeout=10)
    try:
        conn.request("GET", f"/api/v1/namespaces/{kube_namespace}/configmaps?watch=true&timeoutSeconds=1")
        resp = conn.getresponse()
        assert resp.status == 200 and resp.getheader("Transfer-Encoding") == "chunked"
        assert (resp.getheader(FLOW), resp.getheader(LEVEL)) == expected
        resp.read()
    finally:
        conn.close()


def test_values_are_stable_per_name_and_seed() -> None:
    with KubeServer("east", seed=1) as a, KubeServer("east", seed=1) as b, KubeServer("west", seed=1) as c:
        first, second, other = (_apf(call(s, "GET", "/version")) for s in (a, b, c))
    assert first == second and first != other


def test_absent_without_flow_control() -> None:
    with KubeServer("no-apf", flow_control=False) as server:
        server.faults.throttle(times=1)
        throttled = call(server, "GET", "/api/v1/namespaces/default/configmaps")
        missing = call(server, "GET", "/api/v1/namespaces/default/configmaps/nope")
        ok = call(server, "GET", "/api/v1/namespaces/default/configmaps")
    assert (throttled.status, missing.status, ok.status) == (429, 404, 200)
    for response in (throttled, missing, ok):
        assert FLOW not in response.headers and LEVEL not in response.headers
