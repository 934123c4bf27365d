"""Health values and roll-ups: Status, Health, worst(), roll_up(), unreachable() (pure).

Severity (worst first), used by every roll-up:

    Degraded > Missing > Unknown > Progressing > Suspended > Healthy

* Degraded: we know it is broken (a failed condition, a failed model load, a crash-looping pod).
* Missing: an object we expect is not there; nothing can serve from it.
* Unknown: we cannot tell (an unreachable cluster, a kind without a health check). It ranks above
  Progressing so that "we cannot see it" never reads as "it is on its way".
* Progressing: converging (starting, rolling out, a job still running, a controller yet to report).
* Suspended: stopped on purpose (a stopped notebook, a disabled schedule, a suspended job). It is
  what was asked for, so it ranks just above Healthy and below anything still moving.
* Healthy: working, or finished successfully (a succeeded experiment or job).

An empty roll-up is Healthy: nothing rendered means nothing is broken, and Healthy is the identity
of worst-of, so worst(worst(a), worst(b)) == worst(a + b) for the status.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum


class Status(str, Enum):
    """Health status of one object or of a roll-up."""

    HEALTHY = "Healthy"
    PROGRESSING = "Progressing"
    DEGRADED = "Degraded"
    SUSPENDED = "Suspended"
    MISSING = "Missing"
    UNKNOWN = "Unknown"

    @property
    def severity(self) -> int:
        """Rank for worst-of roll-ups: higher is worse (Healthy 0 ... Degraded 5)."""
        return _SEVERITY[self]

    def __str__(self) -> str:
        return self.value


_SEVERITY: dict[Status, int] = {
    Status.HEALTHY: 0,
    Status.SUSPENDED: 1,
    Status.PROGRESSING: 2,
    Status.UNKNOWN: 3,
    Status.MISSING: 4,
    Status.DEGRADED: 5,
}

# Roll-up messages quote at most this many of the worst entries.
_QUOTED = 3


@dataclass(frozen=True, slots=True)
class Health:
    """A status and, in plain words, why."""

    status: Status
    message: str

    def __str__(self) -> str:
        return f"{self.status.value}: {self.message}" if self.message else self.status.value

    def prefixed(self, label: str) -> Health:
        """The same health with ``label: `` in front of the message (to keep the object's name in a roll-up)."""
        return Health(self.status, f"{label}: {self.message}" if self.message else label)


def worst(healths: Iterable[Health]) -> Health:
    """The worst of several healths.

    The message quotes the worst entries (distinct messages, at most three, then "and N more")
    and counts the others. Empty input is Healthy ("nothing to check").
    """
    items = list(healths)
    if not items:
        return Health(Status.HEALTHY, "nothing to check")
    top = max(h.status.severity for h in items)
    status = next(h.status for h in items if h.status.severity == top)
    if len(items) == 1:
        return items[0]
    chosen = [h for h in items if h.status is status]
    messages = list(dict.fromkeys(h.message for h in chosen if h.message))
    text = "; ".join(messages[:_QUOTED])
    if len(messages) > _QUOTED:
        text += f"; and {len(messages) - _QUOTED} more"
    if status is Status.HEALTHY:
        return Health(status, f"all {len(items)} healthy")
    others = _counts(h for h in items if h.status is not status)
    head = f"{len(chosen)} of {len(items)} {status.value}" + (f": {text}" if text else "")
    return Health(status, f"{head} (others: {others})" if others else head)


def _counts(healths: Iterable[Health]) -> str:
    counted: dict[Status, int] = {}
    for h in healths:
        counted[h.status] = counted.get(h.status, 0) + 1
    ordered = sorted(counted.items(), key=lambda kv: -kv[0].severity)
    return ", ".join(f"{n} {s.value}" for s, n in ordered)


def roll_up(by_component: Mapping[str, Iterable[Health]]) -> dict[str, Health]:
    """Worst-of per key (component, environment or cluster), keys in the given order.

    Roll further up with ``worst(h.prefixed(name) for name, h in roll_up(...).items())``.
    """
    return {name: worst(healths) for name, healths in by_component.items()}


def unreachable(last_seen: datetime | None) -> Health:
    """The health of everything on a cluster we cannot reach: Unknown, never a stale Healthy.

    A naive ``last_seen`` is taken as UTC. Times are written as ISO 8601, UTC as ``Z``.
    """
    if last_seen is None:
        return Health(Status.UNKNOWN, "cluster unreachable; never seen")
    return Health(Status.UNKNOWN, f"cluster unreachable; last seen {iso(last_seen)}")


def iso(moment: datetime) -> str:
    """ISO 8601 to the second, UTC written as ``Z`` (naive times are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    moment = moment.astimezone(timezone.utc)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


MISSING = Health(Status.MISSING, "not found in the cluster")
