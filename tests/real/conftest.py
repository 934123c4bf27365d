"""The real-server tier: the kubeserver fixtures, re-pointed at real kube-apiservers.

Test modules here import suites written for `tests.kubeserver` (the names they import are
collected again here), so the very same tests run against a real kube-apiserver + etcd
behind a recording fault proxy. Every test under tests/real carries the `realkube` marker:
`pytest -m "not realkube"` runs only the fast tier.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.realkube.cluster import RealCluster
from tests.realkube.pool import POOL

_HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.realkube)


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
