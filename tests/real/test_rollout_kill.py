"""Killing the daemon (SIGKILL) in the middle of a rollout: a new daemon process resumes at the same step.

Real parts only: two ``platformctl run`` processes one after the other against a real kube-apiserver,
Prometheus scraping the model-server exporter, and a thread playing the KServe controller (the
InferenceService is Ready at each generation it sees).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.rollout.objects import read_state
from tests.daemon.conftest import *  # noqa: F403 - repo (collected against a real kube-apiserver)
from tests.daemon.conftest import Repo, merge_patch, replicas
from tests.engine.conftest import *  # noqa: F403 - make_fleet against a real kube-apiserver
from tests.engine.conftest import Fleet
from tests.real.test_rollout import ENV_FILE, ISVC_PATH, pin, progressive
from tests.rollout.servers import ERROR_RATE_QUERY, Exporter, PrometheusServer, model_metrics  # noqa: F401
from reconciler.spec.load import load
from reconciler.source.directory import DirectorySource

WAIT = 60.0


def until(predicate: Callable[[], Any], timeout: float = WAIT) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s")


class KServe:
    """Plays the KServe controller: marks the InferenceService Ready at each new generation."""

    def __init__(self, fleet: Fleet) -> None:
        self._server = fleet.servers["gke-eu"]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kserve", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            live = self._server.get_object("serving.kserve.io", "inferenceservices", "fraud-detector", "ml-serving")
            if live is None:
                continue
            generation = live["metadata"]["generation"]
            if (live.get("status") or {}).get("observedGeneration") == generation:
                continue
            merge_patch(self._server, f"{ISVC_PATH}/status", {"status": {
                "observedGeneration": generation,
                "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2025-01-01T00:00:00Z"}]}},
                manager="kserve")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)


@pytest.fixture
def daemons(tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []

    def start(repo: Repo, kubeconfig: Path, prometheus: str, name: str) -> subprocess.Popen[bytes]:
        log = (tmp_path / f"{name}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-c", "from reconciler.cli import run; run()", "run", "--repo", str(repo.path),
             "--env", "prod-cloud", "--lease", "none", "--listen", "off", "--interval", "500ms",
             "--drift-interval", "0", "--no-drift-watch", "--no-watch", "--prometheus-url", prometheus,
             "--identity", name, "--log-format", "json"],
            stdout=log, stderr=subprocess.STDOUT,
            env={**os.environ, "KUBECONFIG": str(kubeconfig), "PLATFORMCTL_POLICY": ""})
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(10)


def test_a_killed_daemon_is_followed_by_one_that_resumes_the_rollout_at_the_same_step(
        repo: Repo, make_fleet: Callable[..., Fleet], model_metrics: tuple[Exporter, PrometheusServer],
        daemons: Callable[..., subprocess.Popen[bytes]]) -> None:
    prometheus = model_metrics[1]
    interval = "3s"
    repo.commit("rolled out in steps, through a kubeconfig context", {ENV_FILE: lambda t: replicas(
        progressive(t), "context: gke-eu-prod", "context: gke-eu").replace("interval: 2s", f"interval: {interval}")})
    fleet = make_fleet(load(DirectorySource(repo.path)), "prod-cloud")
    server = fleet.servers["gke-eu"]

    def isvc() -> dict[str, Any] | None:
        return server.get_object("serving.kserve.io", "inferenceservices", "fraud-detector", "ml-serving")

    def share() -> int | None:
        live = isvc()
        return None if live is None else live["spec"]["predictor"].get("canaryTrafficPercent")

    def state() -> Any:
        return read_state(server.get_object("", "configmaps", "platformctl-rollout-fraud-detector", "ml-serving"))

    kserve = KServe(fleet)
    try:
        first = daemons(repo, fleet.config, prometheus.url, "first")
        until(lambda: isvc() is not None and (isvc() or {}).get("status"))
        prometheus.wait_for(ERROR_RATE_QUERY.replace("$version", "8"))
        repo.commit("fraud detector 8", {ENV_FILE: pin("8")})
        until(lambda: share() == 25)
        until(lambda: share() == 50)
        first.kill()  # SIGKILL at 50%: nothing is handed over
        first.wait(10)
        killed_at = state()
        assert (killed_at.phase.value, killed_at.step, killed_at.share) == ("Progressing", 1, 50)

        second = daemons(repo, fleet.config, prometheus.url, "second")
        seen: list[int | None] = []

        def finished() -> bool:
            seen.append(share())
            current = state()
            return current is not None and current.phase.value == "Succeeded"

        until(finished)
        assert second.poll() is None
        done = state()
        assert 25 not in seen and seen[0] == 50  # resumed at 50%, never back at the first step
        assert done.started == killed_at.started and done.history[:len(killed_at.history)] == killed_at.history
        assert [line for line in done.history if "started" in line] == list(killed_at.history[:1])  # one start only
        assert share() is None  # 100%: the new version alone
    finally:
        kserve.stop()
