"""Several independent servers at once, one kubeconfig with a context per cluster."""

from __future__ import annotations

from pathlib import Path

from kubeserver import kubeconfig
from kubeserver.server import KubeServer
from tests.kubeserver_tests.util import cm


def test_clusters_are_independent(kube_cluster_factory, tmp_path: Path) -> None:
    east: KubeServer = kube_cluster_factory("east")
    west: KubeServer = kube_cluster_factory("west")
    path = kubeconfig.write(tmp_path / "config", {"east": east, "west": west})
    clients = {name: kubeconfig.dynamic_client(path, context=name) for name in ("east", "west")}
    east_cms = clients["east"].resources.get(api_version="v1", kind="ConfigMap")
    east_cms.create(body=cm("only-east"), namespace="default")
    west_cms = clients["west"].resources.get(api_version="v1", kind="ConfigMap")
    assert [i.metadata.name for i in west_cms.get(namespace="default").items] == []
    west.faults.partition("refuse")
    assert [i.metadata.name for i in east_cms.get(namespace="default").items] == ["only-east"]
    assert east.port != west.port
    assert west.count("create") == 0 and east.count("create", "configmaps") == 1
