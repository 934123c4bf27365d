"""Open the Cluster an environment's cluster entry names: kubeconfig context, in-cluster, or a directory.

Defence in depth: the places an entry names (``directory:``, kubeconfig ``path:``) are checked
against the operator policy here too, so no code path can open a place the operator never allowed.
"""

from __future__ import annotations

from pathlib import Path

from reconciler.cluster.base import Cluster
from reconciler.policy.enforcement import DEFAULT_ORIGIN, Enforcement
from reconciler.policy.model import OperatorPolicy
from reconciler.policy.places import directory_place, kubeconfig_place
from reconciler.spec.models import Cluster as ClusterSpec


def connect(spec: ClusterSpec, repo_root: Path, enforcement: Enforcement | None = None) -> Cluster:
    """A live Cluster for one entry of an environment; PlaceRefused for a place the policy does not allow.

    Directories live under the policy's directory root (default: ``repo_root``); a kubeconfig ``path:``
    must be under its kubeconfig directory (without a policy, ``path:`` is refused).
    """
    places = enforcement or Enforcement.of(OperatorPolicy(), DEFAULT_ORIGIN, repo_root)
    if spec.directory is not None:
        from reconciler.cluster.localdir.cluster import LocalDirCluster

        return LocalDirCluster(spec.name, directory_place(places, spec.directory))
    kubeconfig = None
    if spec.kubeconfig is not None and spec.kubeconfig.path is not None:
        kubeconfig = str(kubeconfig_place(places, spec.kubeconfig.path))
    from reconciler.cluster.kube.cluster import KubeCluster
    from reconciler.cluster.kube.options import KubeOptions

    limit = spec.rate_limit
    options = KubeOptions(qps=limit.client_qps, burst=limit.burst, defer_to_flow_control=limit.qps == "auto",
                          pool_size=limit.max_in_flight)
    if spec.in_cluster:
        return KubeCluster(spec.name, in_cluster=True, options=options)
    assert spec.kubeconfig is not None
    return KubeCluster(spec.name, kubeconfig=kubeconfig, context=spec.kubeconfig.context, options=options)
