"""Training versions are promoted like any other kind: the pin line moves, and the new pin is a new run."""

from __future__ import annotations

from pathlib import Path

from reconciler.cli import main
from tests.review.conftest import init_repo


def test_promoting_a_training_run_moves_its_pin_to_the_version_staging_runs(tmp_path: Path) -> None:
    path = tmp_path / "repo"
    repo = init_repo(path)
    before = (path / "environments/prod-onprem.yaml").read_text()
    assert main(["promote", "-C", str(path), "fraud-pretrain", "--from", "staging", "--to", "prod-onprem"]) == 0
    branch = "promote/prod-onprem/fraud-pretrain"
    after = str(repo.git.show(f"{branch}:environments/prod-onprem.yaml")) + "\n"
    assert after == before.replace('training/fraud-pretrain: "1"', 'training/fraud-pretrain: "2"')
    assert "- training/fraud-pretrain: 1 -> 2" in repo.commit(branch).message
