"""KubeCluster's write fence (no write, retry or wait past the lease's deadline) and its answer observer."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.cluster.fence import OPEN, check_retry_wait, is_write, write_window
from reconciler.cluster.kube.cluster import KubeCluster
from reconciler.errors import Fenced, NoAnswer
from tests.cluster.conftest import FakeTime, kube_options
from tests.cluster.test_contract import configmap
from kubeserver.server import KubeServer
from tests.waiting import until


class Deadline:
    """A fence closing at ``at`` on ``clock`` (a lease's renew deadline)."""

    def __init__(self, at: float, clock: Callable[[], float]) -> None:
        self.at = at
        self.clock = clock

    def remaining(self) -> float:
        return self.at - self.clock()

    def reason(self) -> str:
        return "the leader lease's renew deadline has passed"


class Answers:
    """Records what the transport reports."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.sent = 0

    def sending(self) -> int:
        self.sent += 1
        return self.sent

    def answered(self, attempt: int) -> None:
        self.seen.append("answered")

    def no_answer(self, attempt: int, error: str) -> None:
        self.seen.append("no answer")

    def cut_short(self, attempt: int) -> None:
        self.seen.append("cut short")


def test_the_fence_rules_writes_only() -> None:
    closed = Deadline(0.0, lambda: 1.0)
    assert [is_write(m, q) for m, q in [("GET", []), ("PATCH", []), ("PATCH", [("dryRun", "All")]),
                                        ("DELETE", [("propagationPolicy", "Background")]), ("POST", [])]] == [
        False, True, False, True, True]
    assert write_window(closed, False, "c", None) == math.inf
    assert write_window(OPEN, True, "c", None) == math.inf
    with pytest.raises(Fenced, match="not sent: the leader lease"):
        write_window(closed, True, "c", None)
    check_retry_wait(Deadline(5.0, lambda: 0.0), True, 4.9, "c", None)
    with pytest.raises(Fenced, match="would wait 5.0s"):
        check_retry_wait(Deadline(5.0, lambda: 0.0), True, 5.0, "c", None)
    check_retry_wait(Deadline(5.0, lambda: 0.0), False, 60.0, "c", None)


def test_a_closed_fence_sends_no_write_but_reads_and_dry_runs_go_on(kube: KubeCluster, kube_server: KubeServer,
                                                       kube_namespace: str, fake_time: FakeTime) -> None:
    kube.apply(configmap(kube_namespace, "before"))
    kube.supervise(fence=Deadline(fake_time.now, fake_time.clock))
    kube_server.reset_requests()
    for write in (lambda: kube.apply(configmap(kube_namespace, "after")),
                  lambda: kube.delete(kube.kind("v1", "ConfigMap"), kube_namespace, "before")):
        with pytest.raises(Fenced) as caught:
            write()
        assert caught.value.status == 0 and "not sent" in caught.value.message
    kube.apply(configmap(kube_namespace, "after"), dry_run=True)  # changes nothing
    assert kube.get(kube.kind("v1", "ConfigMap"), kube_namespace, "before") is not None
    assert [r.verb for r in kube_server.requests] == ["patch", "get"]


def test_a_retry_after_past_the_deadline_fails_at_once(kube: KubeCluster, kube_server: KubeServer,
                                                       kube_namespace: str, fake_time: FakeTime) -> None:
    kube.supervise(fence=Deadline(fake_time.now + 10, fake_time.clock))
    kube_server.faults.throttle(retry_after=60, times=None, verb="patch")
    with pytest.raises(Fenced, match="would wait 60.0s"):
        kube.apply(configmap(kube_namespace, "throttled"))
    assert fake_time.sleeps == []  # no 60 s wait
    assert kube_server.count("patch") == 1


def test_retries_stop_at_the_deadline(kube: KubeCluster, kube_server: KubeServer, kube_namespace: str,
                                      fake_time: FakeTime) -> None:
    kube.supervise(fence=Deadline(fake_time.now + 10, fake_time.clock))
    kube_server.faults.throttle(retry_after=3, times=None, verb="patch")
    with pytest.raises(Fenced):
        kube.apply(configmap(kube_namespace, "throttled"))
    assert fake_time.sleeps == [3.0, 3.0, 3.0]  # a fourth wait would end at 12 s, past the deadline
    assert kube_server.count("patch") == 4


def test_a_hung_write_is_not_awaited_past_the_deadline(kube_server: KubeServer, kube_config: Path,
                                                       kube_namespace: str) -> None:
    answers = Answers()
    options = kube_options(FakeTime(), sleep=time.sleep, read_timeout=30.0)
    with KubeCluster("slow", kubeconfig=str(kube_config), options=options) as cluster:
        cluster.supervise(fence=Deadline(time.monotonic() + 0.5, time.monotonic), observer=answers)
        kind = cluster.kind("v1", "ConfigMap")
        cluster.get(kind, kube_namespace, "x")
        kube_server.faults.delay(3.0, verb="patch", times=1)
        started = time.monotonic()
        with pytest.raises(Fenced):
            cluster.apply(configmap(kube_namespace, "slow"))
        assert time.monotonic() - started < 2.0
    assert answers.seen == ["answered", "cut short"]  # the fence cut the wait short: not the server's fault
    assert until(lambda: kube_server.count("patch") == 1)


def test_a_hung_read_is_no_answer_after_the_answer_timeout(kube_server: KubeServer, kube_config: Path,
                                                           kube_namespace: str, fake_time: FakeTime) -> None:
    answers = Answers()
    options = kube_options(fake_time, read_timeout=30.0, answer_timeout=0.3, max_retries=1)
    with KubeCluster("hung", kubeconfig=str(kube_config), options=options) as cluster:
        cluster.supervise(observer=answers)
        kind = cluster.kind("v1", "ConfigMap")
        cluster.get(kind, kube_namespace, "x")
        kube_server.faults.partition("hang")
        started = time.monotonic()
        with pytest.raises(NoAnswer) as caught:
            cluster.get(kind, kube_namespace, "x")
        assert time.monotonic() - started < 2.0
    kube_server.faults.heal()
    assert answers.seen == ["answered", "no answer", "no answer"]
    assert caught.value.status == 0
    assert until(lambda: kube_server.count("get", "configmaps") == 3)


def test_a_refused_connection_is_no_answer_not_a_503(kube: KubeCluster, kube_server: KubeServer,
                                                    kube_namespace: str) -> None:
    answers = Answers()
    kube.supervise(observer=answers)
    kube_server.faults.partition("refuse")
    with pytest.raises(NoAnswer) as caught:
        kube.get(kube.kind("v1", "ConfigMap"), kube_namespace, "x")
    kube_server.faults.heal()
    assert caught.value.status == 0 and caught.value.reason == "NoAnswer"
    assert answers.seen == ["no answer"] * (kube.options.max_retries + 1)
    kube.get(kube.kind("v1", "ConfigMap"), kube_namespace, "x")
    assert answers.seen[-1] == "answered"


def test_an_idle_watch_outlives_the_answer_timeout(kube_server: KubeServer, kube_config: Path,
                                                   kube_namespace: str, fake_time: FakeTime) -> None:
    options = kube_options(fake_time, answer_timeout=0.3)
    with KubeCluster("watching", kubeconfig=str(kube_config), options=options) as cluster:
        kind = cluster.kind("v1", "ConfigMap")
        version = cluster.collection_version(kind, kube_namespace)
        started = time.monotonic()
        events = [e for e in cluster.watch(kind, kube_namespace, version, timeout_seconds=2) if e.type != "BOOKMARK"]
        lasted = time.monotonic() - started
    assert events == [] and lasted >= 1.5  # the status line within 0.3 s; then the stream's own timeout
