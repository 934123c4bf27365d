"""``platformctl run``: keep every managed cluster at the last good revision of a Git branch.

Public API::

    DaemonConfig(...)                    frozen, keyword-only settings; build_config(flags, environ)
    Daemon(config, source, connect=, metrics=, leadership=, clock=)
        .step(force=False) -> StepReport one pass of the control loop, decided by the injected clock
        .run_once() -> [Result] | None    reconcile every target once (``--once``)
        .run_forever() / .request_stop() / .shutdown()
        .wait_idle(timeout) / .wait_until(predicate, timeout)   bounded waits for tests
        .status() / .ready() / .on_push(ref) / .trigger          for the endpoints and watchers
    Service, build_service(config, ...), run(config, once=...)  process wiring: endpoints, watcher, signals
    LeaderElector(store, identity, clock), AlwaysLeader          leader election over a LeaseStore
    FileLeaseStore(dir)                                           (KubeLeaseStore in .election.kubestore)
    ManualClock, SystemClock, Scheduler                          time, injectable
    CoalescingTrigger, RefWatcher, push_handler                  what makes the daemon look at its source

Module map: ``config`` (settings), ``clock`` (time, deadlines), ``triggers`` (webhook, file watcher),
``revisions`` (commit -> verified, loaded, rendered targets), ``worker`` (one thread per target),
``guard`` (no write without the lease), ``election`` (leader election: the algorithm, the Lease
and file stores, the push relay), ``status`` (the status document), ``daemon`` (the control loop),
``service`` (assembly, signals). The loop's parts, one job each: ``role`` (lease ticks, relayed
pushes), ``refresh`` (source refresh, last good revision), ``pool`` (workers, target states),
``deadlines`` (retry backoff, drift checks), ``watches`` (drift watches), ``reachability``
(whether each cluster answers), ``outcomes`` (a finished job's state), ``kept`` (what the state keeps
of a result). ``arenas`` caps glibc's malloc arenas of the daemon's process.
"""

from __future__ import annotations

from reconciler.daemon.clock import Clock, ManualClock, Scheduler, SystemClock
from reconciler.daemon.config import ConfigError, DaemonConfig, build_config, parse_duration
from reconciler.daemon.daemon import Daemon, StepReport
from reconciler.daemon.election.elector import AlwaysLeader, LeaderElector, Leadership
from reconciler.daemon.election.filestore import FileLeaseStore
from reconciler.daemon.service import Service, build_service, run
from reconciler.daemon.triggers import CoalescingTrigger, RefWatcher, push_handler

__all__ = [
    "AlwaysLeader", "Clock", "CoalescingTrigger", "ConfigError", "Daemon", "DaemonConfig", "FileLeaseStore",
    "LeaderElector", "Leadership", "ManualClock", "RefWatcher", "Scheduler", "Service", "StepReport",
    "SystemClock", "build_config", "build_service", "parse_duration", "push_handler", "run",
]
