"""Daemon test fixtures: real Git repositories in tmp_path, a manual clock, daemons wired to test servers."""

from __future__ import annotations

import json
import subprocess
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from reconciler.daemon import Daemon, DaemonConfig, ManualClock
from reconciler.daemon.election.elector import Leadership
from reconciler.daemon.election.relay import PushRelay
from reconciler.daemon.worker import Connect
from reconciler.observability.metrics import Metrics
from reconciler.source.tracking import LocalGitSource, Source
from reconciler.source.directory import DirectorySource
from reconciler.spec.document import Spec
from reconciler.spec.load import load
from tests.engine.conftest import Fleet, make_fleet, writes  # noqa: F401 - the fixture, shared
from kubeserver.server import KubeServer
from tests.spec.conftest import copy_platform

WAIT = 30.0
"""Upper bound of every wait on an event (never reached when things work)."""


@dataclass
class Repo:
    """A Git repository holding a copy of the bundled platform, committed with the git CLI."""

    path: Path
    signing_key: Path | None = None
    signing_format: str = "ssh"

    def git(self, *args: str, env: dict[str, str] | None = None) -> str:
        done = subprocess.run(["git", "-C", str(self.path), *args], check=True, capture_output=True, text=True,
                              env=env)
        return done.stdout.strip()

    def commit(self, message: str, edits: dict[str, Callable[[str], str] | str] | None = None, *,
               sign: Path | None | bool = None) -> str:
        """Apply edits (path -> new text or text -> text), commit everything, return the SHA."""
        for rel, edit in (edits or {}).items():
            target = self.path / rel
            target.write_text(edit(target.read_text()) if callable(edit) else edit)
        self.git("add", "-A")
        key = self.signing_key if sign is None or sign is True else sign
        args = ["commit", "-q", "--allow-empty", "-m", message]
        if sign is not False and key is not None:
            args = ["-c", f"gpg.format={self.signing_format}", "-c", f"user.signingkey={key}", *args, "-S"]
        else:
            args = ["-c", "commit.gpgsign=false", *args]
        self.git(*args)
        return self.git("rev-parse", "HEAD")

    def head(self) -> str:
        return self.git("rev-parse", "HEAD")


def make_repo(path: Path) -> Repo:
    """A fresh repository with the bundled platform committed on ``main``."""
    copy_platform(path)
    (path / ".gitignore").write_text("/.platformctl/\n")
    repo = Repo(path)
    repo.git("init", "-q", "-b", "main")
    repo.git("config", "user.name", "Test")
    repo.git("config", "user.email", "test@example.com")
    repo.commit("initial platform")
    return repo


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return make_repo(tmp_path / "repo")


def replicas(text: str, old: str, new: str) -> str:
    """Edit helper that fails loudly when the text to replace is not there."""
    assert old in text, old
    return text.replace(old, new)


def bump_fraud(version_from: str = 'min: 4, max: 16', version_to: str = 'min: 5, max: 16') -> dict[str, Any]:
    """An edit of prod-cloud's fraud-detector replicas."""
    return {"environments/prod-cloud.yaml": lambda t: replicas(t, version_from, version_to)}


@dataclass
class Harness:
    """A Daemon with a manual clock, its metrics and the fleet it reconciles."""

    daemon: Daemon
    clock: ManualClock
    metrics: Metrics
    extra: dict[str, Any] = field(default_factory=dict)

    def step(self, *, force: bool = False) -> Any:
        report = self.daemon.step(force=force)
        assert self.daemon.wait_idle(WAIT), "workers did not finish"
        return report

    def tick(self, seconds: float) -> Any:
        self.clock.advance(seconds)
        return self.step()


@pytest.fixture
def make_daemon() -> Iterator[Callable[..., Harness]]:
    made: list[Daemon] = []

    def make(repo: Repo, connect: Connect, *, environments: tuple[str, ...] = ("prod-cloud",),
             clock: ManualClock | None = None, leadership: Leadership | None = None,
             source: Source | None = None, relay: PushRelay | None = None, **settings: Any) -> Harness:
        config = DaemonConfig(**{"repo": str(repo.path), "environments": environments, "listen": None,
                                 "lease": "none", "poll_interval": 30.0, "drift_interval": 60.0, **settings})
        clock = clock or ManualClock()
        metrics = Metrics()
        daemon = Daemon(config, source or LocalGitSource(repo.path, config.branch), connect=connect,
                        metrics=metrics, leadership=leadership, clock=clock, rand=lambda: 0.5, relay=relay)
        made.append(daemon)
        return Harness(daemon, clock, metrics)

    yield make
    for daemon in made:
        daemon.shutdown()


def revision_on(server: KubeServer, namespace: str = "ml-serving", name: str = "fraud-detector") -> str | None:
    """The source-revision annotation of an InferenceService on a test server."""
    found = server.get_object("serving.kserve.io", "inferenceservices", name, namespace)
    if found is None:
        return None
    return str(found["metadata"]["annotations"]["platformctl.dev/source-revision"])


def merge_patch(server: KubeServer, path: str, patch: dict[str, Any], manager: str = "kubectl-edit") -> None:
    """A hand edit: a JSON merge patch by another field manager, straight over HTTP."""
    request = urllib.request.Request(f"{server.url}{path}?fieldManager={manager}", method="PATCH",
                                     data=json.dumps(patch).encode(),
                                     headers={"Content-Type": "application/merge-patch+json"})
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - loopback test server
        assert answer.status == 200


def fleet_connect(fleet: Fleet) -> Connect:
    return fleet.connect


@pytest.fixture
def fleet(repo: Repo, make_fleet: Callable[[Spec, str], Fleet]) -> Fleet:
    """One test server per prod-cloud cluster (gke-eu, gke-us) with the real CRDs."""
    return make_fleet(load(DirectorySource(repo.path)), "prod-cloud")


def only_fraud(text: str) -> str:
    """prod-cloud's environment file serving only the fraud detector (two of its three models dropped)."""
    return (text.replace('components: ["serving/*"]', 'components: ["serving/fraud-detector"]')
            .replace('    serving/recsys-ranker: "3.1.4"\n', "").replace('    serving/churn-predictor: "11"\n', "")
            .replace("    serving/recsys-ranker:\n      replicas: {min: 2, max: 6}\n", ""))


def with_budget(fraction: str) -> Callable[[str], str]:
    """An environment-file edit setting prod-cloud's maxPruneFraction (0.2 in the bundled platform)."""
    return lambda text: text.replace("maxPruneFraction: 0.2", f"maxPruneFraction: {fraction}")


def assert_nothing_pruned(servers: Iterable[KubeServer], good: str | None = None) -> None:
    """No delete reached any server and recsys-ranker is still there (at revision ``good`` when given)."""
    for server in servers:
        assert [w for w in writes(server) if w.verb == "delete"] == []
        assert server.get_object("serving.kserve.io", "inferenceservices", "recsys-ranker", "ml-serving") is not None
        if good is not None:
            assert revision_on(server) == good
