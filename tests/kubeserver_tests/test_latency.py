"""The latency model: `set_latency(rtt, commit)`."""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from kubeserver.server import KubeServer
from tests.kubeserver_tests.util import Response, call, cm

APPLY = "application/apply-patch+yaml"
CMS = "/api/v1/namespaces/default/configmaps"


def _timed(fn: Callable[[], Response]) -> tuple[Response, float]:
    started = time.monotonic()
    response = fn()
    return response, time.monotonic() - started


def _apply(server: KubeServer, name: str, value: str, **query: Any) -> Response:
    return call(server, "PATCH", f"{CMS}/{name}", cm(name, k=value), content_type=APPLY,
                fieldManager="test", **query)


@pytest.fixture
def server(kube_cluster_factory: Callable[..., KubeServer]) -> KubeServer:
    return kube_cluster_factory("latency")


def test_commit_applies_to_persisted_writes_only(server: KubeServer) -> None:
    server.set_latency(commit=0.3)
    created, t_create = _timed(lambda: _apply(server, "a", "1"))
    changed, t_change = _timed(lambda: _apply(server, "a", "2"))
    dry, t_dry = _timed(lambda: _apply(server, "a", "3", dryRun="All"))
    read, t_read = _timed(lambda: call(server, "GET", f"{CMS}/a"))
    assert (created.status, changed.status, dry.status, read.status) == (201, 200, 200, 200)
    assert t_create >= 0.3 and t_change >= 0.3
    assert t_dry < 0.2 and t_read < 0.2
    assert read.json["data"] == {"k": "2"}


def test_commit_skips_no_op_writes_and_errors(server: KubeServer) -> None:
    _apply(server, "a", "1")
    server.set_latency(commit=0.3)
    same, t_same = _timed(lambda: _apply(server, "a", "1"))  # unchanged: no etcd write
    missing, t_missing = _timed(lambda: call(server, "DELETE", f"{CMS}/nope"))
    assert (same.status, missing.status) == (200, 404)
    assert t_same < 0.2 and t_missing < 0.2
    gone, t_gone = _timed(lambda: call(server, "DELETE", f"{CMS}/a"))
    assert gone.status == 200 and t_gone >= 0.3


def test_rtt_applies_to_every_request(server: KubeServer) -> None:
    server.set_latency(rtt=0.1)
    timings = [
        _timed(lambda: call(server, "GET", "/version")),
        _timed(lambda: call(server, "GET", f"{CMS}/nope")),
        _timed(lambda: call(server, "GET", "/apis/example.com/v1/widgets")),
        _timed(lambda: _apply(server, "a", "1", dryRun="All")),
    ]
    assert [r.status for r, _ in timings] == [200, 404, 404, 201]
    assert all(t >= 0.1 for _, t in timings)
    server.set_latency()
    assert _timed(lambda: call(server, "GET", "/version"))[1] < 0.1


def test_rtt_and_commit_add_up(server: KubeServer) -> None:
    server.set_latency(rtt=0.1, commit=0.2)
    assert _timed(lambda: _apply(server, "a", "1"))[1] >= 0.3


def test_concurrent_commits_overlap(server: KubeServer) -> None:
    server.set_latency(commit=0.4)
    statuses: list[int] = []
    threads = [threading.Thread(target=lambda n=n: statuses.append(_apply(server, n, "1").status))
               for n in ("a", "b")]
    started = time.monotonic()
    for t in threads:
        t.start()
    time.sleep(0.1)
    read, t_read = _timed(lambda: call(server, "GET", CMS))  # not blocked by the commits
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    assert sorted(statuses) == [201, 201] and read.status == 200
    assert t_read < 0.2
    assert 0.4 <= elapsed < 0.7


def test_stop_ends_latency_sleeps(kube_cluster_factory: Callable[..., KubeServer]) -> None:
    server = kube_cluster_factory("stopping")
    server.set_latency(rtt=5.0)
    errors: list[BaseException] = []

    def request() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            conn.request("GET", "/version")
            conn.getresponse().read()
        except (OSError, http.client.HTTPException) as exc:
            errors.append(exc)
        finally:
            conn.close()

    thread = threading.Thread(target=request)
    thread.start()
    time.sleep(0.1)
    started = time.monotonic()
    server.stop()
    thread.join(timeout=3)
    assert not thread.is_alive() and time.monotonic() - started < 2
    assert len(errors) == 1  # closed without an answer


def test_negative_latency_is_rejected(server: KubeServer) -> None:
    with pytest.raises(ValueError):
        server.set_latency(rtt=-1)
