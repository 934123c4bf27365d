"""Git as a source of platform revisions (GitPython lives only in reconciler.source).

Reads files straight from commit trees, so nothing touches a work tree someone else uses.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import git

from reconciler.spec.sources import MemorySource, SourceFileError, check_relative

MAX_TREE_BYTES = 256 * 1_048_576


class GitSourceError(Exception):
    """A repository, ref or fetch that cannot be used."""


@dataclass(frozen=True, slots=True)
class Revision:
    """A resolved commit and the files of the platform at it."""

    commit: str
    source: MemorySource


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

    def read(self, ref: str, max_file_bytes: int = 8 * 1_048_576) -> Revision:
        """Every file of the tree at ``ref``, in memory; symlinks pointing out of the tree are refused."""
        commit = self.repo.commit(self.resolve(ref))
        files: dict[str, bytes] = {}
        links: dict[str, str] = {}
        refused: dict[str, str] = {}
        total = 0
        for blob in commit.tree.traverse():
            if not isinstance(blob, git.Blob):
                continue
            path = str(blob.path)
            if blob.mode == 0o120000:  # a symlink: followed only when its target stays inside the tree
                target = blob.data_stream.read().decode("utf-8", "replace")
                resolved = os.path.normpath(os.path.join(os.path.dirname(path), target))
                try:
                    links[path] = check_relative(resolved)
                except SourceFileError:
                    refused[path] = "path leaves the repository (symlink to outside)"
                continue
            if blob.size > max_file_bytes:
                refused[path] = f"file is {blob.size} bytes, over the limit of {max_file_bytes}"
                continue
            total += blob.size
            if total > MAX_TREE_BYTES:
                raise GitSourceError(f"tree at {ref} is larger than {MAX_TREE_BYTES} bytes")
            files[path] = blob.data_stream.read()
        for path, target in links.items():
            if target in files:
                files[path] = files[target]
            else:
                refused[path] = "symlink to a file that is not in the repository"
        return Revision(str(commit.hexsha), MemorySource(files, refused))

    def changed_paths(self, old: str, new: str) -> list[str]:
        """Paths that differ between two commits."""
        diff = self.repo.commit(self.resolve(old)).diff(self.resolve(new))
        return sorted({p for d in diff for p in (d.a_path, d.b_path) if p})

    def is_dirty(self) -> bool:
        """Uncommitted changes to tracked files."""
        return bool(self.repo.is_dirty(untracked_files=False))


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[-1].strip() if text else type(exc).__name__
