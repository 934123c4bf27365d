"""KubeCluster.watch / collection_version against the test server, and the pure event parsing.

No fixed sleeps: consumers run on threads and hand events over through queues; every wait
is bounded, so a broken watch fails a test instead of hanging it.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson
import pytest

from reconciler.cluster.base import KindRef
from reconciler.cluster.kube.cluster import KubeCluster
from reconciler.cluster.kube.watch import LineSplitter, WatchEvent, decode_event
from reconciler.errors import ClusterError, Expired, Forbidden, Unavailable
from tests.cluster.conftest import FakeTime, kube_options
from tests.cluster.test_contract import configmap, notebook
from kubeserver.server import KubeServer

WAIT = 5.0  # bound on any wait; tests finish far sooner unless broken
_END = object()


class Consumer:
    """Iterates a watch on its own thread; events (then an end marker or the error) go to a queue."""

    def __init__(self, events: Iterator[WatchEvent]) -> None:
        self.queue: queue.Queue[object] = queue.Queue()
        self.error: BaseException | None = None
        self._events = events
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for event in self._events:
                self.queue.put(event)
        except BaseException as exc:  # handed to the test
            self.error = exc
        self.queue.put(_END)

    def next_change(self) -> WatchEvent:
        """The next non-BOOKMARK event (fails if the watch ends or nothing comes within WAIT)."""
        while True:
            item = self.queue.get(timeout=WAIT)
            assert item is not _END, f"watch ended early (error: {self.error!r})"
            assert isinstance(item, WatchEvent)
            if item.type != "BOOKMARK":
                return item

    def wait_end(self, timeout: float = WAIT) -> list[WatchEvent]:
        """The events left until the watch ends; fails if it does not end within ``timeout``."""
        rest: list[WatchEvent] = []
        deadline = time.monotonic() + timeout
        while True:
            item = self.queue.get(timeout=max(0.0, deadline - time.monotonic()))
            if item is _END:
                self._thread.join(timeout=WAIT)
                return rest
            assert isinstance(item, WatchEvent)
            rest.append(item)


def changes(events: Iterator[WatchEvent], count: int) -> list[WatchEvent]:
    """The first ``count`` non-BOOKMARK events of a watch, then the watch is closed."""
    out: list[WatchEvent] = []
    try:
        for event in events:
            if event.type != "BOOKMARK":
                out.append(event)
                if len(out) == count:
                    break
    finally:
        close = getattr(events, "close", None)
        if close is not None:
            close()
    return out


@pytest.fixture
def configmaps(kube: KubeCluster) -> KindRef:
    return kube.kind("v1", "ConfigMap")


@pytest.fixture
def writer(kube_config: Path, fake_time: FakeTime) -> Iterator[KubeCluster]:
    """Another client of the same server, making the changes a watch should see."""
    with KubeCluster("writer", kubeconfig=str(kube_config), options=kube_options(fake_time)) as cluster:
        yield cluster


def test_watch_reports_add_modify_delete_in_order(kube: KubeCluster, writer: KubeCluster, kube_namespace: str,
                                                   configmaps: KindRef) -> None:
    since = kube.collection_version(configmaps, kube_namespace)
    watcher = Consumer(kube.watch(configmaps, kube_namespace, since, timeout_seconds=10))
    writer.apply(configmap(kube_namespace, "watched", {"k": "1"}))
    writer.apply(configmap(kube_namespace, "watched", {"k": "2"}))
    writer.delete(configmaps, kube_namespace, "watched")

    seen = [watcher.next_change() for _ in range(3)]
    assert [e.type for e in seen] == ["ADDED", "MODIFIED", "DELETED"]
    assert all(e.object["apiVersion"] == "v1" and e.object["kind"] == "ConfigMap" for e in seen)
    assert all(e.object["metadata"]["name"] == "watched" for e in seen)
    assert [e.object["data"]["k"] for e in seen[:2]] == ["1", "2"]
    versions = [int(e.resource_version) for e in seen]
    assert int(since) < versions[0] < versions[1] < versions[2]


def test_collection_version_is_one_cheap_list(kube: KubeCluster, kube_server: KubeServer, kube_namespace: str,
                                              configmaps: KindRef) -> None:
    for i in range(3):
        kube.apply(configmap(kube_namespace, f"cm-{i}"))
    before = kube.collection_version(configmaps, kube_namespace)
    kube.apply(configmap(kube_namespace, "cm-3"))
    after = kube.collection_version(configmaps, kube_namespace, label_selector="absent=yes")
    assert int(after) > int(before)
    lists = [r for r in kube_server.requests if r.verb == "list"]
    assert len(lists) == 2 and all("limit=1" in r.path for r in lists)


def test_watch_of_a_custom_kind_sees_only_its_namespace(kube: KubeCluster, writer: KubeCluster,
                                                        kube_server: KubeServer, kube_namespace: str) -> None:
    notebooks = kube.kind("kubeflow.org/v1", "Notebook")
    other = f"{kube_namespace}-other"
    kube_server.create_namespace(other)
    try:
        since = kube.collection_version(notebooks, kube_namespace)
        writer.apply(notebook(other, image="jupyter:1"))
        writer.apply(notebook(kube_namespace, image="jupyter:1"))
        writer.apply(notebook(other, image="jupyter:2"))
        writer.apply(notebook(kube_namespace, image="jupyter:2"))
        seen = changes(kube.watch(notebooks, kube_namespace, since, timeout_seconds=10), 2)
    finally:
        kube_server.delete_namespace(other)
    assert [(e.type, e.object["metadata"]["namespace"]) for e in seen] == [
        ("ADDED", kube_namespace), ("MODIFIED", kube_namespace)]
    assert all(e.object["apiVersion"] == "kubeflow.org/v1" and e.object["kind"] == "Notebook" for e in seen)
    assert seen[1].object["spec"]["template"]["spec"]["containers"][0]["image"] == "jupyter:2"


def test_label_selector_limits_the_watch(kube: KubeCluster, writer: KubeCluster, kube_namespace: str,
                                         configmaps: KindRef) -> None:
    since = kube.collection_version(configmaps, kube_namespace, label_selector="team=a")
    writer.apply(configmap(kube_namespace, "other", labels={"team": "b"}))
    writer.apply(configmap(kube_namespace, "mine", labels={"team": "a"}))
    seen = changes(kube.watch(configmaps, kube_namespace, since, label_selector="team=a", timeout_seconds=10), 1)
    assert [(e.type, e.object["metadata"]["name"]) for e in seen] == [("ADDED", "mine")]


def test_server_timeout_ends_the_watch_and_resuming_misses_nothing(
        kube: KubeCluster, writer: KubeCluster, kube_namespace: str, configmaps: KindRef) -> None:
    since = kube.collection_version(configmaps, kube_namespace)
    writer.apply(configmap(kube_namespace, "before"))
    started = time.monotonic()
    first = list(kube.watch(configmaps, kube_namespace, since, timeout_seconds=1))  # ends by itself
    assert time.monotonic() - started < 3
    assert [(e.type, e.object["metadata"]["name"]) for e in first if e.type != "BOOKMARK"] == [("ADDED", "before")]
    # kube-apiserver sends its pre-timeout BOOKMARK only when the timeout leaves it 2 s to do so:
    # resume from the last event seen, whichever it is.
    resume = first[-1].resource_version
    assert int(resume) >= int(first[0].resource_version)

    writer.apply(configmap(kube_namespace, "between"))  # written while nobody watched
    seen = changes(kube.watch(configmaps, kube_namespace, resume, timeout_seconds=10), 1)
    assert [(e.type, e.object["metadata"]["name"]) for e in seen] == [("ADDED", "between")]
    assert kube.request_counts()["watch"] == 2


def test_resuming_from_before_the_servers_history_is_expired(
        kube_cluster_factory: Callable[..., KubeServer], tmp_path: Path, fake_time: FakeTime) -> None:
    server = kube_cluster_factory("small-history", history=3)
    server.create_namespace("ns")
    config = server.write_kubeconfig(tmp_path / "config")
    with KubeCluster("small", kubeconfig=str(config), options=kube_options(fake_time)) as cluster:
        configmaps = cluster.kind("v1", "ConfigMap")
        since = cluster.collection_version(configmaps, "ns")
        for i in range(5):
            cluster.apply(configmap("ns", f"cm-{i}"))
        with pytest.raises(Expired) as caught:
            list(cluster.watch(configmaps, "ns", since, timeout_seconds=10))
        assert caught.value.status == 410 and isinstance(caught.value, ClusterError)
        assert "too old resource version" in caught.value.message
        # What a caller does next: list again, watch from the new version.
        fresh = cluster.collection_version(configmaps, "ns")
        cluster.apply(configmap("ns", "later"))
        seen = changes(cluster.watch(configmaps, "ns", fresh, timeout_seconds=10), 1)
        assert seen[0].object["metadata"]["name"] == "later"


@pytest.mark.parametrize(("code", "error"), [(410, Expired), (403, Forbidden)])
def test_an_http_error_answer_to_the_watch_is_typed(kube: KubeCluster, kube_server: KubeServer,
                                                    kube_namespace: str, configmaps: KindRef,
                                                    code: int, error: type[ClusterError]) -> None:
    kube_server.faults.fail(code, verb="watch", resource="configmaps", message="injected")
    with pytest.raises(error) as caught:
        next(kube.watch(configmaps, kube_namespace, "1", timeout_seconds=10))
    assert caught.value.status == code and "injected" in caught.value.message
    assert kube_server.count("watch") == 1  # not retried


def test_stop_ends_a_watch_blocked_on_an_idle_stream(kube: KubeCluster, writer: KubeCluster,
                                                     kube_namespace: str, configmaps: KindRef) -> None:
    stop = threading.Event()
    since = kube.collection_version(configmaps, kube_namespace)
    writer.apply(configmap(kube_namespace, "one"))
    watcher = Consumer(kube.watch(configmaps, kube_namespace, since, timeout_seconds=60, stop=stop))
    assert watcher.next_change().object["metadata"]["name"] == "one"  # then nothing more comes
    stop.set()
    started = time.monotonic()
    rest = watcher.wait_end(timeout=WAIT)
    assert time.monotonic() - started < 1.0
    assert watcher.error is None and all(e.type == "BOOKMARK" for e in rest)
    assert kube.get(configmaps, kube_namespace, "one") is not None  # the client still works


def test_a_set_stop_sends_no_request(kube: KubeCluster, kube_namespace: str, configmaps: KindRef) -> None:
    stop = threading.Event()
    stop.set()
    assert list(kube.watch(configmaps, kube_namespace, "1", stop=stop)) == []
    assert "watch" not in kube.request_counts()


def test_cut_connection_ends_the_watch_quietly_and_reconnecting_is_unavailable(
        kube: KubeCluster, writer: KubeCluster, kube_server: KubeServer, kube_namespace: str,
        configmaps: KindRef) -> None:
    since = kube.collection_version(configmaps, kube_namespace)
    writer.apply(configmap(kube_namespace, "one"))
    watcher = Consumer(kube.watch(configmaps, kube_namespace, since, timeout_seconds=60))
    last = watcher.next_change()
    kube_server.faults.partition("refuse")  # the server resets the open watch connection too
    try:
        watcher.wait_end(timeout=WAIT)
        assert watcher.error is None  # a drop is the end of the stream, not an error
        with pytest.raises(Unavailable):  # reconnecting while cut off: connect retries, then gives up
            next(kube.watch(configmaps, kube_namespace, last.resource_version, timeout_seconds=10))
    finally:
        kube_server.faults.heal()
    writer.apply(configmap(kube_namespace, "two"))
    seen = changes(kube.watch(configmaps, kube_namespace, last.resource_version, timeout_seconds=10), 1)
    assert seen[0].object["metadata"]["name"] == "two"


def test_watches_are_counted_throttled_and_their_connect_retried(
        kube_server: KubeServer, kube_config: Path, kube_namespace: str, fake_time: FakeTime) -> None:
    options = kube_options(fake_time, qps=1, burst=1)
    with KubeCluster("counted", kubeconfig=str(kube_config), options=options) as cluster:
        configmaps = cluster.kind("v1", "ConfigMap")
        since = cluster.collection_version(configmaps, kube_namespace)  # takes the one token
        cluster.apply(configmap(kube_namespace, "one"))
        kube_server.faults.fail(503, verb="watch", resource="configmaps", times=2)
        seen = changes(cluster.watch(configmaps, kube_namespace, since, timeout_seconds=10), 1)
        assert seen[0].object["metadata"]["name"] == "one"
        counts = cluster.request_counts()
        assert counts["watch"] == kube_server.count("watch") == 3 and cluster.retries == 2
        assert counts == {"list": 1, "patch": 1, "watch": 3}
        # At 1 qps the patch waited 1 s and each watch attempt about 1 s more (the backoffs of
        # 0.1 and 0.2 s refill a little): 3.7 s; without tokens for watches it would be 1 s.
        assert cluster.throttled_seconds == pytest.approx(3.7)


# --- parsing (pure) -------------------------------------------------------------

CONFIGMAPS = KindRef("v1", "ConfigMap", "configmaps", True)


def test_lines_split_across_chunks_are_joined() -> None:
    stream = (b'{"type":"ADDED","object":{"metadata":{"name":"a","resourceVersion":"5"}}}\n'
              b'\n{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"7"}}}\n'
              b'{"type":"DELETED","object":{"metadata":{"name":"a"}}}')
    splitter = LineSplitter()
    lines = [line for i in range(0, len(stream), 7) for line in splitter.feed(stream[i:i + 7])]
    events = [decode_event(line, CONFIGMAPS, "c") for line in [*lines, splitter.rest()]]
    assert [(e.type, e.resource_version) for e in events] == [("ADDED", "5"), ("BOOKMARK", "7"), ("DELETED", "")]
    assert events[0].object == {"apiVersion": "v1", "kind": "ConfigMap",
                                "metadata": {"name": "a", "resourceVersion": "5"}}


@pytest.mark.parametrize(("line", "why"), [
    (b'{"type":"ADDED","obj', "not JSON"),
    (b"[1, 2]", "not a JSON object"),
    (b'{"type":"ADDED"}', "no object"),
    (b'{"type":"SYNC","object":{}}', "unknown event type 'SYNC'"),
])
def test_malformed_lines_are_cluster_errors(line: bytes, why: str) -> None:
    with pytest.raises(ClusterError) as caught:
        decode_event(line, CONFIGMAPS, "east")
    assert type(caught.value) is ClusterError
    assert caught.value.message.startswith("cluster east sent a malformed watch event for ConfigMap (v1): " + why)


@pytest.mark.parametrize(("status", "error"), [
    ({"kind": "Status", "code": 410, "reason": "Expired", "message": "too old resource version: 1 (9)"}, Expired),
    ({"kind": "Status", "code": 500, "reason": "InternalError", "message": "etcd went away"}, Unavailable),
    ({"kind": "Status", "code": 403, "reason": "Forbidden", "message": "no"}, Forbidden),
])
def test_error_events_raise_the_typed_error(status: dict[str, object], error: type[ClusterError]) -> None:
    with pytest.raises(error) as caught:
        decode_event(orjson.dumps({"type": "ERROR", "object": status}), CONFIGMAPS, "east")
    assert caught.value.status == status["code"]
    assert str(status["message"]) in caught.value.message
