"""Write to Git for promotion: a commit on a new branch built from a commit's tree, and a push.

The commit is assembled in a temporary index from the base commit's tree plus the changed files,
so neither the work tree nor the repository's index is touched: whoever works in the checkout
keeps their branch and files, and the new branch holds exactly the promotion.
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import git
from git.index.typ import BaseIndexEntry
from gitdb import IStream  # type: ignore[import-untyped]  # GitPython's own object store

from reconciler.source.git import GitSourceError, _first_line

REGULAR_FILE = 0o100644


class GitWriter:
    """Branches, commits and pushes in one local repository."""

    def __init__(self, path: Path) -> None:
        try:
            self.repo = git.Repo(path, search_parent_directories=False)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
            raise GitSourceError(f"{path} is not a Git repository") from exc

    def branch_exists(self, branch: str) -> bool:
        """Whether a local branch of that name exists."""
        return branch in {head.name for head in self.repo.heads}

    def check_branch_name(self, branch: str) -> None:
        """Raise GitSourceError unless ``branch`` is a valid new branch name."""
        try:
            self.repo.git.check_ref_format("--branch", branch)
        except git.GitCommandError:
            raise GitSourceError(f"'{branch}' is not a valid branch name") from None
        if self.branch_exists(branch):
            raise GitSourceError(f"branch '{branch}' already exists; delete it or choose another with --branch")

    def commit_on_branch(self, branch: str, files: dict[str, bytes], message: str, base: str = "HEAD") -> str:
        """Commit ``files`` (repository paths -> new contents) on top of ``base`` as new branch ``branch``."""
        self.check_branch_name(branch)
        try:
            parent = self.repo.commit(base)
        except (git.BadName, ValueError) as exc:
            raise GitSourceError(f"unknown revision '{base}'") from exc
        index = git.IndexFile.from_tree(self.repo, parent)  # an in-memory index, not .git/index
        entries = []
        for path, data in sorted(files.items()):
            stored = self.repo.odb.store(IStream(git.Blob.type, len(data), BytesIO(data)))
            entries.append(BaseIndexEntry((self._mode(parent, path), stored.binsha, 0, path)))
        index.add(entries, write=False)
        tree = index.write_tree()
        commit = git.Commit.create_from_tree(self.repo, tree, message, parent_commits=[parent], head=False)
        self.repo.create_head(branch, commit)
        return str(commit.hexsha)

    def remote_url(self, remote: str = "origin") -> str:
        """The URL of ``remote``; GitSourceError when there is no such remote."""
        try:
            return str(self.repo.remote(remote).url)
        except ValueError:
            raise GitSourceError(f"no remote named '{remote}'") from None

    def current_branch(self) -> str:
        """The branch checked out; GitSourceError on a detached HEAD."""
        try:
            return str(self.repo.active_branch.name)
        except TypeError:
            raise GitSourceError("HEAD is detached: no branch for the pull request to target") from None

    def push(self, branch: str, remote: str = "origin") -> None:
        """Push a local branch to the same name on ``remote``; GitSourceError when it is refused."""
        try:
            results = self.repo.remote(remote).push(f"refs/heads/{branch}:refs/heads/{branch}")
        except (git.GitCommandError, ValueError) as exc:
            raise GitSourceError(f"push to {remote} failed: {_first_line(exc)}") from exc
        bad = git.PushInfo.ERROR | git.PushInfo.REJECTED | git.PushInfo.REMOTE_REJECTED
        failed = [r for r in results if r.flags & bad]
        if failed or not results:
            summary = failed[0].summary.strip() if failed else "nothing was pushed"
            raise GitSourceError(f"push of {branch} to {remote} failed: {summary}")

    @staticmethod
    def _mode(parent: git.Commit, path: str) -> int:
        try:
            return int(parent.tree[path].mode)
        except KeyError:
            return REGULAR_FILE
