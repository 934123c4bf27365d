"""A revision's files with some replaced: how an edit is validated before it is committed (pure)."""

from __future__ import annotations

from reconciler.spec.sources import SourceReader, check_relative


class OverlaySource:
    """A SourceReader that serves ``changes`` over ``base`` (same paths, same refusals elsewhere)."""

    def __init__(self, base: SourceReader, changes: dict[str, bytes]) -> None:
        self.base = base
        self.changes = {check_relative(path): data for path, data in changes.items()}

    def read(self, path: str) -> bytes:
        """The changed bytes of ``path``, else the base's."""
        key = check_relative(path)
        return self.changes[key] if key in self.changes else self.base.read(key)

    def files(self) -> list[str]:
        """The base's files and any new ones, sorted."""
        return sorted({*self.base.files(), *self.changes})
