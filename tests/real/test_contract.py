"""The cluster contract suite (tests/cluster/test_contract.py) against a real kube-apiserver."""

from collections.abc import Iterator

import pytest

from reconciler.cluster.kube.cluster import KubeCluster
from tests.cluster.conftest import Target, fake_time, kube  # noqa: F401 - fixtures, shared
from tests.cluster.test_contract import *  # noqa: F403 - the suite, collected again here
from tests.realkube.cluster import RealCluster


@pytest.fixture
def target(kube: KubeCluster, kube_namespace: str, kube_server: RealCluster) -> Iterator[Target]:
    """Only the kube implementation: localdir needs no real server."""
    yield Target("kube", kube, kube_namespace, kube_server)  # type: ignore[arg-type]
