"""The daemon's control loop: leadership, source refresh, and handing jobs to per-target workers.

``step()`` is one pass, run on the caller's thread and decided entirely by the injected clock:

1. renew (or try to acquire) the lease when its tick is due;
2. if a trigger fired (webhook, file watcher) or the poll is due: resolve the branch, and when
   the commit changed, verify + load + check it. A commit that fails keeps the last good
   revision running and is reported with its ``file:line:col`` errors;
3. start a worker for each target of the last good revision;
4. when leading: submit a job to each target whose revision changed, whose retry backoff ended
   or whose drift check is due (periodically, or soon after a WATCH saw an object leave Git's
   line: ``driftwatch``).

Workers run reconciles on their own threads and report back; tests call ``step()`` and then
``wait_idle()`` instead of sleeping. ``run_forever()`` loops on ``step()``, sleeping until the
next deadline or a trigger.
"""

from __future__ import annotations

import functools
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import structlog

from reconciler.replacements import located_replacements
from reconciler.daemon.clock import Clock, Scheduler, SystemClock
from reconciler.daemon.config import DaemonConfig
from reconciler.daemon.driftwatch import DriftWatch, Watchable
from reconciler.daemon.leader import AlwaysLeader, Leadership
from reconciler.daemon.pushrelay import PushRelay, RelayWatch
from reconciler.daemon.revisions import (Desired, LoadedRevision, Rejections, RevisionRejected, TargetKey,
                                         load_revision)
from reconciler.daemon.reporting import log_outcome, report_outcome
from reconciler.daemon.status import SourceState, TargetState, document, rows_after, shown_rows
from reconciler.daemon.triggers import CoalescingTrigger, push_handler
from reconciler.daemon.guard import DaemonFence
from reconciler.daemon.reach import Probe, Reachability, watch_overdue
from reconciler.daemon.worker import Connect, Job, Outcome, TargetWorker, supervise
from reconciler.budget import AppliedBudget
from reconciler.engine import ApplyOptions, Result
from reconciler.errors import ClusterError
from reconciler.observability.logging import target_fields
from reconciler.observability.metrics import Metrics
from reconciler.policy.enforcement import Enforcement
from reconciler.policy.resolve import daemon_enforcement
from reconciler.source.budgets import repository_budgets
from reconciler.source.tracking import Source
from reconciler.spec.models import Cluster as ClusterSpec

log = structlog.get_logger("platformctl.daemon")


@dataclass(frozen=True)
class StepReport:
    """What one ``step()`` did."""

    leader: bool
    reasons: dict[str, int] = field(default_factory=dict)
    """Why the source was refreshed (trigger and poll counts); empty: not refreshed."""
    head: str | None = None
    loaded: str | None = None
    rejected: str | None = None
    submitted: list[tuple[str, str, str]] = field(default_factory=list)
    """(environment, cluster, reason) of each job handed to a worker."""


