"""The Event recorder of a target: Kubernetes Events through a client of its own, opened on the recorder's thread."""

from __future__ import annotations

from collections.abc import Callable

from reconciler.cluster.base import Cluster
from reconciler.cluster.eventnote import EventRecorder


def recorder_for(open_client: Callable[[], Cluster], *, instance: str, name: str = "",
                 on_result: Callable[[str], None] | None = None) -> EventRecorder:
    """A recorder that opens its client with ``open_client`` on its own thread (never the caller's: a
    kubeconfig may run an exec credential plugin) and owns it; a client that is not a Kubernetes one
    (a directory) is closed and records nothing."""
    from reconciler.cluster.kube.events import KubeEventRecorder  # imports the Kubernetes client: only when used

    return KubeEventRecorder(open_client, instance=instance, on_result=on_result, name=name)
