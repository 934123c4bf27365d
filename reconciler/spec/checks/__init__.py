"""Semantic checks over a loaded spec: each returns located errors, none raises."""

from __future__ import annotations

from reconciler.errors import SpecError
from reconciler.spec.checks import components, policy, references, schedules, secrets, teams, tuning
from reconciler.spec.document import Spec


def run_all(spec: Spec) -> list[SpecError]:
    """Every semantic check, in a stable order."""
    found: list[SpecError] = []
    for check in (references.check, components.check, schedules.check, tuning.check, policy.check, teams.check,
                  secrets.check):
        found.extend(check(spec))
    return found
