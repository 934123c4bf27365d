"""Open the Cluster an environment's cluster entry names: kubeconfig context, in-cluster, or a directory."""

from __future__ import annotations

from pathlib import Path

from reconciler.cluster.base import Cluster
from reconciler.spec.models import Cluster as ClusterSpec


def connect(spec: ClusterSpec, repo_root: Path) -> Cluster:
    """A live Cluster for one entry of an environment (directories are relative to the repository)."""
    if spec.directory is not None:
        from reconciler.cluster.localdir import LocalDirCluster

        directory = Path(spec.directory)
        return LocalDirCluster(spec.name, directory if directory.is_absolute() else repo_root / directory)
    from reconciler.cluster.kube import KubeCluster
    from reconciler.cluster.kube_options import KubeOptions

    limit = spec.rate_limit
    options = KubeOptions(qps=limit.client_qps, burst=limit.burst, defer_to_flow_control=limit.qps == "auto",
                          pool_size=limit.max_in_flight)
    if spec.in_cluster:
        return KubeCluster(spec.name, in_cluster=True, options=options)
    assert spec.kubeconfig is not None
    return KubeCluster(spec.name, kubeconfig=spec.kubeconfig.path, context=spec.kubeconfig.context, options=options)
