"""The targets of the loaded revision: one ``TargetWorker`` and one ``TargetState`` each.

All of it is guarded by the daemon's shared condition (the workers wait and report on it too).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from reconciler.cluster.fence import WriteFence
from reconciler.cluster.kube.informer import Informer
from reconciler.daemon.clock import Clock
from reconciler.daemon.reach import Probe, Reachability
from reconciler.daemon.revisions import TargetKey
from reconciler.daemon.status import Applying, TargetState
from reconciler.daemon.worker import Connect, Job, Locate, Outcome, TargetWorker
from reconciler.rollout.driver import RolloutDriver


class WorkerPool:
    """Starts, feeds and stops the workers of the managed targets and holds each target's state
    (every method is called holding the condition; the workers ``stop_all`` returns are joined
    outside it)."""

    def __init__(self, *, connect: Connect, clock: Clock, refusal: Callable[[], str | None], fence: WriteFence,
                 answer_timeout: float, condition: threading.Condition,
                 on_done: Callable[[TargetWorker, Outcome], None],
                 on_api_error: Callable[[str, int], None], rollouts: RolloutDriver | None = None,
                 guard_for: Callable[[TargetKey], tuple[Callable[[], str | None], WriteFence]] | None = None,
                 informers: Callable[[TargetKey], Informer | None] | None = None,
                 locate: Locate | None = None) -> None:
        self._connect = connect
        self._locate = locate
        self._informers = informers
        self._rollouts = rollouts
        self._clock = clock
        self._refusal = refusal
        self._fence = fence
        self._answer_timeout = answer_timeout
        self._cond = condition
        self._on_done = on_done
        self._on_api_error = on_api_error
        self._guard_for = guard_for
        """Sharded: each target's own refusal and fence (its shard's Lease) instead of the leader's."""
        self.states: dict[TargetKey, TargetState] = {}
        """Every managed target's state, in spec order."""
        self._workers: dict[TargetKey, TargetWorker] = {}
        self._retired: list[TargetWorker] = []

    def __contains__(self, key: object) -> bool:
        return key in self._workers

    def keys(self) -> list[TargetKey]:
        """The targets with a worker."""
        return list(self._workers)

    def start(self, key: TargetKey, reach: Reachability) -> None:
        """Start the worker of a new target (its state kept when it had one)."""
        self.states.setdefault(key, TargetState(*key))
        refusal, fence = self._guard_for(key) if self._guard_for is not None else (self._refusal, self._fence)
        worker = TargetWorker(key, connect=self._connect, clock=self._clock, refusal=refusal,
                              fence=fence, reach=reach, answer_timeout=self._answer_timeout,
                              condition=self._cond, on_done=self._on_done, on_api_error=self._on_api_error,
                              rollouts=self._rollouts, on_progress=self._progress,
                              informer=_bound(self._informers, key), locate=self._locate)
        self._workers[key] = worker
        worker.start()

    def _progress(self, worker: TargetWorker, applying: Applying | None) -> None:
        """A worker's apply moved on: shown in its target's state (called holding the condition)."""
        state = self.state_of(worker)
        if state is not None:
            state.applying = applying

    def retire(self, key: TargetKey) -> None:
        """A target left the spec: stop its worker (joined on shutdown) and forget its state."""
        worker = self._workers.pop(key)
        worker.stop()
        self._retired.append(worker)
        self.states.pop(key, None)

    def submit(self, key: TargetKey, job: Job) -> None:
        """Hand ``job`` to the target's worker (replacing a queued one)."""
        self._workers[key].submit(job)

    def state_of(self, worker: TargetWorker) -> TargetState | None:
        """The state a worker's report belongs to; None when the worker was retired since."""
        state = self.states.get(worker.key)
        if state is None or self._workers.get(worker.key) is not worker:
            return None
        return state

    def lead_changed(self, leading: bool) -> None:
        """Gaining the lead reconciles everything once; losing it drops the queued jobs as well."""
        for key, state in self.states.items():
            state.submitted = None
            if not leading:
                self._workers[key].drop_pending()

    def let_go(self, keys: list[TargetKey]) -> None:
        """Targets now written by another replica: drop their queued jobs, reconcile them once when regained."""
        for key in keys:
            if key in self._workers:
                self._workers[key].drop_pending()
            if key in self.states:
                self.states[key].submitted = None

    def running(self, keys: list[TargetKey]) -> bool:
        """Whether a reconcile of any of ``keys`` is in flight."""
        return any(self._workers[k].running for k in keys if k in self._workers)

    def drop_pending(self) -> None:
        """Forget every queued job."""
        for worker in self._workers.values():
            worker.drop_pending()

    def busy(self) -> bool:
        """Whether any worker runs or holds a job."""
        return any(w.busy for w in self._workers.values())

    def nothing_running(self) -> bool:
        """Whether no reconcile is in flight, retired workers included."""
        return not any(w.running for w in [*self._workers.values(), *self._retired])

    def probe(self, key: TargetKey) -> Probe | None:
        """The probe of the target's client (None before it connected)."""
        worker = self._workers.get(key)
        return worker.probe if worker is not None else None

    def stop_all(self) -> list[TargetWorker]:
        """Let every worker end after its current job; the caller joins them outside the lock."""
        workers = [*self._workers.values(), *self._retired]
        for worker in workers:
            worker.stop()
        return workers


def _bound(informers: Callable[[TargetKey], Informer | None] | None, key: TargetKey
           ) -> Callable[[], Informer | None] | None:
    """The target's watch cache lookup (None: the daemon plans from LISTs)."""
    if informers is None:
        return None
    return lambda: informers(key)
