"""The plan, apply and status commands: connect to an environment's clusters and reconcile."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from reconciler.cluster.connect import connect
from reconciler.commands.platform import Platform
from reconciler.engine import ApplyOptions, Result
from reconciler.fleet import reconcile_environment
from reconciler.source.budgets import repository_budgets


def run(platform: Platform, repo: Path, environment: str, revision: str, options: ApplyOptions) -> list[Result]:
    """Reconcile (or only plan, with ``apply=False``) every cluster of an environment.

    ``platform`` must have been checked for ``environment`` (``commands.platform.checked``), so the
    operator policy holds before any cluster is contacted. The deletion budget is the stricter of
    the spec's and that of the revision each inventory records, read from the Git repository at
    ``repo`` (the default 0.3 stands in when that revision cannot be read).
    """
    enforced = platform.enforcement
    options = dataclasses.replace(options, cluster_scoped=enforced.cluster_scoped_kinds(environment),
                                  applied_budget=repository_budgets(repo).for_environment(environment))
    return reconcile_environment(platform.spec, environment, lambda c: connect(c, repo, enforced), revision, options)
