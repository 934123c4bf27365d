"""The ``--from`` instants of the schedules and diff commands."""

from __future__ import annotations

from datetime import UTC, datetime


def instant(text: str | None) -> datetime:
    """An ISO 8601 instant (UTC when it names no zone), or now; ValueError when ``text`` is none."""
    if not text:
        return datetime.now(UTC)
    value = datetime.fromisoformat(text)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
