"""Track one branch of a Git repository: a local one (watched) or a remote one (cloned, fetched).

``head()`` answers "which commit should the platform be at now"; ``read(commit)`` returns the
files at that commit. Neither touches a work tree, so a developer's uncommitted edits in a
local repository are never applied.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Protocol

from reconciler.source.git import GitRepository, GitSourceError, Revision

_URL = re.compile(r"^([a-z][a-z0-9+.-]*://|[^/\s]+@[^/\s]+:)", re.IGNORECASE)


class Source(Protocol):
    """Where platform revisions come from."""

    description: str
    branch: str
    fetches: bool
    """Whether ``head()`` fetches from a remote (for the fetch metrics)."""

    @property
    def path(self) -> Path:
        """The local repository directory (the clone, for a remote)."""
        ...

    def head(self) -> str:
        """The commit the tracked branch points at now (a remote is fetched first); GitSourceError on failure."""
        ...

    def read(self, commit: str) -> Revision:
        """The platform files at ``commit``."""
        ...

    def watch_paths(self) -> list[tuple[Path, bool]]:
        """(directory, recursive) pairs whose changes may move the branch; empty when nothing can be watched."""
        ...


class LocalGitSource:
    """A repository on this machine; the branch moves when someone commits or pulls into it."""

    fetches = False

    def __init__(self, path: Path, branch: str) -> None:
        self.repository = GitRepository(path)
        self.branch = branch
        self._path = path
        self.description = f"{path} ({branch})"

    @property
    def path(self) -> Path:
        """The repository directory."""
        return self._path

    def head(self) -> str:
        """The commit of the local branch."""
        return self.repository.resolve(f"refs/heads/{self.branch}")

    def read(self, commit: str) -> Revision:
        """The files at ``commit``."""
        return self.repository.read(commit)

    def watch_paths(self) -> list[tuple[Path, bool]]:
        """The Git directory (HEAD, packed-refs; not recursive) and its refs (recursive)."""
        common = Path(self.repository.repo.common_dir)
        return [(common, False), (common / "refs", True)]


class RemoteGitSource:
    """A repository elsewhere, cloned once into ``directory`` and fetched on every ``head()``."""

    fetches = True

    def __init__(self, url: str, directory: Path, branch: str, remote: str = "origin") -> None:
        self.url = url
        self.branch = branch
        self.remote = remote
        self.description = f"{_redact(url)} ({branch})"
        self._directory = directory
        self._repository: GitRepository | None = None

    @property
    def path(self) -> Path:
        """The clone's directory."""
        return self._directory

    def head(self) -> str:
        """Clone on first use, then fetch, then resolve the remote-tracking branch."""
        if self._repository is None:
            self._directory.parent.mkdir(parents=True, exist_ok=True)
            self._repository = GitRepository.clone(self.url, self._directory, self.branch)
        else:
            self._repository.fetch(self.remote)
        return self._repository.resolve(f"refs/remotes/{self.remote}/{self.branch}")

    def read(self, commit: str) -> Revision:
        """The files at ``commit`` (a commit ``head()`` returned)."""
        if self._repository is None:
            raise GitSourceError(f"{self.description} has not been fetched yet")
        return self._repository.read(commit)

    def watch_paths(self) -> list[tuple[Path, bool]]:
        """Nothing: a remote moves without telling the file system (poll or use the webhook)."""
        return []


def is_url(location: str) -> bool:
    """Whether a repository location is a URL (``https://``, ``ssh://``, ``file://``, ``git@host:``)."""
    return bool(_URL.match(location))


def open_source(location: str, branch: str, clone_dir: Path) -> Source:
    """A LocalGitSource for a path, a RemoteGitSource (cloned into ``clone_dir``) for a URL."""
    if is_url(location):
        return RemoteGitSource(location, clone_dir, branch)
    return LocalGitSource(Path(location), branch)


def _redact(url: str) -> str:
    """A URL without credentials (``https://user:token@host`` -> ``https://***@host``)."""
    return re.sub(r"(://)[^/@]+@", r"\1***@", url)
