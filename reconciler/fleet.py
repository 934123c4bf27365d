"""Reconcile every cluster of an environment, concurrently and independently.

One slow or failing cluster is reported in its own Result and never stops the others.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
from collections.abc import Callable

from reconciler.cluster.base import Cluster
from reconciler.engine import ApplyOptions, Result, Target, reconcile
from reconciler.render import render_cluster
from reconciler.spec.document import Spec
from reconciler.spec.models import Cluster as ClusterSpec

Connect = Callable[[ClusterSpec], Cluster]


def targets(spec: Spec, environment: str, revision: str) -> list[Target]:
    """What each cluster of an environment must hold."""
    view = spec.environments[environment]
    found = []
    for cluster in view.model.spec.clusters:
        rendered = render_cluster(spec, environment, cluster.name, revision)
        namespace = cluster.namespace or view.model.spec.namespace
        found.append(Target(environment, cluster.name, namespace, revision, [r.manifest for r in rendered]))
    return found


def reconcile_environment(spec: Spec, environment: str, connect: Connect, revision: str,
                          options: ApplyOptions | None = None) -> list[Result]:
    """Reconcile each cluster in its own thread; results in cluster declaration order."""
    view = spec.environments[environment]
    policy = view.model.spec.policy
    opts = dataclasses.replace(options or ApplyOptions(), max_prune_fraction=policy.max_prune_fraction)
    clusters = {c.name: c for c in view.model.spec.clusters}

    def one(target: Target) -> Result:
        try:
            cluster = clusters[target.cluster]
            in_flight = dataclasses.replace(opts, concurrency=cluster.rate_limit.max_in_flight)
            return reconcile(connect(cluster), target, in_flight)
        except Exception as exc:  # noqa: BLE001 - one cluster's failure must not stop the others
            return Result(target, error=f"{type(exc).__name__}: {exc}")

    work = targets(spec, environment, revision)
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, len(work))) as pool:
        return list(pool.map(one, work))
