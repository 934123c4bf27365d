"""Issue 13, scenarios 4, 6 and 7: hostile input size and the deletion budget.

4. A component file repeating one long string through YAML aliases (300 KB, 1 MB) is refused
   with a located error while the loading process stays small; the daemon keeps the last good
   revision.
6. A commit that removes most components and raises ``maxPruneFraction`` is held to the budget
   of the revision last applied (daemon and CLI), and ``diff`` flags the raise.
7. A commit carrying 240 MiB of unrelated files loads with bounded memory; a revision over the
   bounds is judged once, not re-read on every poll.

Memory is measured in a child process (its own peak RSS, VmHWM: ``ru_maxrss`` can carry the
forking test process's size), so the test process's history does not count.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.source.git import Revision
from reconciler.source.directory import DirectorySource
from reconciler.source.tracking import LocalGitSource
from reconciler.spec.load import load
from tests.daemon.conftest import (  # noqa: F401
    Harness, Repo, assert_nothing_pruned, make_daemon, make_repo, only_fraud, repo, revision_on, with_budget)
from tests.engine.conftest import Fleet, make_fleet, writes  # noqa: F401
from tests.daemon.conftest import fleet  # noqa: F401
from kubeserver import kubeconfig
from kubeserver.server import KubeServer

ROOT = Path(__file__).resolve().parents[2]
BOMB_TARGET = "components/serving/fraud-detector.yaml"
PEAK_LIMIT_MB = 200

_CHILD = """
import json, sys
from reconciler.errors import SpecErrors
from reconciler.source.git import GitRepository
from reconciler.spec.load import load
revision = GitRepository(__import__("pathlib").Path(sys.argv[1])).read(sys.argv[2])
try:
    load(revision.source)
    errors = []
except SpecErrors as exc:
    errors = [str(e) for e in exc.errors]
# VmHWM is this process image's own peak; ru_maxrss may carry the forking parent's
peak = int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1]) // 1024
print(json.dumps({"errors": errors, "peak_mb": peak, "reads": revision.source.read_count}))
"""


def load_in_child(path: Path, ref: str = "HEAD") -> dict[str, object]:
    """Load the platform at ``ref`` in a fresh interpreter: its errors, peak RSS (MB) and blobs read."""
    done = subprocess.run([sys.executable, "-c", _CHILD, str(path), ref], capture_output=True, text=True,
                          check=True, cwd=ROOT, timeout=120)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def alias_bomb(size: int) -> str:
    """A component whose one long string is repeated through aliases up to ``size`` bytes."""
    head = ("apiVersion: platformctl.dev/v1alpha1\nkind: Serving\nmetadata:\n  name: fraud-detector\n"
            f'  description: &s "{"x" * 100_000}"\nspec:\n  labels: [')
    return head + ", ".join(["*s"] * ((size - len(head)) // 4)) + "]\n"


class CountingSource(LocalGitSource):
    """A local Git source counting the commits it reads."""

    def __init__(self, path: Path, branch: str) -> None:
        super().__init__(path, branch)
        self.reads: list[str] = []

    def read(self, commit: str) -> Revision:
        self.reads.append(commit)
        return super().read(commit)


# --- scenario 4 -------------------------------------------------------------------------------------
@pytest.mark.parametrize("size", [300_000, 1_000_000])
def test_an_alias_bomb_is_refused_at_the_alias_with_bounded_memory(repo: Repo, size: int) -> None:
    repo.commit("a bomb", {BOMB_TARGET: alias_bomb(size)})

    loaded = load_in_child(repo.path)

    errors = loaded["errors"]
    assert isinstance(errors, list) and len(errors) == 1
    assert errors[0].startswith(f"{BOMB_TARGET}:7:")  # the line of the aliases, at the one that went over
    assert "value expands to more than 4194304 bytes (YAML aliases)" in errors[0]
    assert isinstance(loaded["peak_mb"], int) and loaded["peak_mb"] < PEAK_LIMIT_MB


def test_the_daemon_keeps_the_last_good_revision_on_an_alias_bomb(
        repo: Repo, fleet: Fleet, make_daemon: Callable[..., Harness]) -> None:  # noqa: F811
    h = make_daemon(repo, fleet.connect)
    h.step()
    good = repo.head()
    bad = repo.commit("a bomb", {BOMB_TARGET: alias_bomb(300_000)})

    report = h.tick(30.0)

    assert report.rejected == bad
    state = h.daemon.source_state
    assert state.good == good and state.stage == "spec"
    assert state.errors[0].startswith(f"{BOMB_TARGET}:7:")
    for server in fleet.servers.values():
        assert revision_on(server) == good


# --- scenario 7 -------------------------------------------------------------------------------------
def _commit_large_unrelated_file(repo: Repo, mib: int) -> str:
    (repo.path / "datasets").mkdir(exist_ok=True)
    for part in range(mib // 5):  # under the per-file limit: a reader of every file would read them all
        with open(repo.path / "datasets" / f"shard-{part:03}.bin", "wb") as handle:
            handle.truncate(5 * 1_048_576)  # sparse here; Git stores it compressed, reads it whole
    return repo.commit(f"{mib} MiB of unrelated data")


def test_a_commit_with_240_mib_of_unrelated_files_loads_with_bounded_memory(repo: Repo) -> None:
    _commit_large_unrelated_file(repo, 240)

    loaded = load_in_child(repo.path)

    assert loaded["errors"] == []
    assert isinstance(loaded["peak_mb"], int) and loaded["peak_mb"] < PEAK_LIMIT_MB
    assert isinstance(loaded["reads"], int) and loaded["reads"] < 40  # the spec's files only


def test_an_oversize_revision_is_judged_once_across_polls(
        repo: Repo, fleet: Fleet, make_daemon: Callable[..., Harness]) -> None:  # noqa: F811
    source = CountingSource(repo.path, "main")
    h = make_daemon(repo, fleet.connect, source=source)
    h.step()
    good = repo.head()
    with open(repo.path / BOMB_TARGET, "ab") as handle:
        handle.write(b"# padding\n" * 1_000_000)  # a 10 MB component: over the 8 MiB file limit
    bad = repo.commit("a huge component")

    for _ in range(4):
        h.tick(30.0)

    assert source.reads.count(bad) == 1
    state = h.daemon.source_state
    assert state.rejected == bad and state.good == good
    assert "over the limit of" in state.errors[0]


def test_a_tree_too_large_to_list_is_judged_once(
        repo: Repo, fleet: Fleet, make_daemon: Callable[..., Harness], monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    source = CountingSource(repo.path, "main")
    h = make_daemon(repo, fleet.connect, source=source)
    h.step()
    monkeypatch.setattr("reconciler.source.tree.MAX_TREE_ENTRIES", 60)
    (repo.path / "many").mkdir()
    for i in range(80):
        (repo.path / "many" / f"{i}.txt").write_text(str(i))
    bad = repo.commit("many files")

    for _ in range(3):
        h.tick(30.0)

    assert source.reads.count(bad) == 1
    state = h.daemon.source_state
    assert state.rejected == bad and state.stage == "size"
    assert "more than 60 files" in state.errors[0]


# --- scenario 6 -------------------------------------------------------------------------------------
@pytest.fixture
def real_fleet(repo: Repo, real_cluster_factory: Callable[..., KubeServer], tmp_path: Path) -> Fleet:  # noqa: F811
    """prod-cloud's two clusters as real kube-apiservers (the other tests here use the in-process server)."""
    spec = load(DirectorySource(repo.path))
    servers = {c.name: real_cluster_factory(c.name) for c in spec.environments["prod-cloud"].model.spec.clusters}
    for server in servers.values():
        server.install_crds()
    return Fleet(spec, "prod-cloud", servers, kubeconfig.write(tmp_path / "kubeconfig-real", servers))


