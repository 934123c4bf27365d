"""What the dashboard shows beyond the status: each target's recent reconciles, each component's health
changes, its last applied diff and the Events the daemon recorded about it. In memory, bounded.

Called holding the daemon's condition after ``OutcomeRecorder`` updated the target's state; only the
last ``MAX_RECONCILES`` reconciles per target, ``MAX_HEALTH_CHANGES`` health changes per component,
``MAX_EVENTS`` Events per target and the objects of each component's last write (the desired manifest,
shared with its revision, and the live object it changed as JSON) are kept.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import orjson

from reconciler.cluster.eventnote import EventNote
from reconciler.daemon.revisions import TargetKey
from reconciler.daemon.status import TargetState
from reconciler.daemon.worker import Outcome
from reconciler.diff import unified_diff
from reconciler.engine import ChangeAction
from reconciler.labels import LABEL_COMPONENT_REF
from reconciler.objects import Manifest, ObjectKey
from reconciler.plan import Action, PlanEntry

MAX_RECONCILES = 50
MAX_HEALTH_CHANGES = 100
MAX_EVENTS = 100
MAX_CHANGES = 200
"""Object changes kept per reconcile (a first apply of thousands keeps the counts, not every line)."""
CHANGED = (ChangeAction.CREATED, ChangeAction.CONFIGURED, ChangeAction.REPLACED, ChangeAction.PRUNED)


@dataclass(frozen=True, slots=True)
class ObjectChange:
    """One object's outcome in a reconcile."""

    object: str
    component: str
    action: str
    message: str


@dataclass(frozen=True, slots=True)
class Reconcile:
    """One finished reconcile of a target."""

    at: datetime
    revision: str
    reason: str
    outcome: str
    """``succeeded``, ``failed``, ``blocked`` (needs a new commit) or ``checked`` (a plan-only drift check)."""
    seconds: float
    counts: dict[str, int]
    changes: tuple[ObjectChange, ...]
    error: str | None
    seq: int = 0
    """Order of the daemon's reconciles (times of two targets may tie)."""

    @property
    def changed(self) -> int:
        """Objects created, configured, replaced or pruned."""
        return sum(n for action, n in self.counts.items() if action in CHANGED)


@dataclass(frozen=True, slots=True)
class HealthChange:
    """A component's health as of a reconcile at ``revision`` (kept when it differs from the one before)."""

    at: datetime
    status: str
    message: str
    revision: str


@dataclass(frozen=True, slots=True)
class WrittenEntry:
    """One object a reconcile wrote: its desired manifest (the revision's own, shared) and the live object
    it changed, as exact-size JSON: kept until the component is written again, a live copy as dicts would
    take ~4 KiB (after a commit that rewrites every object, 40 MiB at 10,000)."""

    key: ObjectKey
    action: Action
    desired: Manifest | None
    live: bytes | Manifest | None
    """JSON, or the object itself where it holds what JSON cannot (a directory cluster's YAML may)."""

    @classmethod
    def of(cls, entry: PlanEntry) -> WrittenEntry:
        """The entry as kept."""
        live: bytes | Manifest | None = entry.live
        if entry.live is not None:
            try:
                live = bytes(memoryview(orjson.dumps(entry.live)))  # orjson's own buffer is 4 KiB at least
            except TypeError:
                pass
        return cls(entry.key, entry.action, entry.desired, live)

    @property
    def diff(self) -> str:
        """The unified YAML diff, computed when shown (as ``PlanEntry.diff``)."""
        if self.action in (Action.UNCHANGED, Action.SKIP):
            return ""
        live = orjson.loads(self.live) if isinstance(self.live, bytes) else self.live
        return unified_diff(str(self.key), self.desired, live)


@dataclass(frozen=True, slots=True)
class AppliedDiff:
    """The last reconcile that wrote a component's objects: when, at which revision, and the objects it
    wrote (their diffs are computed when shown: a reconcile never pays for them)."""

    at: datetime
    revision: str
    entries: tuple[WrittenEntry, ...]


@dataclass(frozen=True, slots=True)
class EventEntry:
    """An Event the daemon recorded (or, for a directory cluster, would have)."""

    at: datetime
    component: str
    note: EventNote


