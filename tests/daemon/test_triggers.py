"""What makes the daemon refresh: webhook pushes (coalesced), the ref watcher, polling a remote."""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from reconciler.cluster.base import Cluster
from reconciler.cluster.connect import connect
from reconciler.daemon.triggers import CoalescingTrigger, RefWatcher, is_ref_path
from reconciler.daemon.worker import Connect
from reconciler.observability.http import Endpoints
from reconciler.source.git import Revision
from reconciler.source.tracking import LocalGitSource, RemoteGitSource, is_url
from reconciler.spec.models import Cluster as ClusterSpec
from tests.daemon.conftest import WAIT, Harness, Repo

SECRET = b"webhook-test-secret"
NOTEBOOK = "components/notebooks/analytics.yaml"


def local_clusters(root: Path) -> Connect:
    def make(spec: ClusterSpec) -> Cluster:
        return connect(spec, root)

    return make


def cpu_edit(value: str) -> dict[str, Callable[[str], str]]:
    def edit(text: str) -> str:
        lines = text.splitlines(keepends=True)
        return "".join(f'    cpu: "{value}"\n' if line.startswith("    cpu:") else line for line in lines)

    return {NOTEBOOK: edit}


class CountingSource:
    """A LocalGitSource that counts how often the daemon resolves the branch."""

    def __init__(self, inner: LocalGitSource) -> None:
        self.inner = inner
        self.description, self.branch, self.fetches = inner.description, inner.branch, inner.fetches
        self.heads = 0

    @property
    def path(self) -> Path:
        return self.inner.path

    def head(self) -> str:
        self.heads += 1
        return self.inner.head()

    def read(self, commit: str) -> Revision:
        return self.inner.read(commit)

    def watch_paths(self) -> list[tuple[Path, bool]]:
        return self.inner.watch_paths()


def post(url: str, payload: dict[str, object], secret: bytes = SECRET) -> int:
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
    request = urllib.request.Request(f"{url}/webhook", data=body, method="POST", headers={
        "Content-Type": "application/json", "X-GitHub-Event": "push", "X-Hub-Signature-256": signature})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - loopback
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_the_trigger_coalesces_and_counts() -> None:
    trigger = CoalescingTrigger()
    assert trigger.take() == {} and not trigger.wait(0)
    for _ in range(100):
        trigger.fire("webhook")
    trigger.fire("watch")
    assert trigger.wait(0)
    assert trigger.take() == {"webhook": 100, "watch": 1}
    assert trigger.take() == {} and not trigger.wait(0)


def test_only_ref_files_count_as_ref_changes() -> None:
    assert is_ref_path("/r/.git/refs/heads/main") and is_ref_path("/r/.git/packed-refs")
    assert is_ref_path("/r/.git/HEAD") and is_ref_path("/r/.git/refs/remotes/origin/feature/x")
    assert not is_ref_path("/r/.git/refs/heads/main.lock") and not is_ref_path("/r/.git/index")
    assert not is_ref_path("/r/.git/ORIG_HEAD") and not is_ref_path("/r/.git/objects/ab/cdef")
    assert is_url("https://github.com/acme/platform.git") and is_url("git@github.com:acme/platform.git")
    assert is_url("file:///srv/platform") and not is_url("/srv/platform") and not is_url("platform")


def test_a_flood_of_webhook_pushes_makes_one_refresh(
    repo: Repo, tmp_path: Path, make_daemon: Callable[..., Harness]
) -> None:
    source = CountingSource(LocalGitSource(repo.path, "main"))
    h = make_daemon(repo, local_clusters(tmp_path), environments=("dev",), source=source)
    h.step()
    endpoints = Endpoints("127.0.0.1", 0, metrics=h.metrics, ready=h.daemon.ready, status=h.daemon.status,
                          on_push=h.daemon.on_push, webhook_secret=SECRET)
    with endpoints:
        new = repo.commit("analytics: 3 CPUs", cpu_edit("3"))
        assert [post(endpoints.url, {"ref": "refs/heads/main"}) for _ in range(40)] == [202] * 40
        assert post(endpoints.url, {"ref": "refs/heads/feature"}) == 202  # accepted, not ours: ignored
        assert post(endpoints.url, {"ref": "refs/heads/main"}, secret=b"wrong") == 401
        source.heads = 0

        report = h.step()

        assert report.reasons == {"webhook": 40} and source.heads == 1 and report.loaded == new
        assert report.submitted == [("dev", "local", "revision")]
        assert h.step().reasons == {} and source.heads == 1
        with urllib.request.urlopen(f"{endpoints.url}/status.json", timeout=10) as answer:  # noqa: S310
            doc = json.loads(answer.read())
    assert doc["revision"] == new and doc["environments"][0]["clusters"][0]["revision"] == new


def test_the_ref_watcher_fires_on_a_commit(repo: Repo, tmp_path: Path, make_daemon: Callable[..., Harness]) -> None:
    h = make_daemon(repo, local_clusters(tmp_path), environments=("dev",), poll_interval=0)
    h.step()
    watcher = RefWatcher(h.daemon.source.watch_paths(), h.daemon.trigger)
    watcher.start()
    try:
        h.daemon.trigger.take()
        new = repo.commit("analytics: 3 CPUs", cpu_edit("3"))
        assert h.daemon.trigger.wait(WAIT)
        report = h.step()
        assert "watch" in report.reasons and report.loaded == new
        assert h.daemon.target("dev", "local").applied == new

        h.daemon.trigger.take()
        repo.git("reset", "-q", "--hard", "HEAD~1")  # moving the branch back is a change too
        assert h.daemon.trigger.wait(WAIT)
        assert h.step().loaded == repo.head()
    finally:
        watcher.stop()


def test_a_remote_is_cloned_then_fetched_on_the_poll_interval(
    repo: Repo, tmp_path: Path, make_daemon: Callable[..., Harness]
) -> None:
    origin = f"file://{repo.path}"
    source = RemoteGitSource(origin, tmp_path / "state" / "repo", "main")
    h = make_daemon(repo, local_clusters(tmp_path), environments=("dev",), source=source)
    assert h.step().loaded == repo.head()
    assert source.watch_paths() == []
    new = repo.commit("analytics: 3 CPUs", cpu_edit("3"))

    assert h.tick(29).reasons == {}
    assert h.tick(1).loaded == new
    assert h.daemon.target("dev", "local").applied == new

    shutil.move(repo.path, tmp_path / "gone")  # the remote disappears: reported, the last good revision stays
    report = h.tick(30)
    assert report.head is None and h.daemon.good is not None and h.daemon.good.commit == new
    doc = h.daemon.status()
    assert "fetch from origin failed" in doc["sourceError"] and doc["revision"] == new
    text = h.metrics.render()[0].decode()
    assert 'platformctl_git_fetch_total{result="failure"} 1.0' in text
    assert 'platformctl_git_fetch_total{result="success"} 2.0' in text  # the clone, then one fetch
