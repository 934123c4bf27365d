"""Pair desired with live and the inventory: what to create, update, replace, leave, prune or skip (pure).

One function (``make_plan``) yields every decision, including what to prune, in the spirit of
gitops-engine's reconcile and kapp's change set. An update that changes a field the server
refuses to change (``reconciler.immutable``: a PVC's storage class, a shrinking storage request,
a PipelineVersion's spec) is planned as ``replace``: the object must be deleted and created again,
which the engine does only when asked to (``ApplyOptions.replace``).

What may be deleted at all (a prune, or the delete half of a replacement) follows the ownership
rule of ``reconciler.owned`` when the plan is given a ``Scope``: an inventory entry that fails it
is planned as ``skip`` with the reason, never as ``prune``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from reconciler.diff import in_sync, unified_diff
from reconciler.immutable import FieldChange, immutable_changes
from reconciler.kinds import apply_rank, by_kind
from reconciler.labels import ANNOTATION_KEEP, ANNOTATION_SOURCE, FIELD_MANAGER, LABEL_COMPONENT_REF
from reconciler.objects import Manifest, ObjectKey
from reconciler.owned import NOT_OURS, not_ours, outside_scope
from reconciler.tenancy import Scope

class Action(str, Enum):
    """What the plan does with one object."""

    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    """Needs replacement: the change touches a field the server refuses to change after creation."""
    UNCHANGED = "unchanged"
    PRUNE = "prune"
    SKIP = "skip"


RELEASED = "released: platformctl forgets it and leaves it in place"
ONE_SHOT_GONE = "this run was created before and is gone from the cluster; a run is never started again " \
                "(pin a new version to start a new run)"


@dataclass(frozen=True, slots=True)
class PlanEntry:
    """One decision: the object, the action, why, and the diff a reviewer reads."""

    key: ObjectKey
    action: Action
    desired: Manifest | None = None
    live: Manifest | None = None
    reason: str = ""
    immutable: tuple[FieldChange, ...] = ()
    """For ``replace``: each refused field with its live and desired value."""
    undeletable: str = ""
    """For ``replace``: why platformctl must not delete the live object (not in its inventory,
    annotated to keep, or also applied by others); empty when ``--replace`` may delete it."""

    @property
    def diff(self) -> str:
        """The unified YAML diff of a change, computed when shown (an apply never pays for it)."""
        if self.action in (Action.UNCHANGED, Action.SKIP):
            return ""
        return unified_diff(str(self.key), self.desired, self.live)


@dataclass(frozen=True, slots=True)
class Plan:
    """Every decision for one (environment, cluster), writes in apply order, prunes in reverse."""

    entries: tuple[PlanEntry, ...]
    owned_before: int

    def by_action(self, action: Action) -> list[PlanEntry]:
        """Entries with one action."""
        return [e for e in self.entries if e.action is action]

    @property
    def writes(self) -> list[PlanEntry]:
        """Creates, updates and replacements, in apply order."""
        return [e for e in self.entries if e.action in (Action.CREATE, Action.UPDATE, Action.REPLACE)]

    @property
    def replacements(self) -> list[PlanEntry]:
        """Objects that need replacement (a change the server refuses), in apply order."""
        return self.by_action(Action.REPLACE)

    @property
    def prunes(self) -> list[PlanEntry]:
        """Objects to delete, in reverse apply order."""
        return self.by_action(Action.PRUNE)

    @property
    def not_ours(self) -> list[PlanEntry]:
        """Inventory entries the ownership rule refuses to delete (reported, never deleted)."""
        return [e for e in self.entries if e.action is Action.SKIP and e.reason.startswith(NOT_OURS)]

    @property
    def left_in_place(self) -> list[tuple[ObjectKey, str]]:
        """Stale entries the plan does not delete (protected, kept, shared, not ours, pruning off): still owned,
        as (key, apiVersion) pairs for the inventory."""
        return [(e.key, str(e.live["apiVersion"])) for e in self.entries
                if e.action is Action.SKIP and e.desired is None and e.live is not None]

    @property
    def has_changes(self) -> bool:
        """Whether applying would change anything."""
        return any(e.action in (Action.CREATE, Action.UPDATE, Action.REPLACE, Action.PRUNE) for e in self.entries)


def make_plan(
    desired: list[Manifest],
    live: Mapping[ObjectKey, Manifest],
    inventory: frozenset[ObjectKey],
    *,
    prune_protected: bool = False,
    scope: Scope | None = None,
    kept: frozenset[ObjectKey] = frozenset(),
    hold: str = "",
    release: bool = False,
) -> Plan:
    """Decide per object. Pruning considers the inventory only: labels never make an object ours.

    ``scope``: check every deletion against the ownership rule (the engine always gives one; None
    only where no live object exists to check, e.g. comparing two Git revisions). ``kept``: the
    inventory's entries a past prune left in place (not counted as owned while they stay).
    ``hold``: why nothing may be pruned now (every stale entry is skipped with it). ``release``:
    entries left in place are forgotten (the reason says so; the engine drops them from the inventory).
    """
    entries: list[PlanEntry] = []
    wanted = {ObjectKey.of(m): m for m in desired}

    def foreign(key: ObjectKey, obj: Manifest) -> str:
        return not_ours(key, obj, scope) if scope is not None else ""

    for key, manifest in wanted.items():
        current = live.get(key)
        if current is None and key in inventory and by_kind(key.kind).one_shot:
            entries.append(PlanEntry(key, Action.SKIP, manifest, None, ONE_SHOT_GONE))
        elif current is None:
            entries.append(PlanEntry(key, Action.CREATE, manifest, None))
        elif in_sync(manifest, current):
            entries.append(PlanEntry(key, Action.UNCHANGED, manifest, current))
        elif refused := immutable_changes(manifest, current):
            undeletable = ("platformctl did not create it (not in its inventory); it never deletes such objects"
                           if key not in inventory else foreign(key, current)
                           or _keep_reason(current, prune_protected=True))
            entries.append(PlanEntry(key, Action.REPLACE, manifest, current, replacement_reason(manifest, refused),
                                     tuple(refused), undeletable))
        else:
            reason = "" if key in inventory else "adopting an object platformctl did not create"
            entries.append(PlanEntry(key, Action.UPDATE, manifest, current, reason))
    stale = [key for key in inventory if key not in wanted]
    prunes: list[PlanEntry] = []
    still_kept = 0
    for key in stale:
        current = live.get(key)
        if current is None:
            # Gone, or never read (outside this environment's scope): it leaves the inventory, but an
            # entry no environment here could own is reported once, since someone wrote it there.
            misplaced = outside_scope(key, scope) if scope is not None else ""
            if misplaced:
                entries.append(PlanEntry(key, Action.SKIP, None, None,
                                         f"{misplaced}; left alone and dropped from the inventory"))
            continue
        keep = hold or foreign(key, current) or _keep_reason(current, prune_protected)
        if keep:
            entries.append(PlanEntry(key, Action.SKIP, None, current, f"{keep}; {RELEASED}" if release else keep))
            still_kept += key in kept
        else:
            prunes.append(PlanEntry(key, Action.PRUNE, None, current))
    prunes.sort(key=lambda e: (-apply_rank(e.live or {}), e.key))
    ordered = sorted(entries, key=lambda e: (apply_rank(e.desired or e.live or {}), e.key))
    # A kept object a prune already left in place is not counted as owned while it stays: ten
    # kept claims would otherwise let a plan delete three times as much of what is really managed.
    return Plan(tuple(ordered + prunes), len(inventory) - still_kept)


def replacement_reason(desired: Manifest, refused: list[FieldChange]) -> str:
    """Why an object needs replacement: the refused fields (old -> new) and the component that renders it."""
    metadata = desired.get("metadata") or {}
    component = str((metadata.get("labels") or {}).get(LABEL_COMPONENT_REF, "")).replace(".", "/", 1)
    source = (metadata.get("annotations") or {}).get(ANNOTATION_SOURCE)
    origin = f" (component {component or 'unknown'}{f', {source}' if source else ''})"
    shown = "; ".join(str(c) for c in refused[:3]) + (f"; and {len(refused) - 3} more" if len(refused) > 3 else "")
    loss = ("; replacing it deletes the claim and the data on its volume"
            if desired.get("kind") == "PersistentVolumeClaim" else "")
    return f"needs replacement: {shown}{origin}{loss}"


def _keep_reason(live: Manifest, prune_protected: bool) -> str:
    annotations = live.get("metadata", {}).get("annotations") or {}
    if annotations.get(ANNOTATION_KEEP) == "disabled":
        return f"annotated {ANNOTATION_KEEP}: disabled"
    others = shared_with(live)
    if others:
        return f"shared: also applied by {', '.join(others)}; remove it there first or delete it by hand"
    if by_kind(str(live.get("kind", ""))).protected and not prune_protected:
        return f"{live.get('kind')} is protected from pruning (use --prune-protected to delete it)"
    return ""


def shared_with(live: Manifest, manager: str = FIELD_MANAGER) -> list[str]:
    """Other server-side appliers of an object (controllers' status and metadata updates do not count)."""
    entries = live.get("metadata", {}).get("managedFields") or []
    return sorted({
        str(e.get("manager")) for e in entries
        if e.get("operation") == "Apply" and e.get("manager") != manager and not e.get("subresource")
    })


def budget_refusal(plan: Plan, max_fraction: float, *, override: bool) -> str | None:
    """Why the plan deletes too much (None when within the environment's deletion budget)."""
    prunes = len(plan.prunes)
    if override or prunes == 0:
        return None
    # Namespaces and other protected kinds do not count: a commit that renders only its namespace
    # still deletes everything that matters.
    remaining = sum(1 for e in plan.entries if e.action in (Action.CREATE, Action.UPDATE, Action.REPLACE,
                                                              Action.UNCHANGED)
                    and not by_kind(e.key.kind).protected)
    if remaining == 0:
        return f"the plan deletes everything platformctl owns here ({prunes} objects); refusing without an override"
    owned = max(plan.owned_before, 1)
    if prunes / owned > max_fraction:
        return (f"the plan deletes {prunes} of {owned} owned objects ({prunes / owned:.0%}), over the environment's "
                f"deletion budget of {max_fraction:.0%}; refusing without an override")
    return None
