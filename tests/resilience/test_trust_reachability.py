"""Issue 13, scenario 8: reachability from every signal. A hung cluster (accepts connections, never
answers) must not show Synced and reachable at an old revision: it is Unknown on the status page
and 0 in ``platformctl_cluster_up`` within the read deadline, even while a reconcile still hangs;
a failing watch alone marks it too; a refused connection is "no answer", not a 503; and when
answers come back it is reachable again.

Against a real kube-apiserver behind the fault proxy, with a 1 s read deadline so each case takes
a few seconds (production: 10 s, well within the 30 s the issue asks for).
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.cluster.base import Cluster
from reconciler.cluster.kube.cluster import KubeCluster, KubeOptions
from reconciler.daemon import Daemon, DaemonConfig
from reconciler.daemon.clock import SystemClock
from reconciler.observability.metrics import Metrics
from reconciler.observability.statuspage import status_html
from reconciler.source.tracking import LocalGitSource
from reconciler.spec.models import Cluster as ClusterSpec
from tests.daemon.conftest import Repo, make_repo, replicas
from kubeserver import kubeconfig
from tests.realkube.cluster import RealCluster

pytestmark = pytest.mark.realkube

ANSWER_TIMEOUT = 1.0
SHOWN_WITHIN = 30.0
"""What the issue asks for; the measured times are printed (about ANSWER_TIMEOUT)."""


def one_cluster(text: str) -> str:
    return replicas(text, "    - name: gke-us\n      kubeconfig: {context: gke-us-prod}\n", "")


def cluster_up(metrics: Metrics) -> float | None:
    text = metrics.render()[0].decode()
    found = re.search(r'^platformctl_cluster_up\{[^}]*cluster="gke-eu"[^}]*\} (\S+)$', text, re.M)
    return float(found.group(1)) if found else None


def api_errors(metrics: Metrics) -> dict[str, float]:
    text = metrics.render()[0].decode()
    return {code: float(value) for code, value in
            re.findall(r'^platformctl_api_request_errors_total\{[^}]*code="(\d+)"[^}]*\} (\S+)$', text, re.M)}


def shown(daemon: Daemon) -> dict[str, Any]:
    """The status document's entry for the one cluster."""
    [env] = daemon.status()["environments"]
    [cluster] = env["clusters"]
    return dict(cluster)


def until(predicate: Callable[[], bool], timeout: float) -> float:
    """Seconds until ``predicate()`` held (fails the test after ``timeout``)."""
    started = time.monotonic()
    while not predicate():
        assert time.monotonic() - started < timeout, "timed out"
        time.sleep(0.05)
    return time.monotonic() - started


@pytest.fixture
def daemon_on(tmp_path: Path) -> Iterator[Callable[..., tuple[Daemon, Metrics, Repo]]]:
    made: list[Daemon] = []

    def make(config: Path, **settings: Any) -> tuple[Daemon, Metrics, Repo]:
        repo = make_repo(tmp_path / f"repo-{len(made)}")
        repo.commit("prod-cloud on one cluster", {"environments/prod-cloud.yaml": one_cluster})

        def connect(spec: ClusterSpec) -> Cluster:
            return KubeCluster(spec.name, kubeconfig=str(config), context=spec.name,
                               options=KubeOptions(qps=0, backoff_base=0.05, backoff_cap=0.2, connect_timeout=1.0))

        values: dict[str, Any] = {"repo": str(repo.path), "environments": ("prod-cloud",), "listen": None,
                                  "lease": "none", "poll_interval": 0, "drift_interval": 0, "watch": False,
                                  "answer_timeout": ANSWER_TIMEOUT, "backoff_base": 30.0, **settings}
        metrics = Metrics()
        daemon = Daemon(DaemonConfig(**values), LocalGitSource(repo.path, "main"), connect=connect,
                        metrics=metrics, clock=SystemClock(), rand=lambda: 0.5)
        made.append(daemon)
        return daemon, metrics, repo

    yield make
    for daemon in made:
        daemon.shutdown()


def test_a_hung_cluster_is_unknown_within_the_read_deadline_while_its_reconcile_still_hangs(
    real_cluster_factory: Callable[..., RealCluster], tmp_path: Path,
    daemon_on: Callable[..., tuple[Daemon, Metrics, Repo]]
) -> None:
    server = real_cluster_factory("gke-eu")
    daemon, metrics, repo = daemon_on(kubeconfig.write(tmp_path / "kubeconfig", {"gke-eu": server}),
                                      drift_watch=False)
    daemon.step()
    assert daemon.wait_idle(30)
    before = shown(daemon)
    assert (before["reachable"], before["sync"], cluster_up(metrics)) == (True, "Synced", 1.0)

    server.faults.partition("hang")
    repo.commit("fraud-detector: 5", {"environments/prod-cloud.yaml": lambda t: replicas(
        t, "min: 4, max: 16", "min: 5, max: 16")})
    daemon.trigger.fire("test")
    daemon.step()
    took = until(lambda: shown(daemon)["reachable"] is False, SHOWN_WITHIN)
    assert not daemon.wait_idle(0)  # the reconcile still hangs (on its retries), yet it shows already
    hung = shown(daemon)
    assert (hung["sync"], hung["health"], cluster_up(metrics)) == ("Unknown", "Unknown", 0.0)
    assert hung["revision"] == before["revision"] and "cluster unreachable; last seen" in hung["healthMessage"]
    assert {c["sync"] for c in hung["components"]} == {"Unknown"}  # no stale Synced row on the page
    page = status_html(daemon.status())
    assert "Synced" not in page and "Healthy" not in page and "cluster unreachable" in page

    server.faults.heal()  # the hung requests are answered: reachable again, and the reconcile goes on
    back = until(lambda: shown(daemon)["reachable"] is True, SHOWN_WITHIN)
    assert cluster_up(metrics) == 1.0
    print(f"\nhung cluster shown Unknown after {took:.2f}s (read deadline {ANSWER_TIMEOUT}s); "
          f"reachable {back:.2f}s after heal")


