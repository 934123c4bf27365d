"""Status bodies for each error code, in the real server's shapes."""

from __future__ import annotations

from kubeserver.server import KubeServer
from tests.kubeserver_tests.util import call, cm


def failure(body: dict, reason: str, code: int) -> None:
    assert list(body)[:6] == ["kind", "apiVersion", "metadata", "status", "message", "reason"]
    assert (body["kind"], body["apiVersion"], body["metadata"], body["status"]) == ("Status", "v1", {}, "Failure")
    assert (body["reason"], body["code"]) == (reason, code)


def test_status_shapes(kube_server: KubeServer, kube_namespace: str) -> None:
    path = f"/api/v1/namespaces/{kube_namespace}/configmaps"
    stale = call(kube_server, "POST", path, cm("c")).json
    call(kube_server, "PATCH", f"{path}/c", {"data": {"a": "1"}}, content_type="application/merge-patch+json")
    conflict = call(kube_server, "PUT", f"{path}/c", stale)
    failure(conflict.json, "Conflict", 409)
    assert conflict.json["message"] == (
        'Operation cannot be fulfilled on configmaps "c": the object has been modified; '
        "please apply your changes to the latest version and try again")
    assert conflict.json["details"] == {"name": "c", "kind": "configmaps"}
    bad = call(kube_server, "POST", path, b"{not json")
    failure(bad.json, "BadRequest", 400)
    mismatch = call(kube_server, "PUT", f"{path}/c", cm("other"))
    failure(mismatch.json, "BadRequest", 400)
    assert mismatch.json["message"] == "the name of the object (other) does not match the name on the URL (c)"
    failure(call(kube_server, "PUT", path, cm("c")).json, "MethodNotAllowed", 405)
    kube_server.faults.fail(500, times=1)
    internal = call(kube_server, "GET", path)
    failure(internal.json, "InternalError", 500)
    assert internal.raw.endswith(b"}\n")


def test_watch_path_form_and_expired_continue_are_served(kube_server: KubeServer, kube_namespace: str) -> None:
    call(kube_server, "POST", f"/api/v1/namespaces/{kube_namespace}/configmaps", cm("w"))
    watched = call(kube_server, "GET", f"/api/v1/watch/namespaces/{kube_namespace}/configmaps/w", timeoutSeconds=1)
    assert watched.status == 200
    assert [line.startswith(b'{"type":"ADDED"') for line in watched.raw.splitlines()] == [True]
    broken = call(kube_server, "GET", f"/api/v1/namespaces/{kube_namespace}/configmaps", limit=1,
                  **{"continue": "!!!"})
    failure(broken.json, "BadRequest", 400)
