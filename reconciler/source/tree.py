"""One commit's files, read lazily: paths come from the tree objects, a blob is read only when the
loader asks for it, and its size (from the object header) is checked before any byte is read.

A commit carrying hundreds of MiB of files the platform never uses costs a tree walk and nothing
more; the total that may be read counts only the files the spec reads (``ReadBudget``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import git

from reconciler.spec.sources import ReadBudget, SourceFileError, check_relative

MAX_TREE_ENTRIES = 100_000
"""Files a commit may hold at all (listing them is the one cost every file pays)."""
MAX_FILE_BYTES = 8 * 1_048_576
_SYMLINK = 0o120000
_REGULAR = (0o100644, 0o100755, 0o100664)


class TreeTooLarge(Exception):
    """A commit with more files than can be listed safely (the same answer on every read)."""


@dataclass(frozen=True, slots=True)
class _Entry:
    binsha: bytes
    mode: int


class TreeSource:
    """A SourceReader over one commit of a repository (used on one thread at a time, like the repository)."""

    def __init__(self, repo: git.Repo, tree: git.Tree, *, max_file_bytes: int = MAX_FILE_BYTES,
                 budget: ReadBudget | None = None) -> None:
        self._repo = repo
        self.max_file_bytes = max_file_bytes
        self.budget = budget or ReadBudget()
        self.read_count = 0
        """Blobs read so far (tests and benchmarks check that unrelated files are never read)."""
        self._entries = _list(tree)
        self._paths = sorted(self._entries)

    def files(self) -> list[str]:
        """Every file of the commit (symlinks and refused files included, so globs report them), sorted."""
        return self._paths

    def read(self, path: str) -> bytes:
        """The bytes of ``path``; a symlink is followed only to a file inside the tree."""
        rel = check_relative(path)
        entry = self._entries.get(rel)
        if entry is None:
            raise SourceFileError(rel, "file not found", "check the path and that the file is committed")
        if entry.mode == _SYMLINK:
            rel, entry = self._follow(rel, entry)
        elif entry.mode not in _REGULAR:
            raise SourceFileError(rel, "not a regular file", "point at a regular file")
        return self._blob(rel, entry, self.max_file_bytes)

    def _follow(self, path: str, link: _Entry) -> tuple[str, _Entry]:
        target = self._blob(path, link, 4096).decode("utf-8", "replace")
        try:
            resolved = check_relative(os.path.normpath(os.path.join(os.path.dirname(path), target)))
        except SourceFileError:
            raise SourceFileError(path, "path leaves the repository (symlink to outside)",
                                  "replace the symlink with the file itself") from None
        entry = self._entries.get(resolved)
        if entry is None or entry.mode not in _REGULAR:
            raise SourceFileError(path, "symlink to a file that is not in the repository",
                                  "replace the symlink with the file itself")
        return resolved, entry

    def _blob(self, path: str, entry: _Entry, limit: int) -> bytes:
        size = int(self._repo.odb.info(entry.binsha).size)  # the object header: no content is read
        if size > limit:
            raise SourceFileError(path, f"file is {size} bytes, over the limit of {limit}", "split it into smaller files")
        self.budget.charge(path, size)
        self.read_count += 1
        return bytes(self._repo.odb.stream(entry.binsha).read())


def _list(tree: git.Tree) -> dict[str, _Entry]:
    """Paths and object ids of every blob (submodules are skipped: they are other repositories)."""
    found: dict[str, _Entry] = {}
    for item in tree.traverse():
        if not isinstance(item, git.Blob):
            continue
        if len(found) >= MAX_TREE_ENTRIES:
            raise TreeTooLarge(f"the commit holds more than {MAX_TREE_ENTRIES} files")
        found[str(item.path)] = _Entry(item.binsha, int(item.mode))
    return found