class Daemon:
    """Keeps every managed cluster at the last good revision of one branch."""

    def __init__(self, config: DaemonConfig, source: Source, *, connect: Connect, metrics: Metrics,
                 leadership: Leadership | None = None, clock: Clock | None = None,
                 rand: Callable[[], float] = random.random, relay: PushRelay | None = None,
                 enforcement: Enforcement | None = None) -> None:
        self.config = config
        self.enforcement = enforcement or daemon_enforcement(None, config.resolved_cluster_root(),
                                                             (config.own_namespace, config.lease_namespace), {})
        """The operator policy every revision is checked against before any of it reaches a cluster."""
        self.source = source
        self.metrics = metrics
        self.clock = clock or SystemClock()
        self.leadership = leadership or AlwaysLeader(config.resolved_identity())
        self.scheduler = Scheduler(self.clock)
        self._connect = connect
        self._rand = rand
        self._relay = RelayWatch(relay) if relay is not None else None
        self._cond = threading.Condition()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._abandon = threading.Event()
        self._fence = DaemonFence(self.leadership.remaining, self.refusal)
        """Every worker client's write fence: shut at the lease's renew deadline, or when refusing."""
        self.trigger = CoalescingTrigger(self._wake)
        self.on_push = push_handler(self.trigger, config.branch)
        """The Endpoints ``on_push`` callback (returns at once; the next step refreshes)."""
        self.source_state = SourceState(source.description, source.branch)
        self.good: LoadedRevision | None = None
        self.rejections = Rejections()
        """Commits judged unusable: a head that returns to one is reported again, not read again."""
        self.budgets = repository_budgets(source.path)
        """Deletion budgets of revisions a target may have last applied (``reconciler.budget``)."""
        self._states: dict[TargetKey, TargetState] = {}
        self._workers: dict[TargetKey, TargetWorker] = {}
        self._retired: list[TargetWorker] = []
        self._watches: dict[TargetKey, tuple[ClusterSpec, DriftWatch | None]] = {}
        self._reach: dict[TargetKey, Reachability] = {}
        self._overdue: threading.Thread | None = None
        self._leader = False
        self._shut = False
        self.trigger.fire("start")
        self.scheduler.at("lease", self.clock.monotonic())
        metrics.leader(False)

    # --- the loop -----------------------------------------------------------------------
    def step(self, *, force: bool = False) -> StepReport:
        """One pass of the control loop (see the module docstring); ``force`` reconciles every target now."""
        leading = self._lead()
        reasons = self.trigger.take()
        if reasons.get("webhook") and not leading and self._relay is not None:
            self._forward_push()
        if self.scheduler.pop_due("poll"):
            reasons["poll"] = reasons.get("poll", 0) + 1
        if force:
            reasons["once"] = 1
        head = loaded = rejected = None
        if reasons and not self._stop.is_set():
            if self.config.poll_interval > 0:
                self.scheduler.after("poll", self.config.poll_interval)
            head, loaded, rejected = self._refresh()
        with self._cond:
            self._sync_workers()
            submitted = self._submit(force) if leading and not self._stop.is_set() else self._idle_deadlines()
        return StepReport(leading, reasons, head, loaded, rejected, submitted)

    def run_once(self, timeout: float = 600.0) -> list[Result] | None:
        """Refresh, load and reconcile every target once; the results, or None when nothing could run."""
        report = self.step(force=True)
        if not report.leader or self.good is None:
            return None
        self.wait_idle(timeout)
        with self._cond:
            return [self._states[(env, cluster)].last_result or Result(self.good.desired[(env, cluster)].target,
                                                                       error="no result (abandoned)")
                    for env, cluster, _reason in report.submitted]

    def run_forever(self) -> None:
        """Step until ``request_stop()``, sleeping until the next deadline or trigger; then shut down."""
        try:
            while not self._stop.is_set():
                self._wake.clear()
                try:
                    self.step()
                except Exception:  # noqa: BLE001 - the loop must survive any one bad pass
                    log.exception("daemon step failed")
                delay = self.scheduler.next_in()
                self._wake.wait(60.0 if delay is None else min(60.0, max(0.01, delay)))
        finally:
            self.shutdown()

    def request_stop(self) -> None:
        """Ask ``run_forever`` to end (safe from a signal handler)."""
        self._stop.set()
        self._wake.set()

    def shutdown(self) -> None:
        """Drop queued jobs, let applies in flight finish (or abandon them after the grace period),
        stop workers, release the lease. Idempotent."""
        with self._cond:
            if self._shut:
                return
            self._shut = True
            self._stop.set()
            for worker in self._workers.values():
                worker.drop_pending()
            finished = self._cond.wait_for(self._nothing_running, timeout=self.config.shutdown_grace)
            if not finished:
                log.warning("abandoning applies in flight", grace=self.config.shutdown_grace)
                self._abandon.set()
                self._cond.notify_all()
                finished = self._cond.wait_for(self._nothing_running, timeout=5.0)
            workers = [*self._workers.values(), *self._retired]
            for worker in workers:
                worker.stop()
            watches = self._stop_watches(list(self._watches))
        for watch in watches:
            watch.stop()
        for worker in workers:
            worker.join(timeout=1.0)
        if finished:
            self.leadership.release()
        else:
            log.warning("an apply is still in flight; the lease is left to expire instead of being released")
        self.metrics.leader(False)
        log.info("daemon stopped", identity=self.leadership.identity)

    # --- waiting (tests, run_once) ------------------------------------------------------
    def wait_idle(self, timeout: float) -> bool:
        """Block until no worker runs or holds a job (bounded); True when idle."""
        with self._cond:
            return self._cond.wait_for(lambda: not any(w.busy for w in self._workers.values()), timeout)

    def wait_until(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Block until ``predicate()`` (evaluated under the daemon's lock after every job) holds, bounded."""
        with self._cond:
            return self._cond.wait_for(predicate, timeout)

    # --- what the endpoints show ----------------------------------------------------------
    def ready(self) -> bool:
        """Ready once a good revision is loaded, until shutdown."""
        return self.good is not None and not self._stop.is_set()

    def status(self) -> dict[str, Any]:
        """The status document for the status page and /status.json."""
        with self._cond:
            return document(self.source_state, list(self._states.values()), leader=self._leader,
                            ready=self.ready(), election=self.leadership.describe())

    def targets(self) -> list[TargetState]:
        """Every managed target's state, in spec order."""
        with self._cond:
            return list(self._states.values())

    def target(self, environment: str, cluster: str) -> TargetState:
        """The live state of one target (read it under ``wait_until`` or after ``wait_idle``)."""
        return self._states[(environment, cluster)]

    # --- leadership -----------------------------------------------------------------------
    def _lead(self) -> bool:
        if self.scheduler.pop_due("lease") and not self._stop.is_set():
            self.scheduler.after("lease", self.leadership.retry_period)  # first: a failing tick keeps ticking
            self.leadership.tick()
            if self._relay is not None and self.leadership.holds():
                self._take_relayed_push(self._relay)
        leading = self.leadership.holds() and not self._stop.is_set()
        if leading != self._leader:
            self._leader = leading
            self.metrics.leader(leading)
            log.info("leading" if leading else "standing by", identity=self.leadership.identity)
            with self._cond:
                for key, state in self._states.items():
                    state.submitted = None  # on gaining the lease, reconcile everything once
                    if not leading:
                        self._workers[key].drop_pending()
                stopped = [] if leading else self._stop_watches(list(self._watches))
            for watch in stopped:
                watch.stop(timeout=0)
        return leading

    def _forward_push(self) -> None:
        """A standby got a push: record it for the leader (it reads the record every lease tick)."""
        assert self._relay is not None
        try:
            self._relay.relay.publish(self.config.branch, self.leadership.identity)
        except (ClusterError, OSError) as exc:
            log.warning("cannot hand the push to the leader; it will see the commit at its next poll",
                        relay=self._relay.relay.description, error=str(exc))
            return
        log.info("push handed to the leader", relay=self._relay.relay.description)

    def _take_relayed_push(self, relay: RelayWatch) -> None:
        """The leader: a push that reached a standby refreshes the source now."""
        try:
            if relay.changed():
                self.trigger.fire("relayed push")
        except (ClusterError, OSError) as exc:
            log.warning("cannot read the push relay", relay=relay.relay.description, error=str(exc))

    def refusal(self) -> str | None:
        """Why a worker must not write now, or None (checked by every worker before every write)."""
        if self._abandon.is_set():
            return "the daemon is shutting down"
        if not self.leadership.holds():
            return f"{self.leadership.identity} does not hold the leader lease"
        return None

    # --- source -------------------------------------------------------------------------
    def _refresh(self) -> tuple[str | None, str | None, str | None]:
        state = self.source_state
        try:
            head = self.source.head()
        except Exception as exc:  # noqa: BLE001 - GitSourceError and anything GitPython raises
            state.fetch_error = f"cannot read {self.source.description}: {exc}"
            if self.source.fetches:
                self.metrics.git_fetched(False)
            log.warning("source refresh failed; keeping the last good revision", error=state.fetch_error,
                        revision=state.good)
            return None, None, None
        if self.source.fetches:
            self.metrics.git_fetched(True)
        state.fetch_error, state.head, state.last_refresh = None, head, self.clock.now()
        if head == state.attempted:
            return head, None, None
        state.attempted = head
        try:
            loaded = self._judge(head)
        except RevisionRejected as exc:
            self.rejections.remember(exc)
            with self._cond:
                state.rejected, state.stage, state.errors = head, exc.stage, exc.errors
                if not exc.final:
                    state.attempted = None  # a read failure may pass; try again on the next refresh
                self._cond.notify_all()
            self.metrics.source_loaded(head, False)
            log.error("revision rejected; keeping the last good revision", revision=head, stage=exc.stage,
                      errors=exc.errors[:20], running=state.good)
            return head, None, head
        self.budgets.record(head, {env: d.max_prune_fraction for (env, _cluster), d in loaded.desired.items()})
        with self._cond:
            self.good = loaded
            state.good, state.signer = head, loaded.signer
            state.rejected, state.stage, state.errors = None, "", []
            self._cond.notify_all()
        self.metrics.source_loaded(head, True)
        log.info("revision loaded", revision=head, targets=len(loaded.desired), signer=loaded.signer or None)
        return head, head, None

    def _judge(self, head: str) -> LoadedRevision:
        """Load ``head``, or raise its rejection (remembered ones without reading the commit again)."""
        remembered = self.rejections.get(head)
        if remembered is not None:
            raise remembered
        return load_revision(self.source, head, self.config.environments, self.config.signature_policy,
                             self.enforcement)

    # --- workers (caller holds the condition) ----------------------------------------------
    def _sync_workers(self) -> None:
        if self.good is None:
            return
        for key in self.good.desired:
            if key not in self._workers:
                self._states.setdefault(key, TargetState(*key))
                reach = self._reach[key] = Reachability(self.clock, functools.partial(self._reach_changed, key))
                if self._overdue is None:
                    self._overdue = watch_overdue(self._trackers, self.config.answer_timeout, self._stop)
                worker = TargetWorker(key, connect=self._connect, clock=self.clock, refusal=self.refusal,
                                      fence=self._fence, reach=reach, answer_timeout=self.config.answer_timeout,
                                      condition=self._cond, on_done=self._finished,
                                      on_api_error=lambda cluster, code: self.metrics.api_error(cluster, code))
                self._workers[key] = worker
                worker.start()
        for key in [k for k in self._workers if k not in self.good.desired]:
            log.warning("target no longer in the spec; its objects are left in place", environment=key[0],
                        cluster=key[1])
            worker = self._workers.pop(key)
            worker.stop()
            self._retired.append(worker)
            self._states.pop(key, None)
            self._reach.pop(key, None)
            self.scheduler.cancel(("retry", key))
            self.scheduler.cancel(("drift", key))
            self.metrics.forget(*key)
            for watch in self._stop_watches([key]):
                watch.stop(timeout=0)

    def _submit(self, force: bool) -> list[tuple[str, str, str]]:
        assert self.good is not None or not self._workers
        submitted: list[tuple[str, str, str]] = []
        for key, desired in (self.good.desired.items() if self.good is not None else []):
            state, worker = self._states[key], self._workers[key]
            reason = "once" if force else self._reason(key, state, desired)
            if reason is None:
                continue
            self.scheduler.cancel(("retry", key))
            self.scheduler.cancel(("drift", key))
            state.submitted, state.next_retry = desired.target.revision, None
            report_only = reason == "drift" and not self.config.self_heal
            options = ApplyOptions(apply=not report_only, prune=self.config.prune,
                                   max_prune_fraction=desired.max_prune_fraction,
                                   applied_budget=self._applied_budget(key),
                                   concurrency=desired.cluster.rate_limit.max_in_flight,
                                   cluster_scoped=self.enforcement.cluster_scoped_kinds(key[0]))
            worker.submit(Job(desired, reason, options))
            submitted.append((key[0], key[1], reason))
            if self.config.drift_watch:
                self._watch(key, desired)
        return submitted

    def _applied_budget(self, key: TargetKey) -> AppliedBudget:
        """The budget of what the target last applied: the revision this daemon applied there, else the
        one its inventory records (a restart; an inventory keeps its revision when only the spec moved)."""
        by_revision, applied = self.budgets.for_environment(key[0]), self._states[key].applied
        return lambda recorded: by_revision(applied or recorded)

    def _watch(self, key: TargetKey, desired: Desired) -> None:
        """Point the target's drift watch at what was just submitted (opened on first use)."""
        current = self._watches.get(key)
        if current is None or current[0] != desired.cluster:
            for old in self._stop_watches([key]):
                old.stop(timeout=0)
            client = self._connect(desired.cluster)
            supervise(client, fence=None, observer=self._reach.get(key), answer_timeout=self.config.answer_timeout)
            if isinstance(client, Watchable):
                current = (desired.cluster, DriftWatch(key, client, self._drift_seen))
            else:
                close = getattr(client, "close", None)
                if callable(close):
                    close()
                current = (desired.cluster, None)
            self._watches[key] = current
        if current[1] is not None:
            current[1].update(desired.target.manifests)
        self.metrics.drift_watches(*key, len(current[1].groups) if current[1] is not None else 0)

    def _stop_watches(self, keys: list[TargetKey]) -> list[DriftWatch]:
        """Forget the watches of ``keys``; the caller stops them outside the lock."""
        stopped = [watch for key in keys if (watch := self._watches.pop(key, (None, None))[1]) is not None]
        for watch in stopped:
            self.metrics.drift_watches(*watch.key, 0)
        return stopped

    def _trackers(self) -> list[tuple[Reachability, Probe | None]]:
        """Each target's tracker with the probe its worker's client offers (None before it connected)."""
        with self._cond:
            return [(reach, worker.probe if (worker := self._workers.get(key)) is not None else None)
                    for key, reach in self._reach.items()]

    def _reach_changed(self, key: TargetKey, _reachable: bool) -> None:
        """A client of ``key`` got an answer after none, or none after answers (any thread): shown at once
        on the status page and in ``platformctl_cluster_up``, even while a reconcile is still hung."""
        with self._cond:
            state, reach = self._states.get(key), self._reach.get(key)
            if state is None or reach is None:
                return
            up, before = reach.reachable, state.reachable  # read again: flips are told outside the tracker's lock
            if up is None or up == before:
                return
            state.reachable, state.last_seen = up, reach.last_seen or state.last_seen
            self.metrics.cluster_reachable(*key, up)
            for row in shown_rows(state):
                self.metrics.component_health(*key, row.component, row.health.status.value)
            if up and before is False:
                log.info("cluster answers again", environment=key[0], cluster=key[1])
            elif not up:
                log.warning("cluster unreachable", environment=key[0], cluster=key[1], error=reach.error,
                            last_seen=str(state.last_seen))
            if up and self.scheduler.when(("retry", key)) is not None:
                self.scheduler.earliest(("retry", key), 0.0)  # it answers again: retry now, not after the backoff
            self._cond.notify_all()
        if up:
            self._wake.set()

    def _drift_seen(self, key: TargetKey, what: str) -> None:
        """A watch saw an object leave Git's line (called on the watch's thread)."""
        with self._cond:
            state = self._states.get(key)
            if self._stop.is_set() or not self._leader or state is None:
                return
            if state.blocked is not None and state.blocked == state.submitted:
                return  # waiting for a commit that fixes a change needing replacement: a check cannot help
            if not self.config.self_heal and state.drifted:
                return  # reported, not healed: every later event would only report it again
            self.scheduler.earliest(("drift", key), self.config.drift_watch_delay)
            self.metrics.drift_watch_report(*key)
            log.info("drift seen by watch", environment=key[0], cluster=key[1], change=what)
        self._wake.set()

    def _reason(self, key: TargetKey, state: TargetState, desired: Desired) -> str | None:
        revision = desired.target.revision
        if self.scheduler.when(("retry", key)) is not None:
            if self.scheduler.due(("retry", key)):
                return "retry"
            if state.reachable is False or state.submitted == revision:
                return None  # wait out the backoff (a dead cluster waits even when a new commit arrives)
            return "revision"  # the cluster answers and there is a new commit: it may fix the failure
        if state.submitted != revision:
            return "revision" if state.applied != revision else "resync"
        if self.scheduler.pop_due(("drift", key)):
            return "drift"
        return None

    def _idle_deadlines(self) -> list[tuple[str, str, str]]:
        """Not leading: no target deadlines stay armed (so the loop does not spin on them)."""
        for key in self._states:
            self.scheduler.cancel(("retry", key))
            self.scheduler.cancel(("drift", key))
        return []

    def _nothing_running(self) -> bool:
        return not any(w.running for w in [*self._workers.values(), *self._retired])

    def _finished(self, worker: TargetWorker, outcome: Outcome) -> None:
        """A worker's report (called on the worker's thread, holding the condition)."""
        self._wake.set()
        state = self._states.get(worker.key)
        if state is None or self._workers.get(worker.key) is not worker:
            return
        job, result = outcome.job, outcome.result
        revision = job.desired.target.revision
        bound = log.bind(**target_fields(environment=state.environment, cluster=state.cluster, revision=revision))
        if outcome.refused:
            state.error, state.submitted = f"abandoned: {result.error}", None
            bound.warning("reconcile abandoned", reason=job.reason, error=result.error)
            return
        now = self.clock.now()
        shown_before = {row.component for row in state.rows}
        state.attempted, state.last_reconcile, state.last_result = revision, now, result
        state.reachable, state.last_seen = outcome.reachable, outcome.last_seen or state.last_seen
        if result.ok:
            if job.options.apply:
                state.applied, state.last_success = revision, now
            state.error, state.failures, state.blocked, state.spec_errors = None, 0, None, []
            if self.config.drift_interval > 0:
                # earliest: a check a watch asked for during this reconcile stays due sooner
                self.scheduler.earliest(("drift", worker.key), self.config.drift_interval)
        elif result.permanent:
            # An object needs replacement: retrying this revision can only fail the same way, so the
            # target waits for the next commit (no backoff retries, no drift checks until then).
            state.error, state.failures, state.blocked = result.error, state.failures + 1, revision
            state.spec_errors = self._located(revision, result)
            self.scheduler.cancel(("drift", worker.key))
        else:
            state.error = result.error
            state.failures += 1
            delay = self._backoff(state.failures)
            self.scheduler.after(("retry", worker.key), delay)
            state.next_retry = now + timedelta(seconds=delay)
        state.rows = rows_after(result, applied=job.options.apply, reachable=outcome.reachable,
                                last_seen=state.last_seen)
        drifted = len(result.plan.writes) if job.reason == "drift" and result.plan is not None else None
        if drifted is not None:
            state.drifted = drifted
        report_outcome(self.metrics, state, outcome, drifted, shown_before)
        log_outcome(bound, state, outcome, drifted)

    def _located(self, revision: str, result: Result) -> list[str]:
        """The spec lines behind a refused replacement (when ``revision`` is still the loaded one)."""
        if self.good is None or self.good.commit != revision:
            return []
        return [str(e) for e in located_replacements(self.good.spec, [result])]

    def _backoff(self, failures: int) -> float:
        """Exponential with equal jitter: half the step fixed, half random (never an instant retry)."""
        step = min(self.config.backoff_cap, self.config.backoff_base * float(2 ** min(failures - 1, 30)))
        return step / 2 + float(self._rand()) * step / 2