@dataclass
class TargetHistory:
    """One target's bounded history."""

    reconciles: deque[Reconcile] = field(default_factory=lambda: deque(maxlen=MAX_RECONCILES))
    health: dict[str, list[HealthChange]] = field(default_factory=dict)
    """Oldest first, at most ``MAX_HEALTH_CHANGES`` each: lists, since most components have one change and
    an empty deque takes a 600-byte block (5 MiB at 7,800 components)."""
    diffs: dict[str, AppliedDiff] = field(default_factory=dict)
    events: deque[EventEntry] = field(default_factory=lambda: deque(maxlen=MAX_EVENTS))
    components: dict[str, str] = field(default_factory=dict)
    """Object (``Kind/ns/name``) to component, from the last plan (Events name objects, not components)."""


class History:
    """Every target's history (not thread-safe: the daemon calls it holding its condition)."""

    def __init__(self) -> None:
        self._targets: dict[TargetKey, TargetHistory] = {}
        self._seq = 0

    def of(self, key: TargetKey) -> TargetHistory:
        """The history of ``key`` (empty before its first reconcile)."""
        return self._targets.setdefault(key, TargetHistory())

    def known(self, key: TargetKey) -> TargetHistory | None:
        """The history of ``key`` if it has one."""
        return self._targets.get(key)

    def forget(self, key: TargetKey) -> None:
        """A target left the spec."""
        self._targets.pop(key, None)

    def record(self, key: TargetKey, state: TargetState, outcome: Outcome, at: datetime) -> None:
        """A finished reconcile of ``key`` (``state`` already updated by ``OutcomeRecorder``)."""
        if outcome.refused:
            return
        history = self.of(key)
        job, result = outcome.job, outcome.result
        revision = job.desired.target.revision
        if result.plan is not None:
            history.components = {str(e.key): component_of(e.desired or e.live or {}) for e in result.plan.entries}
        owner = history.components
        counts: dict[str, int] = {}
        for change in result.changes:
            counts[change.action.value] = counts.get(change.action.value, 0) + 1
        changes = tuple(ObjectChange(str(c.key), owner.get(str(c.key), ""), c.action.value, c.message)
                        for c in result.changes if c.action is not ChangeAction.UNCHANGED)[:MAX_CHANGES]
        outcome_text = ("succeeded" if result.ok else "blocked" if result.permanent else "failed") \
            if job.options.apply else ("checked" if result.ok else "failed")
        self._seq += 1
        history.reconciles.append(Reconcile(at, revision, job.reason, outcome_text, round(outcome.seconds, 3),
                                            counts, changes, result.error, self._seq))
        for row in state.rows:
            if row.component == "*":
                continue
            changes_of = history.health.setdefault(row.component, [])
            last = changes_of[-1] if changes_of else None
            if last is None or (last.status, last.message) != (row.health.status.value, row.health.message):
                changes_of.append(HealthChange(at, row.health.status.value, row.health.message, revision))
                del changes_of[:-MAX_HEALTH_CHANGES]
        if job.options.apply and result.plan is not None:
            written = {str(c.key) for c in result.changes if c.action in CHANGED or c.action is ChangeAction.FAILED}
            by_component: dict[str, list[PlanEntry]] = {}
            for entry in result.plan.entries:
                if entry.action in (Action.UNCHANGED, Action.SKIP) or str(entry.key) not in written:
                    continue
                by_component.setdefault(owner.get(str(entry.key), ""), []).append(entry)
            for component, entries in by_component.items():
                history.diffs[component] = AppliedDiff(at, revision, tuple(WrittenEntry.of(e) for e in entries))

    def events(self, key: TargetKey, notes: Iterable[EventNote], at: datetime) -> None:
        """Events the daemon recorded about ``key``'s objects."""
        history = self.of(key)
        for note in notes:
            history.events.append(EventEntry(at, history.components.get(str(note.key), ""), note))


def component_of(manifest: Manifest) -> str:
    """The component an object was rendered for (``kind/name``), as ``component_status`` names it."""
    labels = (manifest.get("metadata") or {}).get("labels") or {}
    return str(labels.get(LABEL_COMPONENT_REF, "(unknown)")).replace(".", "/", 1)

