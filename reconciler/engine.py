"""Reconcile one (environment, cluster): live -> plan -> dry-run all -> apply -> inventory -> prune -> health.

Each step lives in its own module; this one only orders them and returns early on failure,
the way flux's kustomize-controller reads.

A missing or unreadable inventory on a cluster where platformctl's objects exist (objects it
applied that Git no longer renders: with no inventory nothing would ever prune them) holds
pruning: writes go on, nothing is deleted, the inventory is not rewritten (so the condition
stays until resolved), and the result carries the error (``apply`` exits 1; the daemon shows it
as the cluster's last error and retries with backoff, never pruning). ``ApplyOptions.adopt``
resolves it by rebuilding the inventory from the objects' managedFields (``reconciler.owned``).
"""

from __future__ import annotations

import concurrent.futures
import itertools
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from reconciler.budget import AppliedBudget, effective_budget
from reconciler.cluster.base import Cluster, KindRef
from reconciler.errors import ClusterError, Conflict, NoAnswer, NotFound
from reconciler.inventory import Inventory, adopted, held_reason, inventory_of, same_contents
from reconciler.kinds import apply_rank, by_kind
from reconciler.livestate import read_state, slim
from reconciler.objects import Manifest, ObjectKey
from reconciler.owned import team_takeover, unaccounted
from reconciler.plan import Action, Plan, PlanEntry, budget_refusal, make_plan
from reconciler.render.schedule import bind_pipeline_ids, pipeline_uids, same_pipeline_ids
from reconciler.tenancy import CLUSTER_SCOPED_ALLOWED, Scope, tenancy_violations


@dataclass(frozen=True, kw_only=True)
class ApplyOptions:
    """How a reconcile behaves; the defaults are the safe ones."""

    apply: bool = True
    """False: plan only (no writes at all)."""
    prune: bool = True
    """Delete objects Git no longer holds (inventory objects only)."""
    prune_protected: bool = False
    """Also delete protected kinds (namespaces, PVCs, CRDs)."""
    allow_mass_prune: bool = False
    """Override the environment's deletion budget."""
    max_prune_fraction: float = 0.3
    """Share of owned objects one reconcile may delete (the environment's policy)."""
    applied_budget: AppliedBudget | None = None
    """The budget of the revision the inventory records (``reconciler.budget``): given, the
    stricter of it and ``max_prune_fraction`` counts, so a commit cannot raise its own budget."""
    concurrency: int = 32
    """Writes in flight at once per cluster (objects of the same apply rank); the cluster's
    ``rateLimit.maxInFlight`` when reconciled from a spec."""
    replace: bool = False
    """Delete and re-create objects whose change the server refuses (plan action ``replace``).
    Off: such a plan is refused before any write. A replaced PVC loses its data."""
    replace_timeout: float = 120.0
    """Seconds to wait for a replaced object to be gone (a PVC in use by a pod stays until the pod ends)."""
    adopt: bool = False
    """Rebuild the inventory from the live objects that pass the ownership rule (``reconciler.owned``):
    the way out of a missing or unreadable inventory. Entries naming anything else are dropped."""
    release: bool = False
    """Forget the inventory entries Git dropped that are left in place (kept: protected, annotated to
    keep, shared, not platformctl's); the objects themselves stay untouched."""
    cluster_scoped: frozenset[str] = CLUSTER_SCOPED_ALLOWED
    """Cluster-scoped kinds the environment may own (and so may delete)."""
    progress: ApplyProgress | None = field(default=None, compare=False, repr=False)
    """Told how far an apply is as it goes (the CLI's progress bar, the daemon's status page)."""


class ApplyProgress(Protocol):
    """Follows an apply as it happens; called on the reconciling thread (one per cluster)."""

    def started(self, target: Target, total: int) -> None:
        """The plan is checked and writing begins: ``total`` objects to write or prune."""

    def finished(self, target: Target, change: Change) -> None:
        """One object's outcome, as soon as it is known (``WRITTEN`` actions count toward ``total``)."""


class ChangeAction(StrEnum):
    """What happened to one object, past tense; str-valued, so text and JSON print the value."""

    CREATED = "created"
    CONFIGURED = "configured"
    REPLACED = "replaced"
    UNCHANGED = "unchanged"
    PRUNED = "pruned"
    SKIPPED = "skipped"
    """Left in place (protected, annotated to keep, shared, pruning off)."""
    FAILED = "failed"
    REFUSED = "refused"
    """Never attempted: needs replacement, or not platformctl's to delete."""


