"""Kubernetes Events about managed objects: what to say (``EventNote``), how repeats aggregate
(``Correlator``), and where an Event goes (``EventRecorder``). Pure: no I/O here.

Like client-go's event correlator (which Flux's controllers use), an Event that repeats (same
object, type, reason and message) is not created again: the existing one's ``count`` and
``lastTimestamp`` are updated.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Literal, Protocol

from reconciler.objects import ObjectKey

COMPONENT = "platformctl"
"""The Event's ``source.component`` and ``reportingComponent``."""
MAX_MESSAGE = 1024
"""Characters of an Event's message kept (the API server refuses more than 1 KiB in events.k8s.io)."""

EventType = Literal["Normal", "Warning"]


@dataclass(frozen=True, slots=True)
class EventNote:
    """One thing to record about one object."""

    key: ObjectKey
    api_version: str
    type: EventType
    reason: str
    message: str
    revision: str = ""
    uid: str = ""

    def correlation(self) -> tuple[str, ...]:
        """Notes with the same correlation are one aggregated Event."""
        k = self.key
        return (k.group, k.kind, k.namespace, k.name, self.type, self.reason, self.message[:MAX_MESSAGE])


@dataclass(frozen=True, slots=True)
class Decision:
    """Create a new Event, or patch the count of the one already recorded."""

    name: str
    count: int
    first: str
    """The first occurrence's timestamp (RFC 3339)."""

    @property
    def create(self) -> bool:
        """Whether the Event is new."""
        return self.count == 1


class Correlator:
    """Remembers recent Events (least recently used forgotten first; not thread-safe)."""

    def __init__(self, capacity: int = 4096) -> None:
        self._capacity = capacity
        self._seen: OrderedDict[tuple[str, ...], Decision] = OrderedDict()

    def decide(self, note: EventNote, now: str, unique: str) -> Decision:
        """The Event for ``note`` at ``now``; ``unique`` (e.g. the time in hex nanoseconds) names a new one."""
        key = note.correlation()
        known = self._seen.pop(key, None)
        decision = Decision(known.name, known.count + 1, known.first) if known is not None else \
            Decision(event_name(note.key.name, unique), 1, now)
        self._seen[key] = decision
        while len(self._seen) > self._capacity:
            self._seen.popitem(last=False)
        return decision

    def restart(self, note: EventNote, now: str, unique: str) -> Decision:
        """The Event was gone (expired on the server): start it again at count 1."""
        self._seen.pop(note.correlation(), None)
        return self.decide(note, now, unique)


def event_name(object_name: str, unique: str) -> str:
    """``<object>.<unique>`` like client-go, within the 253 characters of a name."""
    return f"{object_name[:253 - len(unique) - 1]}.{unique}"


def event_body(note: EventNote, decision: Decision, now: str, instance: str) -> dict[str, object]:
    """The core/v1 Event object to create (cluster-scoped objects' Events go to ``default``)."""
    involved: dict[str, str] = {"kind": note.key.kind, "name": note.key.name}
    if note.api_version:
        involved["apiVersion"] = note.api_version
    if note.key.namespace:
        involved["namespace"] = note.key.namespace
    if note.uid:
        involved["uid"] = note.uid
    metadata: dict[str, object] = {"name": decision.name, "namespace": event_namespace(note)}
    if note.revision:
        metadata["annotations"] = {"platformctl.dev/revision": note.revision}
    return {
        "apiVersion": "v1", "kind": "Event", "metadata": metadata, "involvedObject": involved,
        "reason": note.reason, "message": note.message[:MAX_MESSAGE], "type": note.type,
        "source": {"component": COMPONENT}, "reportingComponent": COMPONENT, "reportingInstance": instance,
        "firstTimestamp": decision.first, "lastTimestamp": now, "count": decision.count,
    }


def count_patch(decision: Decision, now: str) -> dict[str, object]:
    """The merge patch of a repeated Event."""
    return {"count": decision.count, "lastTimestamp": now}


def event_namespace(note: EventNote) -> str:
    """Where the Event of an object lives: its namespace, ``default`` for a cluster-scoped object."""
    return note.key.namespace or "default"


class EventRecorder(Protocol):
    """Records Events on a cluster, best effort: ``record`` never blocks or raises."""

    def record(self, notes: list[EventNote]) -> None:
        """Queue ``notes`` (dropping what does not fit)."""
        ...

    def close(self, grace: float = 0.0) -> None:
        """Stop, after up to ``grace`` seconds for what is queued (the rest is dropped)."""
        ...


class NullRecorder:
    """Where Events have no place (a directory cluster): records nothing."""

    def record(self, notes: list[EventNote]) -> None:
        """Nothing to do."""

    def close(self, grace: float = 0.0) -> None:
        """Nothing to do."""
