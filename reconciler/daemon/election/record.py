"""The lease record and what a store of it must do: conditional reads and writes (pure).

A store reads the record and writes it conditionally: ``create`` fails when the lease exists,
``update`` fails when the record changed since it was read (a version precondition). Both
failures are ``LeaseConflict``: another replica won the race.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class LeaseRecord:
    """Who holds the lease, for how long, and the store's version of the record."""

    holder: str
    """``holderIdentity``; empty when released."""
    duration: int
    """``leaseDurationSeconds``."""
    acquire_time: datetime | None = None
    renew_time: datetime | None = None
    transitions: int = 0
    """``leaseTransitions``: how often the holder changed."""
    version: str = ""
    """``resourceVersion`` as read; the precondition of the next update."""


class LeaseConflict(Exception):
    """The lease changed (or appeared) since it was read: another replica got there first."""


class LeaseStore(Protocol):
    """Conditional reads and writes of one lease."""

    description: str

    def get(self) -> LeaseRecord | None:
        """The current record, or None when there is no lease yet."""
        ...

    def create(self, record: LeaseRecord) -> LeaseRecord:
        """Create the lease; LeaseConflict when it exists already."""
        ...

    def update(self, record: LeaseRecord) -> LeaseRecord:
        """Replace the lease if its version is still ``record.version``; LeaseConflict otherwise."""
        ...


def format_micro_time(moment: datetime | None) -> str | None:
    """Kubernetes MicroTime: ``2006-01-02T15:04:05.000000Z``."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_micro_time(text: object) -> datetime | None:
    """A MicroTime (or Time) string as an aware datetime; None when absent or unreadable."""
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None
