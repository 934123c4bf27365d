"""Opening the promotion of a verified version to the next stage: a branch in a real Git repository."""

from __future__ import annotations

from pathlib import Path

from reconciler.handoff import next_environments, open_promotions
from reconciler.source.directory import DirectorySource
from reconciler.spec.load import load
from tests.daemon.conftest import make_repo

REF = "serving/fraud-detector"


def test_the_next_stage_of_each_environment() -> None:
    spec = load(DirectorySource(Path(__file__).parents[2]))
    assert next_environments(spec, "dev") == ["staging"]
    assert next_environments(spec, "staging") == ["prod-onprem", "prod-cloud"]
    assert next_environments(spec, "prod-cloud") == []


def test_a_verified_version_is_opened_as_a_promotion_branch_once(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    head = repo.head()
    before = (repo.path / "environments" / "prod-cloud.yaml").read_text()
    (opened,) = open_promotions(repo.path, head, "staging", REF, "8")  # prod-onprem serves no models
    assert (opened.target, opened.branch, opened.note) == ("prod-cloud", "promote/prod-cloud/fraud-detector-8", "")
    assert opened.commit == repo.git("rev-parse", opened.branch)
    assert repo.head() == head and repo.git("status", "--porcelain") == ""  # the checkout is not touched
    after = repo.git("show", f"{opened.branch}:environments/prod-cloud.yaml") + "\n"
    assert after == before.replace('serving/fraud-detector: "7"', 'serving/fraud-detector: "8"')
    message = repo.git("log", "-1", "--format=%B", opened.branch)
    assert message.startswith("promote fraud-detector 7 -> 8 to prod-cloud")
    assert "after the progressive rollout of serving/fraud-detector 8 succeeded in staging" in message
    (again,) = open_promotions(repo.path, head, "staging", REF, "8")
    assert (again.commit, again.note) == (None, "already open")


def test_nothing_is_opened_for_a_version_the_environment_no_longer_runs_or_the_last_stage(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    (moved_on,) = open_promotions(repo.path, repo.head(), "staging", REF, "9")
    assert moved_on.commit is None and "no longer runs" in moved_on.note
    assert open_promotions(repo.path, repo.head(), "prod-cloud", REF, "7") == []
    assert "promote/" not in repo.git("branch", "--list")
