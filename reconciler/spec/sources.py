"""Where spec files come from: a reader protocol, path safety and glob matching (pure)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Protocol


class SourceFileError(Exception):
    """A file that cannot be read safely: outside the repo, too large, not a file."""

    def __init__(self, path: str, message: str, hint: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path, self.message, self.hint = path, message, hint


MAX_READ_BYTES = 16 * 1_048_576
"""Bytes one load may read in all (only the files the spec uses count; unrelated files are never read).
A 1,000-component platform is about 350 KiB; 16 MiB of YAML peaks near 300 MB once parsed and rendered."""


class ReadBudget:
    """Counts the bytes a load reads and refuses, before reading, a file that would go over the total."""

    def __init__(self, limit: int = MAX_READ_BYTES) -> None:
        self.limit = limit
        self.used = 0

    def charge(self, path: str, size: int) -> None:
        """Account ``size`` bytes for ``path``; SourceFileError (nothing charged) when over the total."""
        if self.used + size > self.limit:
            raise SourceFileError(path, f"reading it ({size} bytes) takes the files the platform uses over "
                                        f"{self.limit} bytes in all", "keep large files out of the paths the spec reads")
        self.used += size


class SourceReader(Protocol):
    """Read-only access to the files of one revision of the platform repository."""

    def read(self, path: str) -> bytes:
        """The bytes of ``path`` (relative, POSIX); raises SourceFileError."""
        ...

    def files(self) -> list[str]:
        """Every regular file of the repository, relative POSIX paths, sorted."""
        ...


def check_relative(path: str) -> str:
    """Refuse absolute paths and paths that climb out with ``..``; return the normalised path."""
    if not path or path.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", path):
        raise SourceFileError(path, "absolute paths are not allowed", "use a path relative to the repository root")
    parts = [p for p in path.replace("\\", "/").split("/") if p not in ("", ".")]
    if ".." in parts:
        raise SourceFileError(path, "path leaves the repository ('..')", "use a path inside the repository")
    return "/".join(parts)


@lru_cache(maxsize=256)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(f"^{out}$")


def glob(reader: SourceReader, pattern: str) -> list[str]:
    """Files matching a glob (``*``, ``?``, ``**/``) relative to the repository root."""
    regex = _glob_regex(check_relative(pattern))
    return [path for path in reader.files() if regex.match(path)]


class MemorySource:
    """A repository held in memory (tests, Git trees)."""

    def __init__(self, files: dict[str, bytes], refused: dict[str, str] | None = None) -> None:
        self._files = {check_relative(k): v for k, v in files.items()}
        self._refused = {check_relative(k): v for k, v in (refused or {}).items()}

    def read(self, path: str) -> bytes:
        """The bytes of ``path``; a file refused when the repository was read raises its reason."""
        path = check_relative(path)
        if path in self._refused:
            raise SourceFileError(path, self._refused[path], "replace it with a regular file within the limits")
        if path not in self._files:
            raise SourceFileError(path, "file not found", "check the path and that the file is committed")
        return self._files[path]

    def files(self) -> list[str]:
        """All paths (refused ones included, so globs still report them), sorted."""
        return sorted({*self._files, *self._refused})
