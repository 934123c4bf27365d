"""Assemble and run the daemon from a DaemonConfig: source, clusters, lease, metrics, endpoints, watcher, signals.

``run(config)`` is what ``platformctl run`` calls. ``Service`` owns the process-level pieces
(HTTP endpoints, file watcher, signal handlers) around one ``Daemon``, and tears them down in
order on SIGTERM/SIGINT: the daemon finishes or abandons its applies and releases the lease,
then the watcher and the endpoints stop.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, TextIO

import orjson
import structlog

from reconciler.cluster.base import Cluster
from reconciler.cluster.connect import connect as connect_cluster
from reconciler.daemon.announce import Announcer
from reconciler.daemon.arenas import limit_arenas
from reconciler.daemon.clock import Clock, SystemClock
from reconciler.daemon.config import DaemonConfig, listen_address
from reconciler.daemon.daemon import Daemon
from reconciler.daemon.election.elector import AlwaysLeader, LeaderElector, Leadership
from reconciler.daemon.election.filestore import FileLeaseStore
from reconciler.daemon.election.members import FileMemberStore, MemberStore
from reconciler.daemon.election.record import LeaseStore
from reconciler.daemon.election.sharded import ShardedLeadership
from reconciler.daemon.election.relay import FilePushRelay, PushRelay
from reconciler.daemon.triggers import RefWatcher
from reconciler.daemon.worker import Connect
from reconciler.engine import Result
from reconciler.observability.http import Endpoints
from reconciler.observability.metrics import Metrics
from reconciler.policy.enforcement import Enforcement
from reconciler.policy.resolve import daemon_enforcement, own_namespace
from reconciler.source.tracking import Source, open_source
from reconciler.spec.models import Cluster as ClusterSpec

if TYPE_CHECKING:
    from reconciler.cluster.kube.cluster import KubeCluster

log = structlog.get_logger("platformctl.service")


class Service:
    """A Daemon with its endpoints, watcher and signal handling."""

    def __init__(self, daemon: Daemon, *, endpoints: Endpoints | None = None,
                 watcher: RefWatcher | None = None) -> None:
        self.daemon = daemon
        self.endpoints = endpoints
        self.watcher = watcher
        self._previous: dict[int, Callable[[int, FrameType | None], object] | int | None] = {}

    def run(self) -> int:
        """Serve until SIGTERM/SIGINT (or ``daemon.request_stop()``); 0 after a clean shutdown."""
        self._install_signals()
        try:
            if self.endpoints is not None:
                self.endpoints.start()
            if self.watcher is not None:
                self.watcher.start()
            self.daemon.run_forever()
        finally:
            self.daemon.shutdown()
            if self.watcher is not None:
                self.watcher.stop()
            if self.endpoints is not None:
                self.endpoints.stop()
            self._restore_signals()
        return 0

    def _install_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # only the main thread may set handlers; stop with daemon.request_stop()

        def stop(signum: int, _frame: FrameType | None) -> None:
            log.info("signal received; shutting down", signal=signal.Signals(signum).name)
            self.daemon.request_stop()

        for signum in (signal.SIGTERM, signal.SIGINT):
            self._previous[signum] = signal.signal(signum, stop)

    def _restore_signals(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        self._previous.clear()


def lease_backend(config: DaemonConfig, environ: dict[str, str] | None = None) -> str:
    """``none``, ``file`` or ``kube``; ``auto`` is a Lease in a Kubernetes pod or with a lease kubeconfig,
    else a file lease in the state directory."""
    env = os.environ if environ is None else environ
    if config.lease == "auto":
        return "kube" if config.lease_kubeconfig or env.get("KUBERNETES_SERVICE_HOST") else "file"
    return config.lease


def build_leadership(config: DaemonConfig, clock: Clock, environ: dict[str, str] | None = None) -> Leadership:
    """The lease the config asks for (see ``lease_backend``)."""
    backend = lease_backend(config, environ)
    identity = config.resolved_identity()
    if backend == "none":
        return AlwaysLeader(identity)
    if config.shards:
        return build_sharded(config, clock, backend)
    store: LeaseStore
    if backend == "file":
        store = FileLeaseStore(config.resolved_state_dir(), config.lease_name)
    else:
        from reconciler.daemon.election.kubestore import KubeLeaseStore  # imports the Kubernetes client: only when used

        store = KubeLeaseStore(_lease_cluster(config), config.lease_namespace, config.lease_name)
    return LeaderElector(store, identity, clock, lease_duration=config.lease_duration,
                         renew_deadline=config.renew_deadline, retry_period=config.retry_period)


def build_sharded(config: DaemonConfig, clock: Clock, backend: str) -> ShardedLeadership:
    """``config.shards`` shard Leases ``<lease_name>-shard-<i>`` and a member Lease per replica, in the state
    directory (``file``) or the lease namespace (``kube``)."""
    identity = config.resolved_identity()
    members: MemberStore
    stores: list[LeaseStore]
    if backend == "file":
        directory = config.resolved_state_dir()
        members = FileMemberStore(directory, config.lease_name, config.shards)
        stores = [FileLeaseStore(directory, f"{config.lease_name}-shard-{i}") for i in range(config.shards)]
    else:
        from reconciler.daemon.election.kubestore import KubeLeaseStore, KubeMemberStore

        cluster = _lease_cluster(config)
        members = KubeMemberStore(cluster, config.lease_namespace, config.lease_name, config.shards)
        stores = [KubeLeaseStore(cluster, config.lease_namespace, f"{config.lease_name}-shard-{i}")
                  for i in range(config.shards)]

    def elector(store: LeaseStore) -> LeaderElector:
        return LeaderElector(store, identity, clock, lease_duration=config.lease_duration,
                             renew_deadline=config.renew_deadline, retry_period=config.retry_period)

    return ShardedLeadership(identity, clock, member=elector(members.own(identity)), members=members,
                             shards=[elector(store) for store in stores])


def build_push_relay(config: DaemonConfig, environ: dict[str, str] | None = None) -> PushRelay | None:
    """Where a standby hands webhook pushes to the leader: beside the lease (None without election)."""
    backend = lease_backend(config, environ)
    if backend == "none":
        return None
    if backend == "file":
        return FilePushRelay(config.resolved_state_dir(), config.lease_name)
    from reconciler.daemon.election.kubestore import KubePushRelay

    return KubePushRelay(_lease_cluster(config), config.lease_namespace, config.lease_name)


def _lease_cluster(config: DaemonConfig) -> KubeCluster:
    from reconciler.cluster.kube.cluster import KubeCluster  # imports the Kubernetes client: only when used
    from reconciler.cluster.kube.options import KubeOptions

    # One attempt per tick, bounded by the tick's period: the elector itself tries again every
    # retry_period, so a 429 or a hung renewal never stalls the daemon's loop past its renew deadline.
    wait = config.retry_period
    options = KubeOptions(max_retries=0, connect_timeout=wait, read_timeout=wait, answer_timeout=wait)
    return KubeCluster("lease", kubeconfig=config.lease_kubeconfig, context=config.lease_context,
                       in_cluster=config.lease_kubeconfig is None, options=options)


def build_source(config: DaemonConfig) -> Source:
    """The tracked repository: the local path, or a clone of the URL under the state directory."""
    return open_source(config.repo, config.branch, config.resolved_state_dir() / "repo")


def cluster_connector(root: Path, enforcement: Enforcement | None = None) -> Connect:
    """Connect to clusters the way the CLI does, ``directory:`` clusters relative to ``root``, places checked
    against the operator policy again (defence in depth)."""
    def connect(spec: ClusterSpec) -> Cluster:
        return connect_cluster(spec, root, enforcement)

    return connect


def build_service(config: DaemonConfig, *, source: Source | None = None, connect: Connect | None = None,
                  metrics: Metrics | None = None, leadership: Leadership | None = None,
                  clock: Clock | None = None, endpoints: bool = True, relay: PushRelay | None = None) -> Service:
    """Everything ``platformctl run`` runs, each piece replaceable (tests inject clock, clusters, lease)."""
    limit_arenas()  # before the daemon starts its threads (``arenas``)
    clock = clock or SystemClock()
    # the operator policy first: a policy file that fails to load stops the daemon (never "no policy")
    enforcement = daemon_enforcement(config.policy, config.resolved_cluster_root(),
                                     (own_namespace(config.own_namespace, os.environ), config.lease_namespace))
    source = source or build_source(config)
    metrics = metrics or Metrics()
    connect = connect or cluster_connector(config.resolved_cluster_root(), enforcement)
    daemon = Daemon(config, source, connect=connect, enforcement=enforcement,
                    announcer=build_announcer(config, metrics, connect),
                    metrics=metrics, leadership=leadership or build_leadership(config, clock), clock=clock,
                    # an injected leadership (tests) brings its own relay, if any
                    relay=relay if relay is not None or leadership is not None else build_push_relay(config))
    served = None
    if endpoints and config.listen is not None:
        host, port = listen_address(config.listen)
        served = Endpoints(host, port, metrics=metrics, ready=daemon.ready, status=daemon.status,
                           on_push=daemon.on_push, webhook_secret=config.webhook_secret,
                           dashboard=daemon.dashboard, read_token=config.read_token)
    paths = source.watch_paths() if config.watch else []
    watcher = RefWatcher(paths, daemon.trigger) if paths else None
    return Service(daemon, endpoints=served, watcher=watcher)


def build_announcer(config: DaemonConfig, metrics: Metrics, connect: Connect) -> Announcer:
    """Alerts to the providers of the notifications file (read now, secrets included: a bad file stops the
    daemon at start) and Kubernetes Events through a client of their own per target."""
    notifier = None
    if config.notifications is not None:
        from reconciler.notify.sender import Notifier
        from reconciler.notify.settings import load_settings

        notifier = Notifier(load_settings(config.notifications), metrics=metrics)
        notifier.start()
    return Announcer(metrics=metrics, notifier=notifier, events=connect if config.events else None,
                     instance=config.resolved_identity())


def run(config: DaemonConfig, *, once: bool = False, out: TextIO | None = None, err: TextIO | None = None,
        json: bool = False) -> int:
    """``platformctl run``: serve until signalled, or with ``once`` reconcile every target once and exit
    (0 when every target converged, 1 otherwise; ``json``: the outcome as a JSON document)."""
    from reconciler.observability.logging import configure_logging

    out, err = out or sys.stdout, err or sys.stderr
    configure_logging(json=None if config.log_format == "auto" else config.log_format == "json",
                      level=config.log_level, stream=err)
    if once:  # one pass and exit: nothing would be left to watch for drift, and a cache read once is a LIST
        config = dataclasses.replace(config, drift_watch=False, watch_cache=False)
    service = build_service(config, endpoints=not once)
    if not once:
        return service.run()
    return _once(service.daemon, out, err, json)


def _once(daemon: Daemon, out: TextIO, err: TextIO, json: bool) -> int:
    from reconciler.changes import apply_text, results_data

    try:
        results: list[Result] | None = daemon.run_once()
        holder = daemon.leadership.describe().get("holder")
    finally:
        daemon.shutdown()
    state = daemon.source_state
    if state.fetch_error:
        err.write(f"error: {state.fetch_error}\n")
    if state.rejected:
        err.write(f"error: revision {state.rejected[:12]} rejected ({state.stage}):\n")
        err.writelines(f"{line}\n" for line in state.errors)
    refusal = None
    if results is None and state.good is not None:
        refusal = f"not applied: another replica holds the lease ({holder or 'unknown'})"
        err.write(f"error: {refusal}\n")
    converged = results is not None and all(r.ok for r in results) and not state.rejected
    if json:
        out.write(orjson.dumps({
            "revision": state.good, "converged": converged, "error": refusal or state.fetch_error,
            "rejected": {"revision": state.rejected, "stage": state.stage, "errors": list(state.errors)}
            if state.rejected else None,
            "targets": results_data(results or [])}, option=orjson.OPT_INDENT_2).decode() + "\n")
    elif results is not None:
        out.write(f"revision {state.good}\n")
        out.write(apply_text(results))
    return 0 if converged else 1
