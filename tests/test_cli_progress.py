"""apply on a terminal: a summary before asking (the full diff on request), then progress as objects are written."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.cluster.localdir.cluster import LocalDirCluster
from reconciler.engine import Change, ChangeAction, Target, reconcile
from reconciler.fleet import targets
from reconciler.spec.load import load as load_spec
from reconciler.source.directory import DirectorySource
from tests.spec.conftest import copy_platform


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return copy_platform(tmp_path / "r")


def test_apply_without_yes_summarises_instead_of_listing_every_object(
        repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["apply", "--env", "dev", str(repo)]) == 1  # not a terminal, no --yes: shown, then refused
    out = capsys.readouterr().out
    first, counts = out.splitlines()[:2]
    assert first == "dev/local (namespace ml-dev):"
    assert re.fullmatch(r"    \+ \d+ to create \(3 InferenceService, 3 PersistentVolumeClaim, .*\d Namespace, .*\)", counts)
    assert "InferenceService/ml-dev/fraud-detector" not in out and "(--diff shows every object" in out

    assert main(["apply", "--env", "dev", str(repo), "--diff"]) == 1
    out = capsys.readouterr().out
    assert "  + create    InferenceService/ml-dev/fraud-detector" in out
    assert "    +  serviceAccount: pipeline-runner" in out  # the diffs themselves


def test_on_a_terminal_each_object_is_shown_as_it_is_written(
        repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert main(["apply", "--env", "dev", str(repo), "--yes"]) == 0
    out = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", capsys.readouterr().out)  # colours and cursor moves
    assert "dev/local" in out
    lines = [line for line in re.split(r"[\r\n]", out) if line.startswith("local: created ")]
    total = len(lines)
    assert total >= 20 and "local: created InferenceService/ml-dev/fraud-detector" in lines
    assert f"{total}/{total}" in out  # the bar, filled
    assert out.index(lines[-1]) < out.index(f"dev/local:\n  {total} created")  # live lines first, then the summary
    assert "  InferenceService/ml-dev/fraud-detector created" not in out  # not listed twice


def test_piped_output_has_no_progress(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["apply", "--env", "dev", str(repo), "--yes"]) == 0
    out = capsys.readouterr().out
    assert "local: created" not in out and "\x1b[" not in out
    assert "  InferenceService/ml-dev/fraud-detector created" in out


class _Recorder:
    def __init__(self, cluster_dir: Path) -> None:
        self.cluster_dir = cluster_dir
        self.total: int | None = None
        self.seen: list[tuple[ChangeAction, int]] = []

    def started(self, target: Target, total: int) -> None:
        self.total = total

    def finished(self, target: Target, change: Change) -> None:
        self.seen.append((change.action, sum(1 for _ in self.cluster_dir.rglob("*.yaml"))))


def test_progress_is_reported_while_the_apply_runs_not_at_the_end(repo: Path) -> None:
    spec = load_spec(DirectorySource(repo))
    [target] = targets(spec, "dev", "r1")
    directory = repo / ".platformctl" / "clusters" / "dev"
    recorder = _Recorder(directory)
    from reconciler.engine import ApplyOptions

    result = reconcile(LocalDirCluster("local", directory), target, ApplyOptions(progress=recorder))
    assert result.ok and recorder.total == len(target.manifests)
    created = [files for action, files in recorder.seen if action is ChangeAction.CREATED]
    assert len(created) == len(target.manifests)
    assert created[0] < created[-1]  # objects were on the cluster one after another as they were reported


def test_plan_shows_a_spinner_on_a_terminal_only(repo: Path, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["plan", "--env", "dev", str(repo), "--no-diff"]) == 2
    assert "reading the clusters" not in capsys.readouterr().err
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main(["plan", "--env", "dev", str(repo), "--no-diff"]) == 2
    out, err = capsys.readouterr()
    assert "reading the clusters of dev and planning" in err and "reading" not in out
    assert re.search(r"\d+ to create", out)
