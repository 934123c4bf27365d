"""Is a component Healthy and in sync in its source environment? Asked of the live clusters, read-only."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from reconciler.commands.platform import checked
from reconciler.commands.reconcile import run
from reconciler.component_status import status_rows
from reconciler.engine import ApplyOptions
from reconciler.health import Status
from reconciler.policy.resolve import enforcement
from reconciler.spec.document import Spec


def health_refusals(spec: Spec, repo_root: Path, environment: str, revision: str, refs: Sequence[str]) -> list[str]:
    """Why each component is not fit to promote (empty: all Healthy and Synced on every cluster)."""
    platform = checked(spec, enforcement(repo_root), (environment,))
    results = run(platform, repo_root, environment, revision, ApplyOptions(apply=False, prune=False))
    rows = status_rows(results)
    reasons = [f"{environment}/{row.cluster}: {row.health.message}" for row in rows if row.component == "*"]
    for ref in refs:
        mine = [row for row in rows if row.component == ref]
        if not mine and not reasons:
            reasons.append(f"{ref} has no objects on any cluster of {environment}")
        for row in mine:
            where = f"{environment}/{row.cluster}"
            if row.health.status is not Status.HEALTHY:
                reasons.append(f"{ref} is {row.health.status.value} on {where}: {row.health.message}")
            elif row.sync != "Synced":
                reasons.append(f"{ref} is {row.sync} on {where}: the cluster does not run what Git holds yet")
    return reasons
