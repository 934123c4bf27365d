"""One worker thread per (environment, cluster), each with its own one-slot coalescing queue.

A worker owns its cluster client for its whole life (so the client's rate limit and connection
pool span reconciles), runs one reconcile at a time, and reports back through ``on_done``.
A newer job replaces a queued one: only the latest revision matters. Workers never sleep or
retry on their own: the daemon's loop decides when to submit again (backoff, drift ticks),
so one slow or dead cluster only ever occupies its own thread.

Every client is supervised (a no-op for a directory): a KubeCluster gets the daemon's write fence
(no write, not even a retry, after the lease's renew deadline), the target's ``Reachability`` as
its answer observer, and the daemon's read deadline.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import structlog

from reconciler.cluster.base import Cluster
from reconciler.cluster.fence import OPEN, WriteFence
from reconciler.cluster.kube.cached import CachedCluster
from reconciler.cluster.kube.cluster import KubeCluster
from reconciler.cluster.kube.informer import Informer
from reconciler.daemon.clock import Clock
from reconciler.daemon.guard import GuardedCluster
from reconciler.daemon.reach import Probe, Reachability
from reconciler.daemon.revisions import Desired, TargetKey
from reconciler.daemon.status import Applying
from reconciler.engine import WRITTEN, ApplyOptions, Change, Result, Target, reconcile
from reconciler.errors import ClusterError
from reconciler.rollout.driver import RolloutDriver
from reconciler.rollout.view import RolloutView
from reconciler.spec.models import Cluster as ClusterSpec

log = structlog.get_logger("platformctl.worker")

Connect = Callable[[ClusterSpec], Cluster]
Locate = Callable[[str, Result], list[str]]
"""(revision, result) -> the spec lines behind the result's objects that need replacement."""


@dataclass(frozen=True, slots=True)
class Job:
    """One reconcile to run: what, why, and how."""

    desired: Desired
    reason: str
    """``revision``, ``drift``, ``retry``, ``leader`` or ``once``."""
    options: ApplyOptions


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a job came to."""

    job: Job
    result: Result
    seconds: float
    reachable: bool | None
    last_seen: datetime | None
    refused: bool
    """A write was refused (leadership lost or shutting down): the reconcile was abandoned."""
    requests: dict[str, int]
    """Requests the cluster client sent so far, per verb (cumulative)."""
    retries: int
    throttled: float
    rate_limit: float | None = None
    """Client-side requests/s limit in force (0: none); None for clients without one."""
    rollouts: tuple[RolloutView, ...] = ()
    """The progressive rollouts of the target's served models, after this job moved them."""
    located: tuple[str, ...] = ()
    """``file:line:col`` of the spec change behind each object that needs replacement (a refused plan)."""


