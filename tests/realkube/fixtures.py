"""pytest fixtures for the real-server tier (enabled in tests/conftest.py).

`real_cluster`: a real kube-apiserver (every upstream CRD served) behind a FaultProxy, reset
for the test. `real_cluster_factory`: `make(name)` -> another one. Both come from a warm pool
per test process, so only the first use pays for starting an apiserver (~6 s).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.realkube.cluster import RealCluster
from tests.realkube.pool import POOL


@pytest.fixture
def real_cluster() -> Iterator[RealCluster]:
    """A reset real cluster, returned to the pool after the test."""
    cluster = POOL.acquire()
    try:
        yield cluster
    finally:
        POOL.release(cluster)


@pytest.fixture
def real_cluster_factory() -> Iterator[Callable[..., RealCluster]]:
    """`make(name)`: one more reset real cluster per call, all returned after the test."""
    taken: list[RealCluster] = []

    def make(name: str | None = None, **_kubeserver_only: object) -> RealCluster:
        cluster = POOL.acquire()
        cluster.name = name or f"cluster-{len(taken) + 1}"
        taken.append(cluster)
        return cluster

    try:
        yield make
    finally:
        for cluster in taken:
            POOL.release(cluster)
