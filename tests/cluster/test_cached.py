"""The client that reads from a watch cache (``CachedCluster``) on the test API server: our own writes
are never read stale, and groups a reconcile no longer reads stop being watched."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.cluster.base import KindRef
from reconciler.cluster.kube.cached import CachedCluster
from reconciler.cluster.kube.cluster import KubeCluster
from reconciler.cluster.kube.informer import Informer
from tests.cluster.conftest import FakeTime, kube_options
from tests.cluster.test_contract import configmap
from tests.waiting import until
from kubeserver.server import KubeServer

CONFIGMAP = KindRef("v1", "ConfigMap", "configmaps", True)
WAIT = 30.0


@pytest.fixture
def informer(kube_config: Path, fake_time: FakeTime) -> Iterator[Informer]:
    """An informer on a client of its own, as the daemon's drift watches have."""
    client = KubeCluster("kube", kubeconfig=str(kube_config), options=kube_options(fake_time))
    informer = Informer(client)
    yield informer
    for thread in informer.stop():
        thread.join(5.0)
    client.close()


def _names(objects: list[dict[str, object]]) -> list[str]:
    return sorted(str(o["metadata"]["name"]) for o in objects)  # type: ignore[index]


def test_a_write_is_read_back_at_once_and_then_from_the_cache(kube: KubeCluster, kube_namespace: str,
                                                              informer: Informer) -> None:
    cached = CachedCluster(kube, lambda: informer)
    assert cached.list(CONFIGMAP, kube_namespace) == []  # cold: a LIST, and the group watched from now on
    group = ("v1", "ConfigMap", kube_namespace, "")
    assert until(lambda: informer.store.caught_up(group), WAIT)

    for i in range(5):
        cached.apply(configmap(kube_namespace, f"cm-{i}", {"i": str(i)}))
        # at once, whether the watch has delivered the write yet or not
        found = cached.list(CONFIGMAP, kube_namespace)
        assert _names(found) == [f"cm-{j}" for j in range(i + 1)]
    cached.delete(CONFIGMAP, kube_namespace, "cm-0")
    assert "cm-0" not in _names(cached.list(CONFIGMAP, kube_namespace))

    assert until(lambda: informer.store.caught_up(group), WAIT)
    lists = kube.request_counts().get("list", 0)
    cached.reset()
    assert _names(cached.list(CONFIGMAP, kube_namespace)) == [f"cm-{j}" for j in range(1, 5)]
    assert kube.request_counts().get("list", 0) == lists and cached.served == 1


def test_groups_a_reconcile_no_longer_reads_stop_being_watched(kube: KubeCluster, kube_namespace: str,
                                                               kube_server: KubeServer, informer: Informer) -> None:
    other = f"other-{uuid.uuid4().hex[:8]}"
    kube_server.create_namespace(other)
    cached = CachedCluster(kube, lambda: informer)
    cached.list(CONFIGMAP, kube_namespace)
    cached.list(CONFIGMAP, other)
    assert informer.groups == {("v1", "ConfigMap", kube_namespace, ""), ("v1", "ConfigMap", other, "")}

    cached.reset()
    cached.list(CONFIGMAP, kube_namespace)
    cached.retire_unread()

    assert informer.groups == {("v1", "ConfigMap", kube_namespace, "")}
    assert ("v1", "ConfigMap", other, "") not in informer.store.groups
