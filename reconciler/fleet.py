"""Reconcile every cluster of an environment, concurrently and independently.

One slow or failing cluster is reported in its own Result and never stops the others.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
from dataclasses import dataclass
from collections.abc import Callable

from reconciler.cluster.base import Cluster
from reconciler.engine import ApplyOptions, Result, Target, reconcile
from reconciler.render import render_cluster
from reconciler.rollout.policy import RolloutPolicy, rollout_policies
from reconciler.spec.checks.teams import team_namespaces
from reconciler.spec.document import Spec
from reconciler.spec.models import Cluster as ClusterSpec

Connect = Callable[[ClusterSpec], Cluster]


@dataclass(frozen=True, slots=True)
class Placement:
    """One target, the cluster it goes to, and the apply options that cluster and its environment set."""

    target: Target
    cluster: ClusterSpec
    max_prune_fraction: float
    """The environment's deletion budget (``policy.maxPruneFraction``)."""
    concurrency: int
    """Writes in flight at once (the cluster's ``rateLimit.maxInFlight``)."""
    rollouts: tuple[RolloutPolicy, ...] = ()
    """The served models on this cluster rolled out progressively (the daemon drives them)."""

    def options(self, base: ApplyOptions) -> ApplyOptions:
        """``base`` with this cluster's budget and concurrency."""
        return dataclasses.replace(base, max_prune_fraction=self.max_prune_fraction, concurrency=self.concurrency)


def placements(spec: Spec, environment: str, revision: str) -> list[Placement]:
    """What each cluster of an environment must hold, and how to apply it there (cluster declaration order)."""
    view = spec.environments[environment]
    found = []
    for cluster in view.model.spec.clusters:
        rendered = render_cluster(spec, environment, cluster.name, revision)
        namespace = cluster.namespace or view.model.spec.namespace
        teams = tuple(sorted(set(team_namespaces(view, cluster.name).values())))
        target = Target(environment, cluster.name, namespace, revision, [r.manifest for r in rendered], teams)
        found.append(Placement(target, cluster, view.model.spec.policy.max_prune_fraction,
                               cluster.rate_limit.max_in_flight,
                               rollout_policies(spec, environment, target.manifests)))
    return found


def targets(spec: Spec, environment: str, revision: str) -> list[Target]:
    """What each cluster of an environment must hold."""
    return [placement.target for placement in placements(spec, environment, revision)]


def reconcile_environment(spec: Spec, environment: str, connect: Connect, revision: str,
                          options: ApplyOptions | None = None) -> list[Result]:
    """Reconcile each cluster in its own thread; results in cluster declaration order."""
    base = options or ApplyOptions()

    def one(placement: Placement) -> Result:
        try:
            return reconcile(connect(placement.cluster), placement.target, placement.options(base))
        except Exception as exc:  # noqa: BLE001 - one cluster's failure must not stop the others
            return Result(placement.target, error=f"{type(exc).__name__}: {exc}")

    work = placements(spec, environment, revision)
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, len(work))) as pool:
        return list(pool.map(one, work))
