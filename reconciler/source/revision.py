"""Name the source revision of a local checkout (GitPython is confined to reconciler.source)."""

from __future__ import annotations

from pathlib import Path

UNVERSIONED = "unversioned"


def describe_revision(path: Path) -> str:
    """The Git commit at ``path`` (with ``-dirty`` when the tree has changes), or ``unversioned``."""
    import git  # imported here: validate should not pay for GitPython's start-up

    try:
        repo = git.Repo(path, search_parent_directories=True)
        sha = repo.head.commit.hexsha
    except (git.InvalidGitRepositoryError, git.NoSuchPathError, ValueError):
        return UNVERSIONED
    return f"{sha}-dirty" if repo.is_dirty(untracked_files=False) else sha