@pytest.mark.realkube
def test_a_commit_raising_its_own_budget_deletes_nothing_on_a_real_cluster(
        repo: Repo, real_fleet: Fleet, make_daemon: Callable[..., Harness]) -> None:  # noqa: F811
    fleet = real_fleet
    h = make_daemon(repo, fleet.connect)
    h.step()
    good = repo.head()
    repo.commit("serve only the fraud detector, and allow the prune",
                {"environments/prod-cloud.yaml": lambda t: with_budget("1.0")(only_fraud(t))})
    fleet.reset_requests()

    h.tick(30.0)

    assert_nothing_pruned(fleet.servers.values(), good)
    for cluster in ("gke-eu", "gke-us"):
        state = h.daemon.target("prod-cloud", cluster)
        assert state.error is not None and "deletion budget of 20%" in state.error

    # The reviewer saw it coming: diff flags the raise and predicts the refusal.
    assert main(["diff", str(repo.path), "--base", "HEAD~1"]) == 2


def test_diff_flags_a_commit_raising_its_own_budget(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.commit("serve only the fraud detector, and allow the prune",
                {"environments/prod-cloud.yaml": lambda t: with_budget("1.0")(only_fraud(t))})

    assert main(["diff", str(repo.path), "--base", "HEAD~1"]) == 2
    out = capsys.readouterr().out
    assert "  ! prod-cloud: the deletion budget (maxPruneFraction) is raised from 20% to 100%" in out
    assert "over the environment's deletion budget of 20%" in out


def test_cli_apply_holds_a_raised_budget_to_the_applied_revisions(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    env = "environments/dev.yaml"
    repo.commit("dev: a strict budget", {env: lambda t: t.replace("maxPruneFraction: 1.0", "maxPruneFraction: 0.05")})
    assert main(["apply", "--env", "dev", str(repo.path), "--yes"]) == 0
    repo.commit("dev: only the fraud detector, and allow it", {
        env: lambda t: t.replace("maxPruneFraction: 0.05", "maxPruneFraction: 1.0")
        .replace("  namespace: ml-dev\n", '  namespace: ml-dev\n  components: ["serving/*", "notebooks/*", "pipelines/*", '
                 '"schedules/*", "training/*", "teams/*"]\n')
        .replace("    tuning/fraud-xgb-search:\n      trials: {parallel: 2, max: 6, maxFailed: 2}\n", "")
        .replace("    tuning/recsys-ranker-search:\n      trials: {parallel: 1, max: 4, maxFailed: 1}\n", "")})
    capsys.readouterr()

    assert main(["apply", "--env", "dev", str(repo.path), "--yes", "--prune"]) == 1
    assert "deletion budget of 5%" in capsys.readouterr().out
    assert main(["apply", "--env", "dev", str(repo.path), "--yes", "--prune", "--allow-mass-prune"]) == 0
