"""A rollout as people and programs see it: the status document's entry and one line of text (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.rollout.state import Phase, RolloutState


@dataclass(frozen=True, slots=True)
class RolloutView:
    """A rollout's state on one cluster, when its step is analysed next, and when to look again."""

    environment: str
    cluster: str
    name: str
    state: RolloutState
    next_step_in: float | None
    """Seconds until the step is analysed (None: nothing scheduled)."""
    wake_in: float | None = None
    """Seconds until the daemon should look again (None: only when Git changes)."""


def as_document(view: RolloutView) -> dict[str, Any]:
    """The status document's entry (camelCase, JSON-able)."""
    state = view.state
    return {
        "component": state.component, "name": view.name, "version": state.version, "previous": state.previous,
        "phase": state.phase.value, "step": state.step + 1, "steps": list(state.steps), "share": state.share,
        "failures": state.failures, "reason": state.reason or None,
        "analysis": [{"name": c.name, "ok": c.ok, "value": c.value, "message": c.message or None}
                     for c in state.checks],
        "nextStepInSeconds": None if view.next_step_in is None else round(view.next_step_in, 1),
        "history": list(state.history),
    }


def summary(view: RolloutView) -> str:
    """One line: phase, step, share, the reason or the time to the next step."""
    state = view.state
    text = (f"{state.component} {state.previous or '(none)'} -> {state.version}: {state.phase.value}, "
            f"step {state.step + 1}/{len(state.steps)}, {state.share}% to {state.version}")
    if state.reason:
        text += f" ({state.reason})"
    elif view.next_step_in is not None and state.phase is Phase.PROGRESSING:
        text += f", next step in {view.next_step_in:.0f}s"
    checks = ", ".join(f"{c.name} {'ok' if c.ok else 'FAILED'}" + (f" ({c.value:g})" if c.value is not None else "")
                       for c in state.checks)
    return text + (f"; last analysis: {checks}" if checks else "")
