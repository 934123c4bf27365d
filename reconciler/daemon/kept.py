"""What a target's state keeps of a finished reconcile once everything that reads it in full has run.

A result holds every live object the reconcile read (as dicts, about 4 KiB each: 40 MiB at 10,000
objects), in its ``live`` map and in its plan's entries. Kept as it is until the next reconcile
replaces it, the next one's read would double that at every drift check. What is read later is
judged already (each object's health: ``TargetState.objects``; the rows), so the kept result lets
go of the live objects, except those of the entries whose diff can still be shown (changes and
entries left in place): the plan, its actions, reasons and diffs, the changes and the error stay.
"""

from __future__ import annotations

import dataclasses

from reconciler.engine import Result
from reconciler.plan import Action, Plan, PlanEntry


def kept_result(result: Result) -> Result:
    """``result`` without its live objects, except those of the plan's changes and skips."""
    if result.plan is None:
        return dataclasses.replace(result, live={})
    plan = Plan(tuple(_kept(e) for e in result.plan.entries), result.plan.owned_before)
    return dataclasses.replace(result, plan=plan, live={})


def _kept(entry: PlanEntry) -> PlanEntry:
    # an unchanged object shows no diff: its live copy only served the plan and the health
    return dataclasses.replace(entry, live=None) if entry.action is Action.UNCHANGED else entry
