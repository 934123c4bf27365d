"""What a rollout has reached, and its stored form (pure).

The state is the rollout's memory across restarts and leader changes: it is stored in the
cluster (a ConfigMap beside the InferenceService, see ``objects``) as one JSON document, so a
new leader reads the step, the share and when the step began, and carries on from there.
Times are seconds since the epoch (wall clock: they must mean the same to another replica).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from enum import Enum
from typing import Any


class Phase(str, Enum):
    """Where a rollout stands. Succeeded, Failed and Aborted are final until Git pins another version."""

    PROGRESSING = "Progressing"
    PAUSED = "Paused"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    ABORTED = "Aborted"

    @property
    def final(self) -> bool:
        """Nothing more happens to this rollout."""
        return self in (Phase.SUCCEEDED, Phase.FAILED, Phase.ABORTED)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One check of an analysis: a metric's value (None: no data) or the InferenceService's readiness."""

    name: str
    ok: bool
    value: float | None = None
    message: str = ""


@dataclass(frozen=True, slots=True)
class RolloutState:
    """One rollout of one served model to one version."""

    component: str
    version: str
    previous: str | None
    steps: tuple[int, ...]
    phase: Phase
    step: int
    """Index into ``steps`` of the share now in force."""
    share: int
    """The canary share in percent now in force (0 after a rollback; 100 once done)."""
    started: float
    step_started: float
    """When the current step began (or resumed); it is analysed ``interval`` later."""
    failures: int = 0
    """Failed analyses in a row."""
    reason: str = ""
    checks: tuple[CheckResult, ...] = ()
    """The last analysis."""
    analysed: float | None = None
    paused_left: float | None = None
    """Seconds that were left of the step when it was paused."""
    updated: float = 0.0
    history: tuple[str, ...] = field(default_factory=tuple)
    """One line per transition, oldest first (bounded)."""

    def moved(self, **changes: Any) -> RolloutState:
        """A copy with ``changes``."""
        return replace(self, **changes)


HISTORY = 20
"""Transitions kept in ``history``."""


def encode(state: RolloutState) -> str:
    """The state as stored (JSON, keys sorted)."""
    data = asdict(state)
    data["phase"] = state.phase.value
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def decode(text: str) -> RolloutState | None:
    """The stored state, or None when ``text`` is not one (a hand edit, an older format)."""
    try:
        data = json.loads(text)
        return RolloutState(
            component=str(data["component"]), version=str(data["version"]),
            previous=None if data.get("previous") is None else str(data["previous"]),
            steps=tuple(int(s) for s in data["steps"]), phase=Phase(data["phase"]), step=int(data["step"]),
            share=int(data["share"]), started=float(data["started"]), step_started=float(data["step_started"]),
            failures=int(data.get("failures", 0)), reason=str(data.get("reason", "")),
            checks=tuple(CheckResult(str(c["name"]), bool(c["ok"]),
                                     None if c.get("value") is None else float(c["value"]), str(c.get("message", "")))
                         for c in data.get("checks", ())),
            analysed=None if data.get("analysed") is None else float(data["analysed"]),
            paused_left=None if data.get("paused_left") is None else float(data["paused_left"]),
            updated=float(data.get("updated", 0.0)), history=tuple(str(h) for h in data.get("history", ())))
    except (ValueError, KeyError, TypeError):
        return None
