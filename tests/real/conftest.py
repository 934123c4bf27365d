"""The real-server tier: the kubeserver fixtures, re-pointed at real kube-apiservers.

Test modules here import suites written for `kubeserver` (the names they import are
collected again here), so the very same tests run against a real kube-apiserver + etcd
behind a recording fault proxy. Every test under tests/real carries the `realkube` marker:
`pytest -m "not realkube"` runs only the fast tier.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kubernetes.client import ApiClient
from kubernetes.dynamic import DynamicClient

from kubeserver import kubeconfig
from tests.realkube.cluster import RealCluster
from tests.realkube.pool import POOL

_HERE = Path(__file__).parent


@pytest.fixture(scope="session")
def kube_server() -> Iterator[RealCluster]:
    """The session's real cluster (held by this test process for the whole session)."""
    cluster = POOL.acquire()
    cluster.name = "kube"
    yield cluster
    POOL.release(cluster)


@pytest.fixture(scope="session")
def kube_crds(kube_server: RealCluster) -> list[str]:
    """Every upstream CRD: installed when the pool started the cluster."""
    return list(kube_server.crds)


@pytest.fixture
def kube_cluster_factory(real_cluster_factory: Callable[..., RealCluster]) -> Callable[..., RealCluster]:
    return real_cluster_factory


# Every session fixture that depends on `kube_server` is redefined here too: a session
# fixture caches one value, and the fast tier's (pointing at the in-process server) must not be
# reused by a real-tier test running later in the same process, nor the other way round.
@pytest.fixture(scope="session")
def kube_config(kube_server: RealCluster, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A kubeconfig through the proxy in front of the session's real cluster."""
    return kube_server.write_kubeconfig(tmp_path_factory.mktemp("realkube") / "config")


@pytest.fixture(scope="session")
def kube_api_client(kube_config: Path) -> Iterator[ApiClient]:
    client = kubeconfig.api_client(kube_config)
    yield client
    client.close()  # type: ignore[no-untyped-call]


@pytest.fixture(scope="session")
def kube_dynamic_client(kube_config: Path) -> DynamicClient:
    return kubeconfig.dynamic_client(kube_config)


# Tests of the imported suites that need what only the in-process server offers.
KUBESERVER_ONLY = {
    "test_uninstalled_crd_kind_is_not_found_naming_the_kind": "needs a cluster without the CRDs (pool clusters have them)",
    "test_resuming_from_before_the_servers_history_is_expired": "needs a 3-event watch history (history=3)",
    "test_three_replicas_share_thirty_clusters_and_survive_losing_one_mid_apply": "thirty API servers at once "
    "(the two-cluster hand-over test runs here)",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _HERE not in Path(str(item.fspath)).parents:
            continue
        item.add_marker(pytest.mark.realkube)
        reason = KUBESERVER_ONLY.get(item.originalname if isinstance(item, pytest.Function) else item.name)
        if reason:
            item.add_marker(pytest.mark.skip(reason=f"kubeserver only: {reason}"))
