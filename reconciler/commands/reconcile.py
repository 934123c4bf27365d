"""The plan, apply and status commands: connect to an environment's clusters and reconcile."""

from __future__ import annotations

from pathlib import Path

from reconciler.cluster.connect import connect
from reconciler.engine import ApplyOptions, Result
from reconciler.fleet import reconcile_environment
from reconciler.spec.document import Spec


def run(spec: Spec, repo: Path, environment: str, revision: str, options: ApplyOptions) -> list[Result]:
    """Reconcile (or only plan, with ``apply=False``) every cluster of an environment."""
    if environment not in spec.environments:
        known = ", ".join(sorted(spec.environments))
        raise KeyError(f"unknown environment '{environment}'; known: {known}")

    return reconcile_environment(spec, environment, lambda c: connect(c, repo), revision, options)
