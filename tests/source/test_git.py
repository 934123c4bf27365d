"""Reading platform revisions from real Git repositories built in tmp_path."""

from __future__ import annotations

import os
from pathlib import Path

import git
import pytest

from reconciler.errors import SpecErrors
from reconciler.source.git import GitRepository, GitSourceError
from reconciler.spec.load import load
from tests.spec.conftest import copy_platform


def commit_all(repo: git.Repo, message: str) -> str:
    repo.git.add(A=True)
    repo.index.commit(message)
    return str(repo.head.commit.hexsha)


@pytest.fixture
def platform_repo(tmp_path: Path) -> tuple[Path, git.Repo]:
    path = copy_platform(tmp_path / "repo")
    repo = git.Repo.init(path, initial_branch="main")
    repo.config_writer().set_value("user", "name", "Test").set_value("user", "email", "t@example.com").release()
    commit_all(repo, "initial platform")
    return path, repo


def test_reads_the_platform_at_any_commit_without_touching_the_work_tree(platform_repo: tuple[Path, git.Repo]) -> None:
    path, repo = platform_repo
    first = str(repo.head.commit.hexsha)
    serving = path / "components" / "serving" / "fraud-detector.yaml"
    serving.write_text(serving.read_text().replace('version: "7"', 'version: "9"'))
    second = commit_all(repo, "fraud v9")
    serving.write_text("uncommitted garbage: [")

    source = GitRepository(path)
    old, new = load(source.read(first).source), load(source.read("main").source)

    assert source.read("main").commit == second
    assert old.components["serving/fraud-detector"].doc.spec.version == "7"  # type: ignore[union-attr]
    assert new.components["serving/fraud-detector"].doc.spec.version == "9"  # type: ignore[union-attr]
    assert source.changed_paths(first, second) == ["components/serving/fraud-detector.yaml"]
    assert serving.read_text() == "uncommitted garbage: ["


def test_unknown_refs_are_refused(platform_repo: tuple[Path, git.Repo]) -> None:
    path, _repo = platform_repo
    with pytest.raises(GitSourceError, match="unknown revision 'nope'"):
        GitRepository(path).resolve("nope")
    with pytest.raises(GitSourceError, match="not a Git repository"):
        GitRepository(path / "components")


def test_committed_symlink_out_of_the_repository_is_refused(platform_repo: tuple[Path, git.Repo]) -> None:
    path, repo = platform_repo
    target = path / "components" / "serving" / "fraud-detector.yaml"
    target.unlink()
    os.symlink("/etc/passwd", target)
    commit_all(repo, "sneaky link")
    with pytest.raises(SpecErrors) as caught:
        load(GitRepository(path).read("HEAD").source)
    assert str(caught.value.errors[0]).startswith(
        "components/serving/fraud-detector.yaml:1:1: path leaves the repository (symlink to outside)")


def test_fetch_from_a_missing_remote_fails_loudly(platform_repo: tuple[Path, git.Repo], tmp_path: Path) -> None:
    path, repo = platform_repo
    repo.create_remote("origin", str(tmp_path / "gone.git"))
    with pytest.raises(GitSourceError, match="fetch from origin failed"):
        GitRepository(path).fetch()


def test_clone_and_fetch_a_new_commit(platform_repo: tuple[Path, git.Repo], tmp_path: Path) -> None:
    path, repo = platform_repo
    clone = GitRepository.clone(str(path), tmp_path / "clone", branch="main")
    (path / "README.md").write_text("hello\n")
    new = commit_all(repo, "docs")
    clone.fetch()
    assert clone.resolve("origin/main") == new
