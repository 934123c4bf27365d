"""Commits are read lazily: only the files asked for, each size checked before reading; budgets by revision."""

from __future__ import annotations

from pathlib import Path

import git
import pytest

from reconciler.budget import effective_budget
from reconciler.daemon.revisions import Rejections, RevisionRejected
from reconciler.source.budgets import AppliedBudgets, repository_budgets
from reconciler.source.git import GitRepository, RevisionTooLarge
from reconciler.spec.load import load
from reconciler.spec.sources import ReadBudget, SourceFileError
from tests.source.test_git import commit_all, platform_repo  # noqa: F401 - the fixture


def test_unrelated_files_are_listed_but_never_read(platform_repo: tuple[Path, git.Repo]) -> None:  # noqa: F811
    path, repo = platform_repo
    (path / "data").mkdir()
    for i in range(3):
        (path / "data" / f"{i}.bin").write_bytes(b"\0" * 1_000_000)
    commit_all(repo, "data")

    revision = GitRepository(path).read("HEAD")
    load(revision.source)

    assert "data/0.bin" in revision.source.files()
    read = revision.source.read_count
    assert read > 0 and revision.source.budget.used < 1_000_000  # the spec's files only
    revision.source.read("data/0.bin")
    assert revision.source.read_count == read + 1


def test_an_oversize_file_is_refused_from_its_header(platform_repo: tuple[Path, git.Repo]) -> None:  # noqa: F811
    path, repo = platform_repo
    (path / "big.yaml").write_bytes(b"#" * 2_000)
    commit_all(repo, "big")
    source = GitRepository(path).read("HEAD", max_file_bytes=1_000).source
    with pytest.raises(SourceFileError, match="file is 2000 bytes, over the limit of 1000"):
        source.read("big.yaml")
    assert source.read_count == 0


def test_the_total_read_counts_only_what_is_read() -> None:
    budget = ReadBudget(limit=100)
    budget.charge("a", 60)
    with pytest.raises(SourceFileError, match="over 100 bytes in all"):
        budget.charge("b", 41)
    budget.charge("c", 40)
    assert budget.used == 100


def test_a_tree_with_too_many_files_is_refused(platform_repo: tuple[Path, git.Repo],  # noqa: F811
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    path, _repo = platform_repo
    monkeypatch.setattr("reconciler.source.tree.MAX_TREE_ENTRIES", 5)
    with pytest.raises(RevisionTooLarge, match="more than 5 files"):
        GitRepository(path).read("HEAD")


def test_rejections_remember_judgements_not_failed_reads() -> None:
    rejections = Rejections(size=2)
    rejections.remember(RevisionRejected("a" * 40, "source", ["fetch failed"]))
    assert rejections.get("a" * 40) is None
    for commit in ("b", "c", "d"):
        rejections.remember(RevisionRejected(commit * 40, "size", ["too many files"]))
    assert rejections.get("b" * 40) is None and rejections.get("d" * 40) is not None


@pytest.mark.parametrize(("requested", "applied", "counted"), [(1.0, 0.2, 0.2), (0.1, 0.5, 0.1), (1.0, None, 0.3),
                                                              (0.2, None, 0.2)])
def test_the_stricter_budget_counts(requested: float, applied: float | None, counted: float) -> None:
    assert effective_budget(requested, applied) == counted


def test_budgets_are_read_once_per_revision_and_unknown_ones_are_none(
        platform_repo: tuple[Path, git.Repo]) -> None:  # noqa: F811
    path, repo = platform_repo
    commit = str(repo.head.commit.hexsha)
    reads: list[str] = []
    budgets = AppliedBudgets(lambda c: (reads.append(c), GitRepository(path).read(c).source)[1])
    assert budgets.budget(commit, "prod-cloud") == 0.2
    assert budgets.budget(commit, "staging") == 0.5
    assert reads == [commit]
    assert budgets.budget(f"{commit}-dirty", "prod-cloud") is None
    assert budgets.budget("unversioned", "prod-cloud") is None
    assert budgets.budget("0" * 40, "prod-cloud") is None  # not in the repository
    budgets.record("1" * 40, {"prod-cloud": 0.9})
    assert budgets.for_environment("prod-cloud")("1" * 40) == 0.9
    assert repository_budgets(path / "components").budget(commit, "prod-cloud") is None  # not a repository
