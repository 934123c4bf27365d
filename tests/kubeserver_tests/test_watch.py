"""WATCH: event streams, selectors, bookmarks, timeouts and 410 Gone."""

from __future__ import annotations

import http.client
import json
import threading
from typing import Any

from kubernetes import watch

from kubeserver.server import KubeServer
from tests.kubeserver_tests.util import call, cm


def stream(server: KubeServer, path: str, **query: Any) -> list[dict[str, Any]]:
    """Read a (timeoutSeconds-bounded) watch to its end."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        qs = "&".join(f"{k}={v}" for k, v in {"watch": "true", **query}.items())
        conn.request("GET", f"{path}?{qs}")
        resp = conn.getresponse()
        assert resp.status == 200
        assert resp.getheader("Transfer-Encoding") == "chunked"
        return [json.loads(line) for line in resp.read().splitlines() if line]
    finally:
        conn.close()


def test_watch_from_resource_version_sees_changes_in_order(kube_server: KubeServer, kube_namespace: str) -> None:
    path = f"/api/v1/namespaces/{kube_namespace}/configmaps"
    start = call(kube_server, "GET", path).json["metadata"]["resourceVersion"]
    call(kube_server, "POST", path, cm("a", k="1"))
    call(kube_server, "PATCH", f"{path}/a", {"data": {"k": "2"}}, content_type="application/merge-patch+json")
    call(kube_server, "DELETE", f"{path}/a")
    events = stream(kube_server, path, resourceVersion=start, timeoutSeconds=1)
    assert [e["type"] for e in events] == ["ADDED", "MODIFIED", "DELETED"]
    assert events[1]["object"]["data"] == {"k": "2"}
    rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
    assert rvs == sorted(rvs) and rvs[0] > int(start)
    assert events[0]["object"]["kind"] == "ConfigMap"


def test_watch_without_version_starts_with_current_state_and_bookmarks(kube_server: KubeServer, kube_namespace: str) -> None:
    path = f"/api/v1/namespaces/{kube_namespace}/configmaps"
    call(kube_server, "POST", path, cm("x"))
    events = stream(kube_server, path, allowWatchBookmarks="true", timeoutSeconds=1)
    assert events[0]["type"] == "ADDED" and events[0]["object"]["metadata"]["name"] == "x"
    assert events[-1]["type"] == "BOOKMARK"
    assert events[-1]["object"]["metadata"]["resourceVersion"] == str(kube_server.resource_version)


def test_label_selector_turns_relabels_into_added_and_deleted(kube_server: KubeServer, kube_namespace: str) -> None:
    path = f"/api/v1/namespaces/{kube_namespace}/configmaps"
    start = str(kube_server.resource_version)
    call(kube_server, "POST", path, {"metadata": {"name": "m", "labels": {"app": "a"}}})
    call(kube_server, "PATCH", f"{path}/m", {"metadata": {"labels": {"app": "b"}}}, content_type="application/merge-patch+json")
    call(kube_server, "PATCH", f"{path}/m", {"metadata": {"labels": {"app": "a"}}}, content_type="application/merge-patch+json")
    events = stream(kube_server, path, resourceVersion=start, labelSelector="app%3Da", timeoutSeconds=1)
    assert [e["type"] for e in events] == ["ADDED", "DELETED", "ADDED"]


def test_too_old_resource_version_is_410(kube_cluster_factory) -> None:
    server = kube_cluster_factory("small-history", history=5)
    path = "/api/v1/namespaces/default/configmaps"
    start = str(server.resource_version)
    for i in range(10):
        call(server, "POST", path, cm(f"c{i}"))
    [event] = stream(server, path, resourceVersion=start, timeoutSeconds=1)
    assert event["type"] == "ERROR"
    assert event["object"]["code"] == 410 and event["object"]["reason"] == "Expired"
    assert event["object"]["message"].startswith(f"too old resource version: {start} (")


def test_dynamic_client_watch_receives_live_events(kube_dynamic_client, kube_server: KubeServer, kube_namespace: str) -> None:
    api = kube_dynamic_client.resources.get(api_version="coordination.k8s.io/v1", kind="Lease")
    listed = api.get(namespace=kube_namespace)
    lease = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": "leader"},
             "spec": {"holderIdentity": "me"}}
    watcher = watch.Watch()
    seen: list[tuple[str, str]] = []

    def write() -> None:
        api.create(body=lease, namespace=kube_namespace)

    writer = threading.Timer(0.05, write)
    writer.start()
    for event in api.watch(namespace=kube_namespace, resource_version=listed.metadata.resourceVersion,
                           timeout=5, watcher=watcher):
        seen.append((event["type"], event["object"].metadata.name))
        watcher.stop()
    writer.join()
    assert seen == [("ADDED", "leader")]
    assert kube_server.count("watch", "leases") == 1
