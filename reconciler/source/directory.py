"""Read a platform repository from a local directory, safely."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from reconciler.spec.sources import ReadBudget, SourceFileError, check_relative
from reconciler.spec.yamlio import DEFAULT_LIMITS


class DirectorySource:
    """A SourceReader over a directory: no symlinks out, no special files, bounded sizes."""

    def __init__(self, root: Path, max_file_bytes: int = DEFAULT_LIMITS.max_file_bytes * 8) -> None:
        self.root = root.resolve()
        self.max_file_bytes = max_file_bytes
        self.budget = ReadBudget()
        """Bytes read in all (one DirectorySource serves one load)."""
        self._files: list[str] | None = None
        self._root_prefix = str(self.root).rstrip("/") + "/"
        self._directories: dict[str, str] = {}
        """Directory (relative) -> where it resolves: each directory is resolved once, not once per file."""

    def read(self, path: str) -> bytes:
        """The bytes of ``path``, refused when it resolves outside the repository or is too big."""
        rel = check_relative(path)
        try:
            resolved = self._resolve(rel)
        except (FileNotFoundError, NotADirectoryError, RuntimeError):
            raise SourceFileError(rel, "file not found", "check the path and that the file is committed") from None
        if not resolved.startswith(self._root_prefix):
            raise SourceFileError(rel, "path leaves the repository (symlink to outside)",
                                  "replace the symlink with the file itself")
        try:  # non-blocking: opening a FIFO must not wait for a writer; judged by what was opened, not a stat before
            descriptor = os.open(resolved, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except (FileNotFoundError, NotADirectoryError):
            raise SourceFileError(rel, "file not found", "check the path and that the file is committed") from None
        with open(descriptor, "rb") as handle:
            info = os.fstat(descriptor)
            if not stat.S_ISREG(info.st_mode):
                raise SourceFileError(rel, "not a regular file", "point at a regular file")
            if info.st_size > self.max_file_bytes:
                raise SourceFileError(rel, f"file is {info.st_size} bytes, over the limit of {self.max_file_bytes}",
                                      "split it into smaller files")
            self.budget.charge(rel, info.st_size)
            return handle.read(self.max_file_bytes + 1)

    def _resolve(self, rel: str) -> str:
        """Where ``rel`` resolves (symlinks followed), with its directory's resolution cached."""
        directory, _, name = rel.rpartition("/")
        parent = self._directories.get(directory)
        if parent is None:
            parent = str((self.root / directory).resolve(strict=True)) if directory else str(self.root)
            self._directories[directory] = parent
        candidate = f"{parent}/{name}"
        if stat.S_ISLNK(os.lstat(candidate).st_mode):
            return str(Path(candidate).resolve(strict=True))
        return candidate

    def files(self) -> list[str]:
        """Every file under the root (symlinked directories are not followed), skipping VCS and venvs."""
        if self._files is None:
            found: list[str] = []
            for dirpath, dirnames, filenames in os.walk(self.root):
                dirnames[:] = sorted(d for d in dirnames if d not in _SKIPPED_DIRS)
                rel_dir = os.path.relpath(dirpath, self.root)
                for name in filenames:
                    found.append(name if rel_dir == "." else f"{rel_dir}/{name}".replace(os.sep, "/"))
            self._files = sorted(found)
        return self._files


_SKIPPED_DIRS = {".git", ".venv", "node_modules", "__pycache__", ".mypy_cache", ".hypothesis", ".pytest_cache"}
