"""Fixtures for review and promotion tests: the bundled platform committed in a real Git repository."""

from __future__ import annotations

from pathlib import Path

import git
import pytest

from tests.spec.conftest import copy_platform


def commit_all(repo: git.Repo, message: str) -> str:
    """Stage everything and commit; the new commit's SHA."""
    repo.git.add(A=True)
    repo.index.commit(message)
    return str(repo.head.commit.hexsha)


def init_repo(path: Path) -> git.Repo:
    """A Git repository at ``path`` with the bundled platform committed on ``main``."""
    copy_platform(path)
    repo = git.Repo.init(path, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "Test").set_value("user", "email", "t@example.com")
    commit_all(repo, "initial platform")
    return repo


def edit(path: Path, old: str, new: str) -> None:
    """Replace one exact, unique piece of a file's text."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} not found exactly once in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture
def platform_repo(tmp_path: Path) -> tuple[Path, git.Repo]:
    """The bundled platform in a fresh Git repository (one commit on main)."""
    path = tmp_path / "repo"
    return path, init_repo(path)
