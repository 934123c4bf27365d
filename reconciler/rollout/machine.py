"""The rollout state machine (pure: every function takes the time and returns a new state).

::

    start ──► Progressing(step 0) ──interval──► judge ──healthy──► next step ... ──► Succeeded (100%)
                 │   ▲                             │
          pause  │   │ resume                      └─failed analyses >= threshold──► Failed (share 0)
                 ▼   │                                (a terminal readiness failure: at once)
               Paused          abort (from Progressing or Paused) ──► Aborted (share 0)

A step is analysed ``interval`` seconds after it began. A healthy analysis moves to the next
step; reaching 100% ends the rollout (the new version alone). A failed analysis counts; below the
threshold the step starts over, at the threshold the share goes back to 0 and the rollout is
Failed with the reason. Final rollouts are never restarted: only a new version in Git starts one.
"""

from __future__ import annotations

from typing import Literal

from reconciler.rollout.policy import RolloutPolicy
from reconciler.rollout.state import HISTORY, CheckResult, Phase, RolloutState

Request = Literal["pause", "resume", "abort"]
REQUESTS: tuple[Request, ...] = ("pause", "resume", "abort")


def start(policy: RolloutPolicy, previous: str | None, now: float) -> RolloutState:
    """A new rollout of ``policy.version`` (replacing ``previous``) at its first step."""
    state = RolloutState(component=policy.component, version=policy.version, previous=previous,
                         steps=policy.steps, phase=Phase.PROGRESSING, step=0, share=policy.share(0), started=now,
                         step_started=now, updated=now)
    return _log(state, now, f"started: {policy.share(0)}% to {policy.version}, the rest on {previous or '(none)'}")


def analysis_due(state: RolloutState, policy: RolloutPolicy) -> float | None:
    """When (epoch seconds) the current step is analysed; None when the rollout does not progress."""
    if state.phase is not Phase.PROGRESSING:
        return None
    return state.step_started + policy.interval


def hold(state: RolloutState, now: float) -> RolloutState:
    """The new version is not on the cluster yet (its apply failed or is pending): the step starts over."""
    if state.phase is not Phase.PROGRESSING or state.step_started == now:
        return state
    return state.moved(step_started=now, updated=now)


def judge(state: RolloutState, policy: RolloutPolicy, checks: tuple[CheckResult, ...], now: float,
          *, terminal: str = "") -> RolloutState:
    """The state after an analysis with ``checks``; ``terminal`` (a readiness failure that cannot pass,
    e.g. the model failed to load) rolls back at once, whatever the threshold."""
    if state.phase is not Phase.PROGRESSING:
        return state
    failed = [c for c in checks if not c.ok]
    if terminal:
        return _fail(state.moved(checks=checks, analysed=now, failures=state.failures + 1), now, terminal)
    if failed:
        failures = state.failures + 1
        reason = "; ".join(_failure(c) for c in failed)
        judged = state.moved(checks=checks, analysed=now, failures=failures)
        if failures >= policy.failure_threshold:
            return _fail(judged, now, f"analysis failed {failures} time(s) at {state.share}%: {reason}")
        return _log(judged.moved(step_started=now, updated=now), now,
                    f"analysis failed at {state.share}% ({failures}/{policy.failure_threshold}): {reason}")
    step = min(state.step + 1, len(policy.steps) - 1)  # steps: [100] is analysed once at 100%
    judged = state.moved(checks=checks, analysed=now, failures=0, step=step, share=policy.steps[step],
                         step_started=now, updated=now)
    if policy.steps[step] >= 100:
        return _log(judged.moved(phase=Phase.SUCCEEDED, reason=""), now, f"succeeded: {state.version} takes 100%")
    return _log(judged, now, f"analysis passed at {state.share}%: {policy.steps[step]}% to {state.version}")


def apply_request(state: RolloutState, request: Request, now: float, policy: RolloutPolicy) -> RolloutState:
    """Pause, resume or abort (a no-op where it does not apply, e.g. resuming a running rollout)."""
    if request == "pause" and state.phase is Phase.PROGRESSING:
        left = max(0.0, state.step_started + policy.interval - now)
        return _log(state.moved(phase=Phase.PAUSED, paused_left=left, updated=now), now,
                    f"paused at {state.share}%")
    if request == "resume" and state.phase is Phase.PAUSED:
        left = state.paused_left if state.paused_left is not None else policy.interval
        return _log(state.moved(phase=Phase.PROGRESSING, paused_left=None, updated=now,
                                step_started=now - (policy.interval - left)), now, f"resumed at {state.share}%")
    if request == "abort" and state.phase in (Phase.PROGRESSING, Phase.PAUSED):
        return _log(state.moved(phase=Phase.ABORTED, share=0, reason="aborted by request", paused_left=None,
                                updated=now), now, f"aborted at {state.share}%: share back to 0")
    return state


def wanted_share(state: RolloutState) -> int | None:
    """The ``canaryTrafficPercent`` the rollout holds; None once it succeeded (the field is let go and
    the new version takes all traffic)."""
    return None if state.phase is Phase.SUCCEEDED else state.share


def time_to_next_step(state: RolloutState, policy: RolloutPolicy, now: float) -> float | None:
    """Seconds until the current step is analysed (0 when overdue); None when nothing is scheduled."""
    due = analysis_due(state, policy)
    if due is None:
        return state.paused_left if state.phase is Phase.PAUSED else None
    return max(0.0, due - now)


def _fail(state: RolloutState, now: float, reason: str) -> RolloutState:
    return _log(state.moved(phase=Phase.FAILED, share=0, reason=reason, updated=now), now,
                f"failed: share back to 0 ({reason})")


def _failure(check: CheckResult) -> str:
    return f"{check.name}: {check.message}" if check.message else check.name


def _log(state: RolloutState, now: float, line: str) -> RolloutState:
    return state.moved(history=(*state.history, f"{now:.0f} {line}")[-HISTORY:])
