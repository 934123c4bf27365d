"""An alert: one thing an operator should hear about a target or the source (pure data)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class AlertKind(StrEnum):
    """What happened (the values are the names used in the notifications file's ``alerts`` filter)."""

    SYNC_FAILED = "sync-failed"
    """A reconcile failed (or was refused: an object needs replacement)."""
    DEGRADED = "degraded"
    """A component's health turned Degraded or Missing."""
    DRIFT = "drift"
    """A drift check found objects that differ from Git."""
    REVISION_REJECTED = "revision-rejected"
    """A commit failed to load, verify or pass the operator policy; the last good one keeps running."""
    RECOVERED = "recovered"
    """A target (or the source) that had a problem is fine again."""


ALL_KINDS: tuple[AlertKind, ...] = tuple(AlertKind)


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert. ``environment``/``cluster`` are empty for the source (a rejected revision)."""

    kind: AlertKind
    message: str
    revision: str | None = None
    """The commit the alert is about (a commit status is set on it); None when unknown."""
    environment: str = ""
    cluster: str = ""
    component: str = ""
    details: tuple[str, ...] = field(default=())
    """Further lines (located spec errors, failed objects), already bounded by the producer."""

    @property
    def error(self) -> bool:
        """Whether it reports a problem (every kind but ``recovered``)."""
        return self.kind is not AlertKind.RECOVERED

    @property
    def subject(self) -> str:
        """What it is about: ``env/cluster[/component]``, or ``source``."""
        if not self.environment:
            return "source"
        return "/".join(p for p in (self.environment, self.cluster, self.component) if p)

    def dedupe_key(self) -> tuple[str, ...]:
        """Alerts with the same key within the dedupe window are one alert."""
        return (self.kind.value, self.environment, self.cluster, self.component, self.revision or "",
                self.message)

    def title(self) -> str:
        """One line: kind, subject and revision."""
        at = f" at {self.revision[:12]}" if self.revision else ""
        return f"[{self.kind.value}] {self.subject}{at}"
