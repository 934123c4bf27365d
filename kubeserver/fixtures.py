"""pytest fixtures: one server per session, a fresh namespace per test, clients, and a
factory of extra servers for multi-cluster tests.

Enable with `pytest_plugins = ["kubeserver.fixtures"]` in tests/conftest.py.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from kubeserver import kubeconfig
from kubeserver.server import KubeServer

if TYPE_CHECKING:
    from kubernetes.client import ApiClient
    from kubernetes.dynamic import DynamicClient

_namespaces = itertools.count(1)


@pytest.fixture(scope="session")
def kube_server() -> Iterator[KubeServer]:
    """The session's API server (stopped at the end of the session)."""
    server = KubeServer("kube").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def kube_namespace(kube_server: KubeServer) -> Iterator[str]:
    """A fresh namespace; faults and the request log are cleared before the test."""
    name = f"test-{next(_namespaces)}"
    kube_server.faults.clear()
    kube_server.create_namespace(name)
    kube_server.reset_requests()
    yield name
    kube_server.faults.clear()
    kube_server.delete_namespace(name)


@pytest.fixture(scope="session")
def kube_crds(kube_server: KubeServer) -> list[str]:
    """Every upstream CRD of reconciler/data/crds, registered once per session."""
    return kube_server.install_crds()


@pytest.fixture(scope="session")
def kube_config(kube_server: KubeServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A kubeconfig file pointing at the session server."""
    return kube_server.write_kubeconfig(tmp_path_factory.mktemp("kube") / "config")


@pytest.fixture(scope="session")
def kube_api_client(kube_config: Path) -> Iterator[ApiClient]:
    """An official-client ApiClient for the session server."""
    client = kubeconfig.api_client(kube_config)
    yield client
    client.close()  # type: ignore[no-untyped-call]


@pytest.fixture(scope="session")
def kube_dynamic_client(kube_config: Path) -> DynamicClient:
    """An official-client DynamicClient for the session server."""
    return kubeconfig.dynamic_client(kube_config)


@pytest.fixture
def kube_cluster_factory(tmp_path: Path) -> Iterator[Callable[..., KubeServer]]:
    """`make(name)` starts another independent server; all are stopped after the test."""
    servers: list[KubeServer] = []

    def make(name: str | None = None, *, seed: int = 0, history: int = 10_000) -> KubeServer:
        server = KubeServer(name or f"cluster-{len(servers) + 1}", seed=seed, history=history)
        servers.append(server.start())
        return server

    yield make
    for server in servers:
        server.stop()
