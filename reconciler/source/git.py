"""Git as a source of platform revisions (GitPython lives only in reconciler.source).

Reads files straight from commit trees, so nothing touches a work tree someone else uses, and
only the files the platform uses (``source.tree``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import git

from reconciler.source.tree import MAX_FILE_BYTES, TreeSource, TreeTooLarge


class GitSourceError(Exception):
    """A repository, ref or fetch that cannot be used."""


class RevisionTooLarge(GitSourceError):
    """A commit that can never be read within the bounds: judged once per commit, not retried."""


@dataclass(frozen=True, slots=True)
class Revision:
    """A resolved commit and the files of the platform at it."""

    commit: str
    source: TreeSource


class GitRepository:
    """One local clone: resolve refs, read trees at commits, diff commits, fetch."""

    def __init__(self, path: Path) -> None:
        try:
            self.repo = git.Repo(path, search_parent_directories=False)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
            raise GitSourceError(f"{path} is not a Git repository") from exc

    @classmethod
    def clone(cls, url: str, path: Path, branch: str | None = None) -> GitRepository:
        """Clone (bare is not needed: we never check files out for reading) or open an existing clone."""
        if (path / ".git").exists() or (path / "HEAD").exists():
            return cls(path)
        try:
            if branch:
                git.Repo.clone_from(url, path, branch=branch)
            else:
                git.Repo.clone_from(url, path)
        except git.GitCommandError as exc:
            raise GitSourceError(f"cannot clone {url}: {_first_line(exc)}") from exc
        return cls(path)

    def fetch(self, remote: str = "origin", timeout: float = 60.0) -> None:
        """Fetch every branch of a remote (killed after ``timeout`` s); GitSourceError on failure, never 'empty'."""
        try:
            self.repo.remote(remote).fetch(prune=True, kill_after_timeout=timeout)
        except (git.GitCommandError, ValueError) as exc:
            raise GitSourceError(f"fetch from {remote} failed: {_first_line(exc)}") from exc

    def resolve(self, ref: str) -> str:
        """The full commit SHA a ref (branch, tag, remote branch, SHA, HEAD~1) points at."""
        try:
            return str(self.repo.commit(ref).hexsha)
        except (git.BadName, ValueError, git.GitCommandError) as exc:
            raise GitSourceError(f"unknown revision '{ref}'") from exc

    def read(self, ref: str, max_file_bytes: int = MAX_FILE_BYTES) -> Revision:
        """The files of the tree at ``ref``, read lazily (see ``source.tree``); RevisionTooLarge when
        the commit holds too many files to list."""
        commit = self.repo.commit(self.resolve(ref))
        try:
            files = TreeSource(self.repo, commit.tree, max_file_bytes=max_file_bytes)
        except TreeTooLarge as exc:
            raise RevisionTooLarge(f"tree at {ref} cannot be read: {exc}") from None
        return Revision(str(commit.hexsha), files)

    def changed_paths(self, old: str, new: str) -> list[str]:
        """Paths that differ between two commits."""
        diff = self.repo.commit(self.resolve(old)).diff(self.resolve(new))
        return sorted({p for d in diff for p in (d.a_path, d.b_path) if p})

    def close(self) -> None:
        """End the git processes this handle started (it must not be used after)."""
        self.repo.close()

    def is_dirty(self) -> bool:
        """Uncommitted changes to tracked files."""
        return bool(self.repo.is_dirty(untracked_files=False))


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[-1].strip() if text else type(exc).__name__
