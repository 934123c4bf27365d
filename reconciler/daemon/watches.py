"""Each target's drift watch (``driftwatch.DriftWatch``): opened with the target's first job, pointed at
every revision submitted after, stopped when the target leaves the spec or the lead is lost."""

from __future__ import annotations

from collections.abc import Callable

from reconciler.cluster.kube.cluster import KubeCluster
from reconciler.cluster.kube.informer import Informer
from reconciler.daemon.driftwatch import DriftWatch, Watchable
from reconciler.daemon.reach import Reachability
from reconciler.daemon.revisions import Desired, TargetKey
from reconciler.daemon.worker import Connect
from reconciler.observability.metrics import Metrics
from reconciler.spec.models import Cluster as ClusterSpec


class DriftWatches:
    """The drift watches of every target (the caller holds the daemon's condition; it stops the
    watches ``forget`` hands back outside it)."""

    def __init__(self, *, connect: Connect, metrics: Metrics, answer_timeout: float,
                 on_drift: Callable[[TargetKey, str], None], cache: bool = False,
                 watch_timeout: float = 300.0) -> None:
        self._connect = connect
        self._timeout = max(1, int(watch_timeout))
        self._cache = cache
        self._metrics = metrics
        self._answer_timeout = answer_timeout
        self._on_drift = on_drift
        self._watches: dict[TargetKey, tuple[ClusterSpec, DriftWatch | None]] = {}

    def point(self, key: TargetKey, desired: Desired, reach: Reachability | None) -> None:
        """Point the target's watch at what was just submitted (opened on first use, or when the
        cluster's entry in the spec changed; None for a client that cannot watch)."""
        current = self._watches.get(key)
        if current is None or current[0] != desired.cluster:
            for old in self.forget([key]):
                old.stop(timeout=0)
            client = self._connect(desired.cluster)
            client.supervise(fence=None, observer=reach, answer_timeout=self._answer_timeout)
            if isinstance(client, Watchable):
                informer = (Informer(client, timeout_seconds=self._timeout)
                            if self._cache and isinstance(client, KubeCluster) else None)
                current = (desired.cluster, DriftWatch(key, client, self._on_drift, timeout_seconds=self._timeout,
                                                       informer=informer))
            else:
                client.close()
                current = (desired.cluster, None)
            self._watches[key] = current
        if current[1] is not None:
            current[1].update(desired.target.manifests)
        self.publish(key)

    def publish(self, key: TargetKey) -> None:
        """Set the target's gauges from its watches now (with the cache, a reconcile adds the groups it
        reads and a successful one retires those it no longer reads: called after each job too)."""
        current = self._watches.get(key)
        if current is None:
            return
        self._metrics.drift_watches(*key, len(current[1].groups) if current[1] is not None else 0)
        informer = current[1].informer if current[1] is not None else None
        if informer is not None:
            counts = informer.store.counts()
            self._metrics.watch_cache(*key, counts.objects, counts.bytes, counts.relists)

    def informer(self, key: TargetKey) -> Informer | None:
        """The target's watch cache (None: off, not opened yet, or a cluster that cannot watch); called
        from the target's worker thread without the daemon's condition (one dict read)."""
        current = self._watches.get(key)
        return current[1].informer if current is not None and current[1] is not None else None

    def forget(self, keys: list[TargetKey]) -> list[DriftWatch]:
        """Forget the watches of ``keys``; the caller stops them outside the lock."""
        stopped = [watch for key in keys if (watch := self._watches.pop(key, (None, None))[1]) is not None]
        for watch in stopped:
            self._metrics.drift_watches(*watch.key, 0)
            if watch.informer is not None:
                self._metrics.watch_cache(*watch.key, 0, 0, 0)
        return stopped

    def forget_all(self) -> list[DriftWatch]:
        """Forget every watch; the caller stops them outside the lock."""
        return self.forget(list(self._watches))
