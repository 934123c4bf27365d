"""The connection pool is sized for what one cluster client has in flight: no "Connection pool is full"."""

from __future__ import annotations

import concurrent.futures
import logging
import threading
from pathlib import Path

import pytest

from reconciler.cluster.kube.cluster import KubeCluster
from tests.cluster.conftest import FakeTime, kube_options
from kubeserver.server import KubeServer


def test_writes_in_flight_reads_and_open_watches_never_overflow_the_pool(
        kube_server: KubeServer, kube_config: Path, kube_namespace: str, fake_time: FakeTime,
        monkeypatch: pytest.MonkeyPatch) -> None:
    in_flight = 4  # the cluster's rateLimit.maxInFlight
    warnings: list[str] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: warnings.append(record.getMessage())  # type: ignore[method-assign]
    pool_log = logging.getLogger("urllib3.connectionpool")
    pool_log.addHandler(handler)
    monkeypatch.setattr(pool_log, "disabled", False)
    stop = threading.Event()
    with KubeCluster("pooled", kubeconfig=str(kube_config), options=kube_options(fake_time, pool_size=in_flight)) \
            as cluster:
        kind = cluster.kind("v1", "ConfigMap")
        watches = [threading.Thread(target=lambda: list(cluster.watch(kind, kube_namespace, "", stop=stop,
                                                                      timeout_seconds=30)), daemon=True)
                   for _ in range(6)]
        for watch in watches:
            watch.start()

        def write(i: int) -> None:
            cluster.apply({"apiVersion": "v1", "kind": "ConfigMap",
                           "metadata": {"name": f"cm-{i}", "namespace": kube_namespace}, "data": {"i": str(i)}})

        with concurrent.futures.ThreadPoolExecutor(max_workers=in_flight) as writers, \
                concurrent.futures.ThreadPoolExecutor(max_workers=8) as readers:  # livestate's LISTs at once
            done = [writers.submit(write, i) for i in range(40)]
            done += [readers.submit(cluster.list, kind, kube_namespace) for _ in range(40)]
            for future in done:
                future.result()
        stop.set()
        for watch in watches:
            watch.join(10)
    pool_log.removeHandler(handler)
    assert [w for w in warnings if "pool is full" in w] == []


def test_the_pool_has_room_for_every_read_of_a_reconcile() -> None:
    from reconciler.cluster.kube.options import READ_ROOM, KubeOptions
    from reconciler.livestate import READERS

    assert READ_ROOM >= READERS
    assert KubeOptions(pool_size=4).pool_connections == 4 + READ_ROOM + 64