@dataclass(frozen=True, slots=True)
class Change:
    """One object's outcome."""

    key: ObjectKey
    action: ChangeAction
    message: str = ""


@dataclass(frozen=True, slots=True)
class Target:
    """What one cluster of one environment must hold."""

    environment: str
    cluster: str
    namespace: str
    revision: str
    manifests: list[Manifest]
    teams: tuple[str, ...] = ()
    """The namespaces of the teams the environment hosts on this cluster (each a Profile's name too)."""

    def scope(self, cluster_scoped: frozenset[str]) -> Scope:
        """Where this target may write and delete, given the cluster-scoped kinds its policy allows."""
        return Scope(self.namespace, cluster_scoped, frozenset(self.teams))


@dataclass(slots=True)
class Result:
    """The outcome of reconciling one target."""

    target: Target
    plan: Plan | None = None
    changes: list[Change] = field(default_factory=list)
    error: str | None = None
    live: dict[ObjectKey, Manifest] = field(default_factory=dict)
    permanent: bool = False
    """The error cannot go away by retrying the same revision (an object needs replacement):
    it takes a change in Git, or ``--replace`` by hand."""
    held: str = ""
    """Why pruning is held on this cluster (a missing or unreadable inventory); also the error."""

    @property
    def ok(self) -> bool:
        """No error stopped the reconcile."""
        return self.error is None


WRITTEN = frozenset({ChangeAction.CREATED, ChangeAction.CONFIGURED, ChangeAction.REPLACED, ChangeAction.PRUNED,
                     ChangeAction.FAILED})
"""The outcomes that count toward an apply's progress (every object written, pruned or failed)."""


class _Reported(list[Change]):
    """The changes of a result that tell an ``ApplyProgress`` about each one as it is added."""

    def __init__(self, target: Target, progress: ApplyProgress) -> None:
        super().__init__()
        self._target, self._progress = target, progress

    def append(self, change: Change) -> None:
        super().append(change)
        self._progress.finished(self._target, change)

    def extend(self, changes: Iterable[Change]) -> None:
        for change in changes:
            self.append(change)


_PAST = {Action.CREATE: ChangeAction.CREATED, Action.UPDATE: ChangeAction.CONFIGURED,
         Action.REPLACE: ChangeAction.REPLACED, Action.UNCHANGED: ChangeAction.UNCHANGED,
         Action.PRUNE: ChangeAction.PRUNED, Action.SKIP: ChangeAction.SKIPPED}


def reconcile(cluster: Cluster, target: Target, options: ApplyOptions = ApplyOptions()) -> Result:
    """Converge one cluster to its target; never half-applies (every write is dry-run first)."""
    result = Result(target)
    _reconcile(cluster, target, options, result)
    if result.held:
        result.error = f"{result.error}; {result.held}" if result.error else result.held
    return result