class TargetWorker:
    """Runs the jobs of one target on its own thread; all state is guarded by the shared condition."""

    def __init__(self, key: TargetKey, *, connect: Connect, clock: Clock, refusal: Callable[[], str | None],
                 condition: threading.Condition, on_done: Callable[[TargetWorker, Outcome], None],
                 on_api_error: Callable[[str, int], None], fence: WriteFence = OPEN,
                 reach: Reachability | None = None, answer_timeout: float | None = None,
                 rollouts: RolloutDriver | None = None,
                 on_progress: Callable[[TargetWorker, Applying | None], None] | None = None,
                 informer: Callable[[], Informer | None] | None = None, locate: Locate | None = None) -> None:
        self.key = key
        self._locate = locate
        self._informer = informer
        self._rollouts = rollouts
        self._connect = connect
        self._clock = clock
        self._refusal = refusal
        self._fence = fence
        self.reach = reach if reach is not None else Reachability(clock)
        self._answer_timeout = answer_timeout
        self._cond = condition
        self._on_done = on_done
        self._on_api_error = on_api_error
        self._on_progress = on_progress
        self._pending: Job | None = None
        self._busy = False
        self._stopping = False
        self._client: tuple[ClusterSpec, Cluster, GuardedCluster] | None = None
        self._thread = threading.Thread(target=self._loop, name=f"platformctl-{key[0]}-{key[1]}", daemon=True)

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def submit(self, job: Job) -> None:
        """Queue ``job``, replacing a queued one (caller holds the condition)."""
        if not self._stopping:
            self._pending = job
            self._cond.notify_all()

    def drop_pending(self) -> None:
        """Forget the queued job (caller holds the condition)."""
        self._pending = None

    @property
    def busy(self) -> bool:
        """Running or holding a job (caller holds the condition)."""
        return self._busy or self._pending is not None

    @property
    def running(self) -> bool:
        """A reconcile is in flight (caller holds the condition)."""
        return self._busy

    def stop(self) -> None:
        """Let the thread end after its current job (caller holds the condition)."""
        self._stopping = True
        self._pending = None
        self._cond.notify_all()

    def join(self, timeout: float) -> bool:
        """Wait for the thread to end (do not hold the condition); True when it did."""
        self._thread.join(timeout)
        ended = not self._thread.is_alive()
        if ended and self._client is not None:
            self._client[1].close()
            self._client = None
        return ended

    def _loop(self) -> None:
        while self._turn():
            pass

    def _turn(self) -> bool:
        """Wait for a job and run it; False once stopping. Its own frame, so the thread waits for the next
        job holding nothing of the last one (its result's live objects, its revision's manifests)."""
        with self._cond:
            while self._pending is None and not self._stopping:
                self._cond.wait()
            if self._stopping:
                return False
            job, self._pending, self._busy = self._pending, None, True
        assert job is not None
        outcome = self._run(job)
        with self._cond:
            try:
                self._on_done(self, outcome)
            finally:
                self._busy = False
                self._cond.notify_all()
        return True

    def _run(self, job: Job) -> Outcome:
        started = time.perf_counter()
        guarded: GuardedCluster | None = None
        views: list[RolloutView] = []
        try:
            guarded = self._cluster(job.desired.cluster)
            policies = job.desired.rollouts if self._rollouts is not None and job.options.apply else ()
            if policies and self._rollouts is not None:
                # the canary share of a new version is set before the reconcile applies that version
                self._rollouts.before(guarded, policies)
            options = job.options
            if options.apply and self._on_progress is not None:
                options = dataclasses.replace(options, progress=_Published(self))
            result = reconcile(guarded, job.desired.target, options)
            if self._rollouts is not None and job.options.apply and not guarded.refused:
                # without policies this costs no request, unless a rollout Git stopped asking for is let go
                views = self._rollouts.after(guarded, policies, environment=self.key[0], cluster_name=self.key[1])
            if result.ok and isinstance(guarded.inner, CachedCluster):
                guarded.inner.retire_unread()  # what neither the reconcile nor the rollouts read is not watched
        except ClusterError as exc:  # e.g. a kubeconfig that cannot be loaded
            result = Result(job.desired.target, error=str(exc))
        except Exception as exc:  # noqa: BLE001 - one target's failure must never end its worker
            log.exception("reconcile crashed", environment=self.key[0], cluster=self.key[1])
            result = Result(job.desired.target, error=f"{type(exc).__name__}: {exc}")
        seconds = time.perf_counter() - started
        refused = guarded is not None and guarded.refused
        # here, not when the outcome is recorded: locating reads and loads the commit again (no lock held)
        located = self._locate(job.desired.target.revision, result) \
            if self._locate is not None and result.permanent and not refused else []
        inner = guarded.inner if guarded is not None else None
        return Outcome(job, result, seconds, guarded.reachable if guarded is not None else False,
                       guarded.last_seen if guarded is not None else None, refused,
                       inner.request_counts() if inner is not None else {},
                       inner.retries if inner is not None else 0,
                       inner.throttled_seconds if inner is not None else 0.0,
                       inner.rate_limit if inner is not None else None, tuple(views), tuple(located))

    def clock_now(self) -> datetime:
        """The daemon clock's now."""
        return self._clock.now()

    def publish(self, applying: Applying | None) -> None:
        """Tell the daemon how far this worker's apply is (taking the shared condition)."""
        if self._on_progress is not None:
            with self._cond:
                self._on_progress(self, applying)

    @property
    def probe(self) -> Probe | None:
        """One cheap request through the worker's client (its answer goes to the tracker), once it has a
        client that offers one (a Kubernetes cluster; a directory has nothing to ask)."""
        client = self._client  # one reference read: the worker's thread may be replacing it
        return client[1].probe if client is not None else None

    def _cluster(self, spec: ClusterSpec) -> GuardedCluster:
        """The worker's client, (re)connected when the cluster's entry in the spec changed."""
        if self._client is None or self._client[0] != spec:
            if self._client is not None:
                self._client[1].close()
                self._client = None
            inner = self._connect(spec)
            if self._informer is not None and isinstance(inner, KubeCluster):
                inner = CachedCluster(inner, self._informer)
            inner.supervise(fence=self._fence, observer=self.reach, answer_timeout=self._answer_timeout)
            guarded = GuardedCluster(inner, self._refusal, self._clock,
                                     lambda code: self._on_api_error(spec.name, code), self.reach,
                                     observed=isinstance(inner, CachedCluster))
            self._client = (spec, inner, guarded)
        guarded = self._client[2]
        guarded.refused = False
        if isinstance(self._client[1], CachedCluster):
            self._client[1].reset()
        return guarded


class _Published:
    """An ``engine.ApplyProgress`` that publishes a worker's apply to its target's state (the status page)."""

    def __init__(self, worker: TargetWorker) -> None:
        self._worker = worker
        self._applying: Applying | None = None

    def started(self, target: Target, total: int) -> None:
        """Writing begins."""
        self._applying = Applying(target.revision, 0, total, self._worker.clock_now())
        self._worker.publish(self._applying)

    def finished(self, target: Target, change: Change) -> None:
        """One object done."""
        if self._applying is not None and change.action in WRITTEN:
            self._applying = self._applying.advanced()
            self._worker.publish(self._applying)
