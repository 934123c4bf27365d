"""RBAC ``resourceNames`` on list/watch, on a real kube-apiserver: they allow a LIST or WATCH that names
its one object with ``fieldSelector=metadata.name=...`` and refuse any other, so the daemon's watch cache
can watch the environment's Namespace and its teams' Profiles by name with deploy/'s role, which never
lists every namespace of the cluster."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.cluster.base import Cluster
from reconciler.cluster.kube.cluster import KubeCluster
from reconciler.cluster.kube.options import KubeOptions
from reconciler.errors import Forbidden
from reconciler.spec.models import Cluster as ClusterSpec
from tests.daemon.conftest import *  # noqa: F403 - the daemon harness (repo, make_daemon)
from tests.daemon.conftest import WAIT, Harness, Repo
from tests.real.test_real_server import CONTEXT, _as_deployed_service_account
from tests.realkube.cluster import RealCluster
from tests.waiting import until

pytestmark = pytest.mark.realkube

NAMESPACE = "watched-by-name"
OTHER = "not-watched"


def _token_allowed_to_watch(cluster: RealCluster, name: str) -> str:
    """A ServiceAccount whose only right is list+watch on the Namespace ``name`` (resourceNames); its token."""
    api = cluster.apiserver
    api.call("POST", "/api/v1/namespaces/default/serviceaccounts",
             {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "by-name"}})
    api.call("POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles", {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "by-name"},
        "rules": [{"apiGroups": [""], "resources": ["namespaces"], "resourceNames": [name],
                   "verbs": ["list", "watch"]}]})
    api.call("POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "by-name"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "by-name"},
        "subjects": [{"kind": "ServiceAccount", "name": "by-name", "namespace": "default"}]})
    answer = api.call("POST", "/api/v1/namespaces/default/serviceaccounts/by-name/token",
                      {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                       "spec": {"expirationSeconds": 3600}})
    return str(answer["status"]["token"])


def test_resource_names_allow_a_list_and_watch_by_name_field_selector_and_nothing_else(
        real_cluster: RealCluster, tmp_path: Path) -> None:
    real_cluster.create_namespace(NAMESPACE)
    real_cluster.create_namespace(OTHER)
    token = _token_allowed_to_watch(real_cluster, NAMESPACE)
    config = real_cluster.apiserver.kubeconfig(tmp_path / "sa", token=token, server=real_cluster.url)
    by_name = f"metadata.name={NAMESPACE}"

    with KubeCluster("c", kubeconfig=str(config), options=KubeOptions(qps=0)) as client:
        kind = client.kind("v1", "Namespace")
        pages = list(client.list_pages(kind, None, field_selector=by_name))
        assert [o["metadata"]["name"] for page, _ in pages for o in page] == [NAMESPACE]
        version = pages[-1][1]

        for selector in ("", f"metadata.name={OTHER}"):  # every namespace, or one not named in the rule
            with pytest.raises(Forbidden) as listing:
                list(client.list_pages(kind, None, field_selector=selector))
            assert 'cannot list resource "namespaces"' in listing.value.message
        with pytest.raises(Forbidden) as watching:
            next(iter(client.watch(kind, None, version, timeout_seconds=5)))
        assert 'cannot watch resource "namespaces"' in watching.value.message
        with pytest.raises(Forbidden):  # list+watch by name give no get
            client.get(kind, None, NAMESPACE)

        for name in (OTHER, NAMESPACE):  # a change to each after the LIST: only the watched one arrives
            real_cluster.apiserver.call("PATCH", f"/api/v1/namespaces/{name}", {"metadata": {"labels": {"x": "1"}}},
                                        content_type="application/merge-patch+json")
        events = client.watch(kind, None, version, timeout_seconds=5, field_selector=by_name)
        first = next(e for e in events if e.type != "BOOKMARK")
        assert (first.type, first.object["metadata"]["name"]) == ("MODIFIED", NAMESPACE)
        assert first.object["metadata"]["labels"]["x"] == "1"


def test_with_the_deployed_role_a_no_op_reconcile_sends_no_request_namespaces_and_profiles_included(
        real_cluster: RealCluster, repo: Repo, make_daemon: Callable[..., Harness], tmp_path: Path) -> None:
    token = _as_deployed_service_account(real_cluster, tmp_path)
    config = real_cluster.apiserver.kubeconfig(tmp_path / "sa", context=CONTEXT, token=token,
                                               server=real_cluster.url)

    def connect(spec: ClusterSpec) -> Cluster:
        return KubeCluster(spec.name, kubeconfig=str(config), context=CONTEXT,
                           options=KubeOptions(sleep=lambda _s: None, qps=10_000, burst=10_000))

    h = make_daemon(repo, connect, environments=("prod-onprem",), drift_interval=60.0)
    h.step()
    [key] = h.daemon.pool.keys()
    assert h.daemon.target(*key).error is None
    informer = h.daemon.watches.informer(key)
    assert informer is not None
    named = {("v1", "Namespace", "", "ml-prod"), ("v1", "Namespace", "", "risk"),
             ("kubeflow.org/v1", "Profile", "", "risk")}
    for _ in range(2):  # the first reconcile's reads start the watches; the second reads from them
        assert until(lambda: named <= informer.groups and all(informer.store.caught_up(g) for g in informer.groups),
                     WAIT), (informer.groups, [r.path for r in real_cluster.requests if r.code == 403])
        h.tick(60.0)
        assert h.daemon.target(*key).error is None
    assert not [r for r in real_cluster.requests if r.code == 403]
    real_cluster.reset_requests()

    assert h.tick(60.0).submitted == [(*key, "drift")]

    assert real_cluster.requests == [], [(r.verb, r.path) for r in real_cluster.requests]
    assert h.daemon.target(*key).error is None
