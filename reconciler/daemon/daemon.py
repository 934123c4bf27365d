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

``Daemon`` only runs the loop; each job of it is a part of its own, sharing one condition:
``LeaderRole`` (lease ticks, relayed pushes, the write refusal), ``SourceRefresher`` (the branch,
the last good revision, rejections), ``WorkerPool`` (workers and target states),
``TargetDeadlines`` (retry backoff, drift checks), ``DriftWatches``, ``TargetReachability``
and ``OutcomeRecorder`` (a finished job into its target's state); sharded (``--shards``),
``ShardedTargets``: only the targets of the shards this replica holds get jobs, each worker
fenced by its own shard's Lease.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import structlog

from reconciler.daemon.alerts import view
from reconciler.daemon.announce import Announcer
from reconciler.daemon.clock import Clock, Scheduler, SystemClock
from reconciler.daemon.config import DaemonConfig
from reconciler.daemon import dashboard
from reconciler.daemon.deadlines import TargetDeadlines
from reconciler.daemon.election.elector import AlwaysLeader, Leadership
from reconciler.daemon.election.relay import PushRelay
from reconciler.daemon.election.sharded import ShardedLeadership
from reconciler.daemon.guard import DaemonFence
from reconciler.daemon.eventnotes import outcome_notes, rejected_notes
from reconciler.daemon.handoffs import HandoffQueue
from reconciler.daemon.history import History
from reconciler.daemon.kept import kept_result
from reconciler.daemon.outcomes import OutcomeRecorder
from reconciler.daemon.pool import WorkerPool
from reconciler.daemon.reachability import TargetReachability
from reconciler.daemon.refresh import SourceRefresher
from reconciler.daemon.revisions import Desired, LoadedRevision, TargetKey
from reconciler.daemon.role import LeaderRole
from reconciler.daemon.sharding import ShardedTargets
from reconciler.daemon.status import SourceState, TargetState, document
from reconciler.daemon.triggers import CoalescingTrigger, push_handler
from reconciler.daemon.watches import DriftWatches
from reconciler.daemon.worker import Connect, Job, Outcome, TargetWorker
from reconciler.engine import ApplyOptions, Result
from reconciler.observability.metrics import Metrics
from reconciler.policy.enforcement import Enforcement
from reconciler.policy.resolve import daemon_enforcement
from reconciler.rollout.driver import RolloutDriver, stored_state
from reconciler.rollout.policy import RolloutPolicy
from reconciler.rollout.prometheus import Prometheus
from reconciler.rollout.state import RolloutState
from reconciler.source.tracking import Source

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
    """Keeps every managed cluster at the last good revision of one branch: the control loop over its parts."""

    def __init__(self, config: DaemonConfig, source: Source, *, connect: Connect, metrics: Metrics,
                 leadership: Leadership | None = None, clock: Clock | None = None,
                 rand: Callable[[], float] = random.random, relay: PushRelay | None = None,
                 enforcement: Enforcement | None = None, announcer: Announcer | None = None) -> None:
        self.config = config
        self.enforcement = enforcement or daemon_enforcement(None, config.resolved_cluster_root(),
                                                             (config.own_namespace, config.lease_namespace), {})
        """The operator policy every revision is checked against before any of it reaches a cluster."""
        self.metrics = metrics
        self.clock = clock or SystemClock()
        self.leadership = leadership or AlwaysLeader(config.resolved_identity())
        self.scheduler = Scheduler(self.clock)
        self._cond = threading.Condition()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._abandon = threading.Event()
        self._shut = False
        self.trigger = CoalescingTrigger(self._wake)
        self.on_push = push_handler(self.trigger, config.branch)
        """The Endpoints ``on_push`` callback (returns at once; the next step refreshes)."""
        self.refresher = SourceRefresher(source, config, self.enforcement, metrics=metrics, clock=self.clock,
                                         condition=self._cond)
        self.deadlines = TargetDeadlines(self.scheduler, config, rand)
        self.trigger.fire("start")
        self.shards = (ShardedTargets(self.leadership, metrics=metrics, stop=self._stop, abandon=self._abandon)
                       if isinstance(self.leadership, ShardedLeadership) else None)
        """Sharded: which targets this replica writes, each behind its shard's Lease; None: one leader."""
        self.role = LeaderRole(self.leadership, scheduler=self.scheduler, trigger=self.trigger, metrics=metrics,
                               branch=config.branch, stop=self._stop, abandon=self._abandon, relay=relay)
        self._connect = connect
        self.pool = WorkerPool(connect=connect, clock=self.clock, refusal=self.refusal,
                               fence=DaemonFence(self.leadership.remaining, self.refusal),
                               answer_timeout=config.answer_timeout, condition=self._cond, on_done=self._finished,
                               on_api_error=lambda cluster, code: self.metrics.api_error(cluster, code),
                               rollouts=RolloutDriver(
                                   now=lambda: self.clock.now().timestamp(),
                                   query=Prometheus(config.prometheus_url).query if config.prometheus_url else None,
                                   instance=self.leadership.identity),
                               guard_for=self.shards.guard if self.shards is not None else None,
                               informers=(lambda key: self.watches.informer(key))
                               if config.watch_cache and config.drift_watch else None,
                               locate=self.refresher.located)
        self.reach = TargetReachability(clock=self.clock, condition=self._cond, metrics=metrics,
                                        deadlines=self.deadlines, states=self.pool.states, probe=self.pool.probe,
                                        answer_timeout=config.answer_timeout, stop=self._stop, wake=self._wake)
        self.watches = DriftWatches(connect=connect, metrics=metrics, answer_timeout=config.answer_timeout,
                                    on_drift=self._drift_seen, cache=config.watch_cache,
                                    watch_timeout=config.watch_timeout)
        self.outcomes = OutcomeRecorder(clock=self.clock, deadlines=self.deadlines, metrics=metrics)
        self.handoffs = HandoffQueue(enabled=config.promote_after_rollout, push=config.remote,
                                     owns=self.shards.owns if self.shards is not None else None,
                                     peer_state=self._peer_rollout, now=lambda: self.clock.now().timestamp())
        self.announcer = announcer or Announcer(metrics=metrics)
        """Alerts (notifications) and Kubernetes Events; by default neither (``service`` wires them)."""
        self.history = History()
        """Each target's recent reconciles, health changes, applied diffs and Events (the dashboard's)."""
        self.dashboard = DashboardView(self)
        """What the dashboard reads (``reconciler.observability.dashboard.DashboardSource``)."""

    @property
    def source(self) -> Source:
        """The tracked source."""
        return self.refresher.source

    @property
    def source_state(self) -> SourceState:
        """The branch's head, the last good revision, and why the last commit was refused."""
        return self.refresher.state

    @property
    def good(self) -> LoadedRevision | None:
        """The last good revision (None before one loaded)."""
        return self.refresher.good

    # --- the loop -----------------------------------------------------------------------
    def step(self, *, force: bool = False) -> StepReport:
        """One pass of the control loop (see the module docstring); ``force`` reconciles every target now."""
        leading = self._lead()
        if leading and not self._stop.is_set():
            self.handoffs.open_pending(self.source.path, self._cond, self.good)
        reasons = self.trigger.take()
        if reasons.get("webhook") and (not leading or self.shards is not None):
            self.role.forward_push()
        if self.scheduler.pop_due("poll"):
            reasons["poll"] = reasons.get("poll", 0) + 1
        if force:
            reasons["once"] = 1
        head = loaded = rejected = None
        if reasons and not self._stop.is_set():
            if self.config.poll_interval > 0:
                self.scheduler.after("poll", self.config.poll_interval)
            was_rejected = self.source_state.rejected
            head, loaded, rejected = self.refresher.refresh()
            self._announce_source(loaded, rejected, was_rejected)
        with self._cond:
            self._sync_targets()
            if leading and not self._stop.is_set():
                if self.shards is not None:  # targets of shards held elsewhere: no deadline keeps the loop spinning
                    self.deadlines.clear([k for k in self.pool.states if not self.shards.owns(k)])
                submitted = self._submit(force)
            else:
                self.deadlines.clear(self.pool.states)  # not leading: no deadline keeps the loop spinning
                submitted = []
        return StepReport(leading, reasons, head, loaded, rejected, submitted)

    def run_once(self, timeout: float = 600.0) -> list[Result] | None:
        """Refresh, load and reconcile every target once; the results, or None when nothing could run."""
        report = self.step(force=True)
        good = self.good
        if not report.leader or good is None:
            return None
        self.wait_idle(timeout)
        with self._cond:
            return [self.pool.states[(env, cluster)].last_result or Result(good.desired[(env, cluster)].target,
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
            self.pool.drop_pending()
            finished = self._cond.wait_for(self.pool.nothing_running, timeout=self.config.shutdown_grace)
            if not finished:
                log.warning("abandoning applies in flight", grace=self.config.shutdown_grace)
                self._abandon.set()
                self._cond.notify_all()
                finished = self._cond.wait_for(self.pool.nothing_running, timeout=5.0)
            workers = self.pool.stop_all()
            watches = self.watches.forget_all()
        for watch in watches:
            watch.stop()
        for worker in workers:
            worker.join(timeout=1.0)
        self.announcer.close()
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
            return self._cond.wait_for(lambda: not self.pool.busy(), timeout)

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
            doc = document(self.source_state, list(self.pool.states.values()), leader=self.role.leading,
                           ready=self.ready(), election=self.leadership.describe(),
                           owners=self.shards.owners(self.pool.states) if self.shards is not None else None)
            doc["promotionsOpened"] = self.handoffs.document()
            return doc

    def targets(self) -> list[TargetState]:
        """Every managed target's state, in spec order."""
        with self._cond:
            return list(self.pool.states.values())

    def target(self, environment: str, cluster: str) -> TargetState:
        """The live state of one target (read it under ``wait_until`` or after ``wait_idle``)."""
        return self.pool.states[(environment, cluster)]

    def refusal(self) -> str | None:
        """Why a worker must not write now, or None (checked by every worker before every write)."""
        return self.role.refusal()

    # --- wiring the parts -------------------------------------------------------------------
    def _lead(self) -> bool:
        """Tick the election; on gaining the lead reconcile everything once, on losing it stop the watches."""
        leading, changed = self.role.tick()
        if self.shards is not None:
            self._settle_shards(self.shards)
        elif changed:
            with self._cond:
                self.pool.lead_changed(leading)
                stopped = [] if leading else self.watches.forget_all()
            for watch in stopped:
                watch.stop(timeout=0)
        return leading

    def _settle_shards(self, shards: ShardedTargets) -> None:
        """Sharded: targets gained are reconciled once, targets lost get no new job and no watch, shards being
        handed over are released once none of their reconciles is in flight."""
        with self._cond:
            let_go, releasable = shards.settle(self.pool)
            stopped = self.watches.forget(let_go)
        for watch in stopped:
            watch.stop(timeout=0)
        shards.release(releasable)

    def _sync_targets(self) -> None:
        """A worker for each target of the good revision; targets that left the spec let go (caller holds
        the condition)."""
        good = self.good
        if good is None:
            return
        for key in good.desired:
            if key not in self.pool:
                self.pool.start(key, self.reach.track(key))
        for key in [k for k in self.pool.keys() if k not in good.desired]:
            log.warning("target no longer in the spec; its objects are left in place", environment=key[0],
                        cluster=key[1])
            self.pool.retire(key)
            self.announcer.forget(key)
            self.history.forget(key)
            self.reach.forget(key)
            self.deadlines.clear([key])
            self.metrics.forget(*key)
            for watch in self.watches.forget([key]):
                watch.stop(timeout=0)

    def _submit(self, force: bool) -> list[tuple[str, str, str]]:
        """Hand a job to each target that needs one (caller holds the condition)."""
        good = self.good
        assert good is not None or not self.pool.keys()
        submitted: list[tuple[str, str, str]] = []
        for key, desired in (good.desired.items() if good is not None else []):
            state = self.pool.states[key]
            reason = "once" if force else self.deadlines.reason(key, state, desired)
            if reason is None or (self.shards is not None and not self.shards.owns(key)):
                continue
            self.deadlines.clear([key])
            state.submitted, state.next_retry = desired.target.revision, None
            self.pool.submit(key, Job(desired, reason, self._options(key, desired, reason)))
            submitted.append((key[0], key[1], reason))
            if self.config.drift_watch:
                self.watches.point(key, desired, self.reach.get(key))
        return submitted

    def _options(self, key: TargetKey, desired: Desired, reason: str) -> ApplyOptions:
        """How a job applies: a drift check without self-heal only reports."""
        return desired.options(ApplyOptions(
            apply=reason != "drift" or self.config.self_heal, prune=self.config.prune,
            applied_budget=self.refresher.applied_budget(key[0], self.pool.states[key].applied),
            cluster_scoped=self.enforcement.cluster_scoped_kinds(key[0])))

    def _peer_rollout(self, key: TargetKey, policy: RolloutPolicy) -> RolloutState | None:
        """The stored state of a rollout on a target another replica reconciles (read with a client of its own,
        on the loop's thread; sharded promotions only)."""
        good = self.good
        desired = good.desired.get(key) if good is not None else None
        if desired is None:
            return None
        cluster = self._connect(desired.cluster)
        try:
            return stored_state(cluster, policy)
        finally:
            cluster.close()

    def _drift_seen(self, key: TargetKey, what: str) -> None:
        """A watch saw an object leave Git's line (called on the watch's thread)."""
        with self._cond:
            state = self.pool.states.get(key)
            if self._stop.is_set() or not self.role.leading or state is None or (
                    self.shards is not None and not self.shards.owns(key)):
                return
            if not self.deadlines.drift_seen(key, state):
                return
            self.metrics.drift_watch_report(*key)
            log.info("drift seen by watch", environment=key[0], cluster=key[1], change=what)
        self._wake.set()

    def _finished(self, worker: TargetWorker, outcome: Outcome) -> None:
        """A worker's report (called on the worker's thread, holding the condition)."""
        self._wake.set()
        state = self.pool.state_of(worker)
        if state is not None:
            before = view(state)
            self.outcomes.record(worker.key, state, outcome)
            self.watches.publish(worker.key)
            if self.good is not None:
                self.handoffs.note(worker.key, self.good, self.pool.states)
            self.announcer.outcome(worker.key, before, state, outcome)
            now = self.clock.now()
            self.history.record(worker.key, state, outcome, now)
            if outcome.job.options.apply and not outcome.refused:
                self.history.events(worker.key, outcome_notes(outcome), now)
            if state.last_result is outcome.result:
                state.last_result = kept_result(outcome.result)  # the live objects are not read after this

    def _announce_source(self, loaded: str | None, rejected: str | None, was_rejected: str | None) -> None:
        """Alert (and record Events) about a rejected head, or a good load after a rejected one."""
        with self._cond:
            good = self.good
            if rejected is not None:
                self.announcer.rejected(self.source_state, good.desired if good is not None else {})
                for desired, note in rejected_notes(self.source_state, (good.desired if good else {}).values()):
                    self.history.events((desired.target.environment, desired.cluster.name), [note],
                                        self.clock.now())
            elif loaded is not None and was_rejected is not None:
                self.announcer.source_recovered(self.source_state)


class DashboardView:
    """The daemon as the dashboard reads it: each document built holding the daemon's lock."""

    def __init__(self, daemon: Daemon) -> None:
        self._daemon = daemon

    def overview(self) -> dict[str, Any]:
        """The status document with every target's latest reconciles."""
        d = self._daemon
        with d._cond:  # noqa: SLF001 - the daemon's own part
            return dashboard.overview(d.status(), d.history, list(d.pool.keys()))

    def cluster(self, environment: str, cluster: str) -> dict[str, Any] | None:
        """One target, or None when not managed."""
        d = self._daemon
        with d._cond:  # noqa: SLF001
            return dashboard.cluster(d.status(), d.history, (environment, cluster))

    def component(self, environment: str, cluster: str, name: str) -> dict[str, Any] | None:
        """One component on one target, or None when not known there."""
        d = self._daemon
        key = (environment, cluster)
        with d._cond:  # noqa: SLF001
            return dashboard.component(d.status(), d.history, key, name, d.pool.states.get(key), d.good)