def _reconcile(cluster: Cluster, target: Target, options: ApplyOptions, result: Result) -> Result:
    # 0. Tenancy, before any API call: only the environment's own namespace on this cluster.
    outside = tenancy_violations(target.manifests, target.scope(options.cluster_scoped))
    if outside:
        result.error = "refused before contacting the cluster: " + "; ".join(outside[:5]) + (
            f" (and {len(outside) - 5} more)" if len(outside) > 5 else "")
        return result
    try:
        # 1. What we owned after the last reconcile (pruning acts on this, never on labels), and
        # 2. live state: one LIST per kind we render or own, all read at once.
        state = read_state(cluster, target.environment, target.scope(options.cluster_scoped), target.manifests,
                           every_kind=options.adopt)
        stored, damaged, kinds, result.live, scope = state.inventory, state.damaged, state.kinds, state.live, state.scope
        desired = _bind_pipeline_ids(target.manifests, result.live)
        previous = stored
        if options.adopt:
            previous = adopted(target.environment, target.revision, result.live, scope)
        elif stored is None:
            orphans = unaccounted(result.live, (ObjectKey.of(m) for m in desired), scope)
            result.held = held_reason(target.environment, damaged, orphans)
            if result.held:
                previous = inventory_of(target.environment, target.revision, [],
                                        [(k, str(result.live[k]["apiVersion"])) for k in orphans])
        owned = previous.keys() if previous else frozenset()
        # 3. Plan (pipeline IDs bound to the pipelines that are live now, so the diff is honest).
        hold = ("the inventory is missing or unreadable: not pruned until `platformctl apply --adopt` "
                "rebuilds it" if result.held else "")
        result.plan = make_plan(desired, result.live, owned, prune_protected=options.prune_protected, scope=scope,
                                kept=previous.kept_keys() if previous else frozenset(), hold=hold,
                                release=options.release)
        if not options.prune:
            result.plan = _without_prunes(result.plan)
        if (result.plan.prunes or result.plan.replacements) and _read_fresh(cluster):
            # Read from a watch cache: a deletion (a prune, or the delete half of a replacement) is
            # decided only on what the server answers now.
            result.held = ""
            return _reconcile(cluster, target, options, result)
        # 4. The deletion budget: refuse plans that delete too much.
        # The budget of the revision the stored inventory records (an adopted one is rebuilt just now).
        refusal = budget_refusal(result.plan, _budget(options, stored), override=options.allow_mass_prune)
        if refusal:
            result.error = refusal
            return result
        # 4b. Changes the server refuses: never attempted (a 422 would block every other change of the
        # target at each retry), unless replacement was asked for.
        if _refuse_replacements(result, options.replace):
            return result
        # 4c. A team never takes over a namespace someone else made.
        if _refuse_takeovers(result, scope):
            return result
        if not options.apply:
            return result
        if options.progress is not None and result.plan.has_changes:
            options.progress.started(target, len(result.plan.writes) + len(result.plan.prunes))
            result.changes = _Reported(target, options.progress)
        replacer = _Replacer(cluster, kinds, options.replace_timeout)
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, options.concurrency)) as pool:
            # 5. Stage one, as flux does: a missing namespace is created first, since nothing inside one can be
            # dry-run before it exists. An existing one is not touched here: its patch is dry-run with the
            # rest and written only once every dry run passed (all or nothing).
            stage_one = [e for e in result.plan.entries if _stage_one(e)]
            failures = _dry_run(cluster, stage_one, kinds, pool)
            if not failures:
                _apply(cluster, result, stage_one, pool, replacer)
            # 6. Dry-run every other write; one failure means none of them is written.
            rest = [e for e in result.plan.entries if not _stage_one(e)]
            failures += _dry_run(cluster, [e for e in rest if e.action not in (Action.UNCHANGED, Action.SKIP,
                                                                               Action.REPLACE)], kinds, pool)
            failures += _dry_run(cluster, [PlanEntry(e.key, Action.PRUNE, None, e.live) for e in rest
                                           if e.action is Action.REPLACE], kinds, pool)  # the delete half
            if failures or result.error:
                result.error = result.error or (f"{len(failures)} object(s) rejected by the cluster's dry run; "
                                                "nothing else was applied")
                result.changes.extend(failures)
                return result
            # 7. Remember stale objects before touching anything, so a crash cannot orphan them; objects
            # a prune leaves in place stay too, marked kept (unless released). A held inventory is never
            # rewritten: that would forget the objects it no longer names.
            pending = [(e.key, str((e.live or {}).get("apiVersion", ""))) for e in result.plan.prunes]
            left = [] if options.release else result.plan.left_in_place
            if not result.held:
                stored = _store_inventory(cluster, target, stored,
                                          inventory_of(target.environment, target.revision, desired, pending, left))
            # 8. Apply in dependency order; pipeline IDs are bound again to pipelines created a moment ago.
            _apply(cluster, result, rest, pool, replacer)
            if result.error:
                return result
        # 9. Prune what Git no longer holds, in reverse order, then record the final inventory.
        failed = _prune(cluster, result, kinds)
        if not result.held:
            _store_inventory(cluster, target, stored,
                             inventory_of(target.environment, target.revision, desired, failed, left))
    except ClusterError as exc:
        result.error = str(exc)
    return result


def _read_fresh(cluster: Cluster) -> bool:
    """Send the cluster's later reads to the server; True when some were answered by a watch cache
    (``cluster.kube.cached``), so what was read must be read again. A plain client: False."""
    switch: Callable[[], bool] | None = getattr(cluster, "read_fresh", None)
    return switch() if switch is not None else False


def _stage_one(entry: PlanEntry) -> bool:
    """A namespace (or CRD) to create: written before the other dry runs, which need it to exist."""
    return by_kind(entry.key.kind).created_first and entry.action is Action.CREATE


def _budget(options: ApplyOptions, previous: Inventory | None) -> float:
    """The deletion budget of this reconcile (see ``reconciler.budget``)."""
    if options.applied_budget is None or previous is None:
        return options.max_prune_fraction
    return effective_budget(options.max_prune_fraction, options.applied_budget(previous.revision))


