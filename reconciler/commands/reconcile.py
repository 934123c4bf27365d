"""The plan, apply and status commands: connect to an environment's clusters and reconcile."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from reconciler.cluster.connect import connect
from reconciler.engine import ApplyOptions, Result
from reconciler.fleet import reconcile_environment
from reconciler.policy.check import require
from reconciler.policy.enforcement import Enforcement
from reconciler.policy.resolve import enforcement as default_enforcement
from reconciler.source.budgets import repository_budgets
from reconciler.spec.document import Spec


def run(spec: Spec, repo: Path, environment: str, revision: str, options: ApplyOptions,
        enforcement: Enforcement | None = None) -> list[Result]:
    """Reconcile (or only plan, with ``apply=False``) every cluster of an environment.

    The operator policy (``enforcement``, default: the one ``policy.resolve`` finds) is checked
    before any cluster is contacted; a breach raises SpecErrors. The deletion budget is the
    stricter of the spec's and that of the revision each inventory records, read from the Git
    repository at ``repo`` (the default 0.3 stands in when that revision cannot be read).
    """
    if environment not in spec.environments:
        known = ", ".join(sorted(spec.environments))
        raise KeyError(f"unknown environment '{environment}'; known: {known}")
    enforced = enforcement or default_enforcement(repo)
    require(spec, enforced, (environment,))
    options = dataclasses.replace(options, cluster_scoped=enforced.cluster_scoped_kinds(environment),
                                  applied_budget=repository_budgets(repo).for_environment(environment))
    return reconcile_environment(spec, environment, lambda c: connect(c, repo, enforced), revision, options)
