"""Kubernetes Events: the correlator (pure) and the recorder against an API server (create, aggregate, recreate)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from reconciler.cluster.eventnote import Correlator, EventNote, event_body
from reconciler.cluster.kube.cluster import KubeCluster
from reconciler.cluster.kube.events import EVENT, KubeEventRecorder
from reconciler.objects import ObjectKey
from tests.cluster.conftest import FakeTime, kube_options

WAIT = 30.0


def note(namespace: str, name: str = "fraud", message: str = "configured at abc", reason: str = "Configured",
         kind: str = "InferenceService") -> EventNote:
    group = "serving.kserve.io" if kind == "InferenceService" else ""
    version = "serving.kserve.io/v1beta1" if group else "v1"
    return EventNote(ObjectKey(group, kind, namespace, name), version, "Normal", reason, message, "abc" * 13 + "a")


def test_the_correlator_aggregates_repeats_and_forgets_the_least_recent() -> None:
    correlator = Correlator(capacity=2)
    first = correlator.decide(note("ns"), "t1", "aa")
    again = correlator.decide(note("ns"), "t2", "bb")
    assert (first.name, first.count, first.create) == ("fraud.aa", 1, True)
    assert (again.name, again.count, again.first, again.create) == ("fraud.aa", 2, "t1", False)
    correlator.decide(note("ns", "b"), "t3", "cc")
    correlator.decide(note("ns", "c"), "t4", "dd")  # "fraud" is the least recently used: forgotten
    assert correlator.decide(note("ns"), "t5", "ee").name == "fraud.ee"
    assert correlator.restart(note("ns"), "t6", "ff") .count == 1


def test_the_event_body_is_a_core_v1_event_like_flux_emits() -> None:
    decision = Correlator().decide(note("ml"), "2026-12-06T00:00:00Z", "17f")
    body = event_body(note("ml"), decision, "2026-12-06T00:00:00Z", "pod-1")
    assert body["involvedObject"] == {"kind": "InferenceService", "name": "fraud", "namespace": "ml",
                                      "apiVersion": "serving.kserve.io/v1beta1"}
    assert body["source"] == {"component": "platformctl"} and body["reportingComponent"] == "platformctl"
    assert (body["type"], body["reason"], body["count"]) == ("Normal", "Configured", 1)
    namespace_note = note("", "ml", kind="Namespace")
    assert event_body(namespace_note, decision, "t", "i")["metadata"] == {  # cluster-scoped: in default
        "name": "fraud.17f", "namespace": "default", "annotations": {"platformctl.dev/revision": "abc" * 13 + "a"}}


def events_in(cluster: KubeCluster, namespace: str) -> list[dict[str, object]]:
    return cluster.list(EVENT, namespace)


def test_the_recorder_creates_then_counts_repeats_then_recreates_an_expired_event(
        kube_config: Path, kube_namespace: str, fake_time: FakeTime, kube: KubeCluster) -> None:
    results: list[str] = []
    client = KubeCluster("events", kubeconfig=str(kube_config), options=kube_options(fake_time))
    recorder = KubeEventRecorder(client, instance="test-1", on_result=results.append,
                                 now=lambda: datetime(2026, 12, 6, tzinfo=UTC))
    try:
        recorder.record([note(kube_namespace), note(kube_namespace, message="other")])
        recorder.record([note(kube_namespace)])
        assert recorder.flush(WAIT)
        assert results == ["created", "created", "aggregated"]
        events = sorted(events_in(kube, kube_namespace), key=lambda e: str(e["message"]))
        assert [(e["message"], e["count"], e["reason"], e["type"]) for e in events] == [
            ("configured at abc", 2, "Configured", "Normal"), ("other", 1, "Configured", "Normal")]
        first = events[0]
        assert first["involvedObject"] == {"kind": "InferenceService", "name": "fraud", "namespace": kube_namespace,
                                           "apiVersion": "serving.kserve.io/v1beta1"}
        assert first["source"] == {"component": "platformctl"} and first["reportingInstance"] == "test-1"
        kube.delete(EVENT, kube_namespace, str(first["metadata"]["name"]))  # type: ignore[index]
        recorder.record([note(kube_namespace)])
        assert recorder.flush(WAIT)
        assert results[-1] == "created"
        again = [e for e in events_in(kube, kube_namespace) if e["message"] == "configured at abc"]
        assert [e["count"] for e in again] == [1]
    finally:
        recorder.close()


def test_an_event_the_server_refuses_is_counted_and_never_raised(
        kube_config: Path, kube_namespace: str, fake_time: FakeTime) -> None:
    results: list[str] = []
    client = KubeCluster("events", kubeconfig=str(kube_config), options=kube_options(fake_time, max_retries=0))
    recorder = KubeEventRecorder(client, instance="test-1", on_result=results.append)
    try:
        recorder.record([note("no-such-namespace-" + kube_namespace)])
        assert recorder.flush(WAIT)
        assert results == ["failed"]
    finally:
        recorder.close()


def test_a_full_queue_drops_notes_instead_of_blocking(kube_config: Path, fake_time: FakeTime) -> None:
    results: list[str] = []
    client = KubeCluster("events", kubeconfig=str(kube_config), options=kube_options(fake_time))
    recorder = KubeEventRecorder(client, instance="test-1", on_result=results.append, queue_size=1)
    recorder.close()  # a closed recorder drops everything at once
    recorder.record([note("x"), note("y")])
    assert results == ["dropped", "dropped"]


def test_a_client_opened_on_the_recorders_thread_and_one_that_cannot_record(
        kube_config: Path, kube_namespace: str, fake_time: FakeTime, kube: KubeCluster, tmp_path: Path) -> None:
    from reconciler.cluster.events import recorder_for
    from reconciler.cluster.localdir.cluster import LocalDirCluster

    opened: list[str] = []
    results: list[str] = []

    def open_kube() -> KubeCluster:
        import threading

        opened.append(threading.current_thread().name)
        return KubeCluster("events", kubeconfig=str(kube_config), options=kube_options(fake_time))

    def broken() -> KubeCluster:
        raise OSError("no kubeconfig")

    recorders = [recorder_for(open_kube, instance="i", name="eu", on_result=results.append),
                 recorder_for(broken, instance="i", on_result=results.append),
                 recorder_for(lambda: LocalDirCluster("dir", tmp_path), instance="i", on_result=results.append)]
    for recorder in recorders:
        recorder.record([note(kube_namespace)])
    for recorder in recorders:
        recorder.close(grace=WAIT)
    assert opened == ["platformctl-events-eu"]  # never the caller's thread
    assert sorted(results) == ["created", "failed", "failed"]
    assert [e["reason"] for e in events_in(kube, kube_namespace)] == ["Configured"]
