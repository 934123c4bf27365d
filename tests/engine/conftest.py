"""Fixtures for engine tests: one test server per cluster of an environment, real CRDs installed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from reconciler.cluster.base import Cluster
from reconciler.cluster.kube.cluster import KubeCluster
from reconciler.cluster.kube.options import KubeOptions
from reconciler.engine import ApplyOptions, Result
from reconciler.fleet import reconcile_environment
from reconciler.spec.document import Spec
from reconciler.spec.models import Cluster as ClusterSpec
from kubeserver import kubeconfig
from kubeserver.faults import RequestRecord
from kubeserver.server import KubeServer

WRITE_VERBS = frozenset({"create", "update", "patch", "delete", "deletecollection"})


def writes(server: KubeServer) -> list[RequestRecord]:
    """Successful, real (not dry-run) write requests the server answered."""
    return [r for r in server.requests if r.verb in WRITE_VERBS and "dryRun=All" not in r.path and r.code < 400]


@dataclass
class Fleet:
    """Test servers standing in for an environment's clusters."""

    spec: Spec
    environment: str
    servers: dict[str, KubeServer]
    config: Path
    options: KubeOptions = field(default_factory=lambda: KubeOptions(sleep=lambda _s: None, qps=10_000, burst=10_000))

    def connect(self, cluster: ClusterSpec) -> Cluster:
        return KubeCluster(cluster.name, kubeconfig=str(self.config), context=cluster.name, options=self.options)

    def reconcile(self, spec: Spec | None = None, revision: str = "r1", **options: object) -> list[Result]:
        opts = ApplyOptions(**{"prune": True, **options})  # type: ignore[arg-type]
        return reconcile_environment(spec or self.spec, self.environment, self.connect, revision, opts)

    def reset_requests(self) -> None:
        for server in self.servers.values():
            server.reset_requests()


@pytest.fixture
def make_fleet(kube_cluster_factory: Callable[..., KubeServer], tmp_path: Path) -> Callable[[Spec, str], Fleet]:
    def make(spec: Spec, environment: str) -> Fleet:
        names = [c.name for c in spec.environments[environment].model.spec.clusters]
        servers = {name: kube_cluster_factory(name) for name in names}
        for server in servers.values():
            server.install_crds()
        config = kubeconfig.write(tmp_path / f"kubeconfig-{environment}", servers)
        return Fleet(spec, environment, servers, config)

    return make
