"""Fixtures for the cluster tests: one contract target per implementation, fake time."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from reconciler.cluster.base import Cluster
from reconciler.cluster.kube.cluster import KubeCluster, KubeOptions
from reconciler.cluster.localdir.cluster import LocalDirCluster
from kubeserver.server import KubeServer


class FakeTime:
    """A clock that only moves when someone sleeps; records every sleep (thread-safe)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def clock(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


@dataclass
class Target:
    """A cluster under contract test, with an existing empty namespace."""

    impl: str
    cluster: Cluster
    namespace: str
    server: KubeServer | None = None


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def kube_options(fake: FakeTime, **overrides: object) -> KubeOptions:
    """Test options: no rate limit, no real waiting, deterministic jitter."""
    values: dict[str, object] = {"qps": 0, "sleep": fake.sleep, "clock": fake.clock, "random": lambda: 0.5}
    values.update(overrides)
    return KubeOptions(**values)  # type: ignore[arg-type]


@pytest.fixture
def kube(kube_server: KubeServer, kube_crds: list[str], kube_config: Path, kube_namespace: str,
         fake_time: FakeTime) -> Iterator[KubeCluster]:
    """A KubeCluster on the session server (CRDs registered, a fresh namespace)."""
    with KubeCluster("kube", kubeconfig=str(kube_config), options=kube_options(fake_time)) as cluster:
        yield cluster


@pytest.fixture(params=["kube", "localdir"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    """The same contract, once against each implementation."""
    if request.param == "kube":
        cluster: KubeCluster = request.getfixturevalue("kube")
        yield Target("kube", cluster, request.getfixturevalue("kube_namespace"),
                     request.getfixturevalue("kube_server"))
        return
    directory = tmp_path / "cluster"
    LocalDirCluster("setup", directory).apply(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "contract"}})
    yield Target("localdir", LocalDirCluster("local", directory), "contract")  # fresh request counts