def test_a_failing_watch_alone_marks_the_cluster_unreachable(
    real_cluster_factory: Callable[..., RealCluster], tmp_path: Path,
    daemon_on: Callable[..., tuple[Daemon, Metrics, Repo]]
) -> None:
    server = real_cluster_factory("gke-eu")
    daemon, metrics, _repo = daemon_on(kubeconfig.write(tmp_path / "kubeconfig", {"gke-eu": server}),
                                       drift_watch=True)
    daemon.step()
    assert daemon.wait_idle(30)
    until(lambda: server.count("watch") >= 1, 10)  # the drift watches are open
    assert shown(daemon)["reachable"] is True

    server.faults.partition("refuse")  # open watches are cut; their reconnects are refused
    took = until(lambda: shown(daemon)["reachable"] is False, SHOWN_WITHIN)
    assert daemon.wait_idle(0)  # no reconcile ran: the watches alone told
    assert (shown(daemon)["sync"], cluster_up(metrics)) == ("Unknown", 0.0)

    server.faults.heal()
    back = until(lambda: shown(daemon)["reachable"] is True, SHOWN_WITHIN)  # a watch reconnects
    assert cluster_up(metrics) == 1.0 and shown(daemon)["sync"] == "Synced"
    print(f"\nfailing watch: Unknown after {took:.2f}s; reachable {back:.2f}s after heal")


def test_a_refused_connection_is_no_answer_not_a_503(
    tmp_path: Path, daemon_on: Callable[..., tuple[Daemon, Metrics, Repo]]
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    class Nothing:
        url = f"http://127.0.0.1:{port}"
        token = "unused"

    daemon, metrics, _repo = daemon_on(kubeconfig.write(tmp_path / "kubeconfig", {"gke-eu": Nothing()}),
                                       drift_watch=False)
    started = time.monotonic()
    daemon.step()
    took = until(lambda: shown(daemon)["reachable"] is False, SHOWN_WITHIN)
    assert daemon.wait_idle(30)
    state = shown(daemon)
    assert (state["sync"], state["health"], cluster_up(metrics)) == ("Unknown", "Unknown", 0.0)
    assert "cannot reach cluster gke-eu" in (state["lastError"] or "")
    errors = api_errors(metrics)
    assert errors.get("0", 0) >= 1 and "503" not in errors
    print(f"\nrefused connection: unreachable after {took:.2f}s, reconcile over after "
          f"{time.monotonic() - started:.2f}s; api errors by code {errors}")


def test_a_cluster_that_hangs_while_the_daemon_is_idle_is_unknown_within_probe_and_deadline(
    real_cluster_factory: Callable[..., RealCluster], tmp_path: Path,
    daemon_on: Callable[..., tuple[Daemon, Metrics, Repo]]
) -> None:
    # No reconcile and no watch: only the idle probe can tell (production: 10 s quiet + 10 s deadline).
    server = real_cluster_factory("gke-eu")
    daemon, metrics, _repo = daemon_on(kubeconfig.write(tmp_path / "kubeconfig", {"gke-eu": server}),
                                       drift_watch=False)
    daemon.step()
    assert daemon.wait_idle(30)
    until(lambda: any("version" in resource for _verb, resource in server.counts()), 10)  # quiet: probed
    assert shown(daemon)["reachable"] is True and cluster_up(metrics) == 1.0

    server.faults.partition("hang")
    took = until(lambda: shown(daemon)["reachable"] is False, SHOWN_WITHIN)
    assert daemon.wait_idle(0)  # nothing else was running: the probe told
    assert (shown(daemon)["sync"], cluster_up(metrics)) == ("Unknown", 0.0)
    assert took <= 2 * ANSWER_TIMEOUT + 1.5  # quiet interval + read deadline + the checker's period

    server.faults.heal()
    back = until(lambda: shown(daemon)["reachable"] is True, SHOWN_WITHIN)
    assert shown(daemon)["sync"] == "Synced"
    print(f"\nidle daemon: hung cluster Unknown after {took:.2f}s; reachable {back:.2f}s after heal")
