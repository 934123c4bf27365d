"""The Event recorder for a cluster client: Kubernetes Events on a Kubernetes cluster, none on a directory."""

from __future__ import annotations

from collections.abc import Callable

from reconciler.cluster.base import Cluster
from reconciler.cluster.eventnote import EventRecorder, NullRecorder


def recorder_for(cluster: Cluster, *, instance: str, on_result: Callable[[str], None] | None = None) -> EventRecorder:
    """A recorder that owns ``cluster`` (closing the recorder closes it): a ``KubeEventRecorder`` for a
    Kubernetes cluster, a ``NullRecorder`` (and the client closed at once) for anything else."""
    from reconciler.cluster.kube.cluster import KubeCluster  # imports the Kubernetes client: only when used

    if isinstance(cluster, KubeCluster):
        from reconciler.cluster.kube.events import KubeEventRecorder

        return KubeEventRecorder(cluster, instance=instance, on_result=on_result)
    cluster.close()
    return NullRecorder()