def _bind_pipeline_ids(manifests: list[Manifest], live: Mapping[ObjectKey, Manifest]) -> list[Manifest]:
    """Kinds that name pipelines by UID (``KindRules.binds_pipeline_ids``), bound to the live pipelines."""
    uids = pipeline_uids(live.values())
    return [bind_pipeline_ids(m, uids) if by_kind(str(m.get("kind", ""))).binds_pipeline_ids else m
            for m in manifests]


def _without_prunes(plan: Plan) -> Plan:
    kept = tuple(e if e.action is not Action.PRUNE else PlanEntry(e.key, Action.SKIP, None, e.live,
                                                                  reason="pruning is off")
                 for e in plan.entries)
    return Plan(kept, plan.owned_before)


def _dry_run(cluster: Cluster, entries: list[PlanEntry], kinds: Mapping[tuple[str, str], KindRef],
             pool: concurrent.futures.Executor) -> list[Change]:
    """The writes the server rejects; raises ``NoAnswer`` when it did not answer at all (an unreachable
    cluster rejected nothing: planned from a watch cache, a dry run can be a reconcile's first request)."""
    silent: list[NoAnswer] = []

    def check(entry: PlanEntry) -> Change | None:
        try:
            if entry.desired is not None:
                cluster.apply(entry.desired, dry_run=True)
            else:
                kind = kinds[(str((entry.live or {})["apiVersion"]), entry.key.kind)]
                cluster.delete(kind, entry.key.namespace or None, entry.key.name, dry_run=True)
        except NotFound as exc:
            return None if entry.desired is None else Change(entry.key, ChangeAction.FAILED, exc.message)
        except NoAnswer as exc:
            silent.append(exc)
        except ClusterError as exc:
            return Change(entry.key, ChangeAction.FAILED, exc.message)
        return None

    failures = [c for c in pool.map(check, entries) if c is not None]
    if silent:
        raise NoAnswer(silent[0].message)  # about the cluster, not the object it happened to be sending
    return failures


def _refuse_replacements(result: Result, replace: bool) -> bool:
    """Refuse a plan holding objects that need replacement (unless asked to replace them); True when refused."""
    assert result.plan is not None
    blocked = result.plan.replacements
    kept = [e for e in blocked if e.undeletable]
    if not blocked or (replace and not kept):
        return False
    if replace:
        result.changes.extend(Change(e.key, ChangeAction.REFUSED, f"{e.undeletable}; replace it by hand")
                              for e in kept)
        result.error = f"{len(kept)} object(s) that need replacement are protected from deletion; nothing was applied"
    else:
        result.changes.extend(Change(e.key, ChangeAction.REFUSED, e.reason) for e in blocked)
        result.error = (f"{len(blocked)} object(s) need replacement: the cluster refuses to change "
                        + "; ".join(f"{e.key}: {', '.join(c.field for c in e.immutable)}" for e in blocked[:3])
                        + (f"; and {len(blocked) - 3} more" if len(blocked) > 3 else "")
                        + ". Nothing was applied. Revert the change in Git, or delete and re-create them with "
                          f"`platformctl apply --env {result.target.environment} --replace` (a replaced "
                          "PersistentVolumeClaim loses its data)")
    result.permanent = True
    return True


def _refuse_takeovers(result: Result, scope: Scope) -> bool:
    """Refuse a plan whose team Namespace would take over an existing namespace (``owned.team_takeover``)."""
    assert result.plan is not None
    refused = [(e.key, why) for e in result.plan.entries if e.desired is not None
               and (why := team_takeover(e.key, e.desired, e.live, scope))]
    if not refused:
        return False
    result.changes.extend(Change(key, ChangeAction.REFUSED, why) for key, why in refused)
    result.error = "; ".join(why for _key, why in refused[:3]) + "; nothing was applied"
    result.permanent = True
    return True


