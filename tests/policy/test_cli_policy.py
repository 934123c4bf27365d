"""The commands enforce the operator policy: validate --policy, diff flags a head that breaks it, a broken file stops all."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.cli import main
from tests.review.conftest import edit, init_repo
from tests.spec.conftest import copy_platform

PROD = "environments/prod-onprem.yaml"


def test_diff_reports_a_head_that_moves_into_kube_system(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "platform"
    init_repo(repo)
    edit(repo / PROD, "  namespace: ml-prod\n", "  namespace: kube-system\n")
    assert main(["diff", str(repo), "--base", "main", "--head", "WORKTREE"]) == 1
    assert f"{PROD}:12:3: namespace 'kube-system' is reserved" in capsys.readouterr().err


def test_a_policy_file_that_does_not_load_is_an_error_never_no_policy(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    repo = copy_platform(tmp_path / "platform")
    broken = tmp_path / "policy.yaml"
    broken.write_text("kind: OperatorPolicy\nspec: {namespacez: []}\n")
    for args in (["validate", str(repo)], ["plan", "--env", "dev", str(repo)],
                 ["apply", "--env", "dev", str(repo), "--yes"]):
        assert main([*args, "--policy", str(broken)]) == 1
        assert f"{broken}:2:8: unknown key 'namespacez'" in capsys.readouterr().err
    assert main(["validate", str(repo), "--policy", str(tmp_path / "missing.yaml")]) == 1
    assert "cannot read the operator policy" in capsys.readouterr().err
    assert not (repo / ".platformctl").exists()  # nothing applied


def test_validate_reads_the_policy_from_the_environment_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    repo = copy_platform(tmp_path / "platform")
    policy = tmp_path / "policy.yaml"
    policy.write_text("kind: OperatorPolicy\nspec: {environments: {dev: {}}}\n")
    monkeypatch.setenv("PLATFORMCTL_POLICY", str(policy))
    assert main(["validate", str(repo)]) == 1
    assert "environment 'staging' has no rule in the operator policy" in capsys.readouterr().err
    assert main(["apply", "--env", "dev", str(repo), "--yes"]) == 0  # dev is listed


def test_the_daemon_stops_on_a_broken_policy_and_never_writes_its_own_namespace(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.review.conftest import commit_all

    repo = tmp_path / "platform"
    git_repo = init_repo(repo)
    broken = tmp_path / "policy.yaml"
    broken.write_text("kind: [\n")
    args = ["run", "--repo", str(repo), "--env", "dev", "--once", "--lease", "none", "--listen", "off"]
    assert main([*args, "--policy", str(broken)]) == 1
    assert f"{broken}:2:1: invalid YAML" in capsys.readouterr().err

    edit(repo / "environments/dev.yaml", "  namespace: ml-dev\n", "  namespace: ops\n")
    commit_all(git_repo, "dev: into the daemon's namespace")
    assert main([*args, "--own-namespace", "ops"]) == 1
    assert "environments/dev.yaml:13:3: namespace 'ops' is reserved" in capsys.readouterr().err
    assert not (repo / ".platformctl" / "clusters").exists()
