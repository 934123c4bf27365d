"""Plans and apply results as text and JSON, printed the same way everywhere (pure)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from reconciler.engine import ChangeAction, Result
from reconciler.objects import ObjectKey
from reconciler.plan import Action

_SYMBOL = {Action.CREATE: "+", Action.UPDATE: "~", Action.REPLACE: "-/+", Action.PRUNE: "-", Action.SKIP: "!",
           Action.UNCHANGED: "="}


def plan_text(results: list[Result], *, show_diff: bool = True,
              notes: Mapping[ObjectKey, str] | None = None) -> str:
    """Per cluster: one line per change (unchanged objects summarised), then the diffs; an object with a
    note (a served model the daemon rolls out in steps) shows the note instead of its diff."""
    notes = notes or {}
    lines: list[str] = []
    for result in results:
        target = result.target
        lines.append(f"{target.environment}/{target.cluster} (namespace {target.namespace}):")
        if result.plan is None:
            lines.append(f"  error: {result.error}")
            continue
        counts = {a: len(result.plan.by_action(a)) for a in Action}
        for entry in result.plan.entries:
            if entry.action is Action.UNCHANGED:
                continue
            reason = f"  ({entry.reason})" if entry.reason else ""
            lines.append(f"  {_SYMBOL[entry.action]} {entry.action.value:<9} {entry.key}{reason}")
            if entry.key in notes:
                lines.append(f"      {notes[entry.key]}")
        lines.append(f"  {counts[Action.CREATE]} to create, {counts[Action.UPDATE]} to update, "
                     + (f"{counts[Action.REPLACE]} to replace, " if counts[Action.REPLACE] else "")
                     + f"{counts[Action.PRUNE]} to prune, {counts[Action.UNCHANGED]} unchanged"
                     + (f", {counts[Action.SKIP]} skipped" if counts[Action.SKIP] else ""))
        if result.error:
            lines.append(f"  error: {result.error}")
        if show_diff:
            lines.extend(_indent(e.diff) for e in result.plan.entries if e.diff and e.key not in notes)
    return "\n".join(lines) + "\n"


_VERBS = {Action.CREATE: "to create", Action.UPDATE: "to update", Action.REPLACE: "to replace",
          Action.PRUNE: "to prune", Action.SKIP: "skipped", Action.UNCHANGED: "unchanged"}


def plan_summary(results: list[Result]) -> str:
    """Per cluster: how many objects each action touches, by kind, instead of one line per object."""
    lines: list[str] = []
    for result in results:
        target = result.target
        lines.append(f"{target.environment}/{target.cluster} (namespace {target.namespace}):")
        if result.plan is None:
            lines.append(f"  error: {result.error}")
            continue
        for action in (Action.CREATE, Action.UPDATE, Action.REPLACE, Action.PRUNE, Action.SKIP, Action.UNCHANGED):
            entries = result.plan.by_action(action)
            if not entries:
                continue
            kinds: dict[str, int] = {}
            for entry in entries:
                kinds[entry.key.kind] = kinds.get(entry.key.kind, 0) + 1
            detail = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])))
            lines.append(f"  {_SYMBOL[action]:>3} {len(entries)} {_VERBS[action]} ({detail})")
        if not result.plan.has_changes:
            lines.append("  in sync")
        if result.error:
            lines.append(f"  error: {result.error}")
    return "\n".join(lines) + "\n"


def _indent(text: str) -> str:
    return "\n".join(f"    {line}" for line in text.rstrip("\n").splitlines())


def apply_text(results: list[Result], *, each: bool = True) -> str:
    """Per cluster: every changed object with its past-tense action (unless ``each`` is False: the progress
    display showed them as they happened), then a summary line."""
    lines: list[str] = []
    for result in results:
        target = result.target
        lines.append(f"{target.environment}/{target.cluster}:")
        counts: dict[str, int] = {}
        for change in result.changes:
            counts[change.action] = counts.get(change.action, 0) + 1
            if each and change.action is not ChangeAction.UNCHANGED:
                message = f" ({change.message})" if change.message else ""
                lines.append(f"  {change.key} {change.action}{message}")
        summary = ", ".join(f"{n} {action}" for action, n in sorted(counts.items())) or "nothing to do"
        lines.append(f"  {summary}")
        if result.error:
            lines.append(f"  error: {result.error}")
    return "\n".join(lines) + "\n"


def results_json(results: list[Result]) -> str:
    """Plans and changes as JSON for machines."""
    return json.dumps(results_data(results), indent=2) + "\n"


def results_data(results: list[Result]) -> list[dict[str, Any]]:
    """Plans and changes as JSON-able data, one entry per cluster."""
    data: list[dict[str, Any]] = []
    for result in results:
        entries = [] if result.plan is None else [
            {"object": str(e.key), "kind": e.key.kind, "namespace": e.key.namespace, "name": e.key.name,
             "action": e.action.value, "reason": e.reason, "diff": e.diff,
             "immutable": [{"field": c.field, "live": c.old, "desired": c.new, "why": c.why} for c in e.immutable]}
            for e in result.plan.entries
        ]
        data.append({
            "environment": result.target.environment,
            "cluster": result.target.cluster,
            "namespace": result.target.namespace,
            "error": result.error,
            "plan": entries,
            "changes": [{"object": str(c.key), "action": c.action.value, "message": c.message} for c in result.changes],
        })
    return data


def exit_code(results: list[Result]) -> int:
    """Terraform's -detailed-exitcode: 1 on any error, 2 when changes are pending, else 0."""
    if any(not r.ok for r in results):
        return 1
    return 2 if any(r.plan is not None and r.plan.has_changes for r in results) else 0