class _Replacer:
    """Delete an object and create it again once it is gone (``ApplyOptions.replace``)."""

    def __init__(self, cluster: Cluster, kinds: Mapping[tuple[str, str], KindRef], timeout: float,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._cluster, self._kinds, self._timeout, self._sleep = cluster, kinds, timeout, sleep

    def __call__(self, entry: PlanEntry) -> Manifest:
        live = entry.live or {}
        kind = self._kinds[(str(live.get("apiVersion", "")), entry.key.kind)]
        namespace = entry.key.namespace or None
        self._cluster.delete(kind, namespace, entry.key.name)
        deadline, pause = time.monotonic() + self._timeout, 0.1
        while self._cluster.get(kind, namespace, entry.key.name) is not None:
            if time.monotonic() >= deadline:
                hint = (" (a PersistentVolumeClaim stays until no pod uses it: stop the notebook, e.g. "
                        "`stopped: true`, apply, then replace)" if entry.key.kind == "PersistentVolumeClaim" else "")
                raise Conflict(f"{entry.key} is still being deleted after {self._timeout:.0f}s{hint}; "
                               "run apply --replace again once it is gone", key=entry.key)
            self._sleep(pause)
            pause = min(pause * 2, 2.0)
        return self._cluster.apply(entry.desired or {})


def _apply(cluster: Cluster, result: Result, entries: list[PlanEntry], pool: concurrent.futures.Executor,
           replacer: _Replacer) -> None:
    """Write entries rank by rank (concurrently within a rank); stop after a rank with a failure."""
    live = result.live
    wanted = [e for e in entries if e.desired is not None and e.action is not Action.SKIP]  # a run not re-run

    def write(entry: PlanEntry, uids: Mapping[tuple[str, str], str]) -> Manifest | None:
        return replacer(entry) if entry.action is Action.REPLACE else _apply_one(cluster, entry, uids)

    for _rank, group in itertools.groupby(wanted, key=lambda e: apply_rank(e.desired or {})):
        batch = list(group)
        # The live pipelines' IDs, taken once per rank on this thread: the writes of a rank run while
        # this thread adds their answers to ``live`` (pipelines come in an earlier rank than their users).
        uids = pipeline_uids(live.values()) if any(by_kind(e.key.kind).binds_pipeline_ids for e in batch) else {}
        for entry in batch:
            if entry.action is Action.UNCHANGED and not by_kind(entry.key.kind).binds_pipeline_ids:
                result.changes.append(Change(entry.key, ChangeAction.UNCHANGED))  # costs no request
        submitted = [(e, pool.submit(write, e, uids)) for e in batch
                     if e.action is not Action.UNCHANGED or by_kind(e.key.kind).binds_pipeline_ids]
        for entry, future in submitted:
            try:
                stored = future.result()
            except ClusterError as exc:
                result.changes.append(Change(entry.key, ChangeAction.FAILED, exc.message))
                result.error = f"applying {entry.key} failed: {exc.message}"
                continue
            if stored is not None:
                live[entry.key] = slim(stored)
            result.changes.append(Change(entry.key, _PAST[entry.action], _replaced_note(entry)))
        if result.error:
            return


def _replaced_note(entry: PlanEntry) -> str:
    if entry.action is not Action.REPLACE:
        return ""
    fields = ", ".join(c.field for c in entry.immutable)
    lost = "; the claim's previous data is gone" if entry.key.kind == "PersistentVolumeClaim" else ""
    return f"deleted and created again to change {fields}{lost}"


def _apply_one(cluster: Cluster, entry: PlanEntry, uids: Mapping[tuple[str, str], str]) -> Manifest | None:
    manifest = entry.desired or {}
    if by_kind(entry.key.kind).binds_pipeline_ids:
        manifest = bind_pipeline_ids(manifest, uids)
        if entry.action is Action.UNCHANGED and entry.live is not None and same_pipeline_ids(manifest, entry.live):
            return None
    elif entry.action is Action.UNCHANGED:
        return None
    return cluster.apply(manifest)


def _prune(cluster: Cluster, result: Result, kinds: Mapping[tuple[str, str], KindRef]) -> list[tuple[ObjectKey, str]]:
    """Delete stale objects; returns those that could not be deleted (they stay in the inventory)."""
    assert result.plan is not None
    kept: list[tuple[ObjectKey, str]] = []
    not_ours = {e.key for e in result.plan.not_ours}
    for entry in result.plan.entries:
        if entry.action is Action.SKIP:
            action = ChangeAction.REFUSED if entry.key in not_ours else ChangeAction.SKIPPED
            result.changes.append(Change(entry.key, action, entry.reason))
    for entry in result.plan.prunes:
        kind = kinds[(str((entry.live or {})["apiVersion"]), entry.key.kind)]
        try:
            cluster.delete(kind, entry.key.namespace or None, entry.key.name)
        except ClusterError as exc:
            result.changes.append(Change(entry.key, ChangeAction.FAILED, exc.message))
            result.error = f"pruning {entry.key} failed: {exc.message}"
            kept.append((entry.key, kind.api_version))
            continue
        result.live.pop(entry.key, None)
        result.changes.append(Change(entry.key, ChangeAction.PRUNED))
    return kept


def _store_inventory(cluster: Cluster, target: Target, stored: Inventory | None, new: Inventory) -> Inventory | None:
    """Write the inventory when what it owns changed; returns what is stored now."""
    if same_contents(stored, new):
        return stored
    cluster.write_inventory(new, target.namespace)
    return new
