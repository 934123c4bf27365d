"""Per-cluster apply options travel with each target, computed once for the CLI and the daemon."""

from __future__ import annotations

from reconciler.commands.platform import load_repo
from reconciler.engine import ApplyOptions
from reconciler.fleet import placements, targets
from tests.spec.conftest import REPO


def test_each_placement_carries_its_clusters_budget_and_concurrency() -> None:
    spec = load_repo(REPO)
    found = placements(spec, "prod-cloud", "r1")
    clusters = spec.environments["prod-cloud"].model.spec.clusters
    assert [p.target.cluster for p in found] == [c.name for c in clusters]
    assert [p.target for p in found] == targets(spec, "prod-cloud", "r1")
    for placement, cluster in zip(found, clusters, strict=True):
        assert placement.cluster == cluster
        options = placement.options(ApplyOptions(apply=False, prune=False))
        assert (options.apply, options.prune) == (False, False)  # the caller's choices stay
        assert options.max_prune_fraction == 0.2  # environments/prod-cloud.yaml policy.maxPruneFraction
        assert options.concurrency == cluster.rate_limit.max_in_flight
