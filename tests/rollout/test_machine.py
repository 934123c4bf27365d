"""The rollout state machine, driven by explicit times (pure: no clock, no I/O)."""

from __future__ import annotations

import pytest

from reconciler.rollout import machine
from reconciler.rollout.policy import MetricRule, RolloutPolicy
from reconciler.rollout.state import CheckResult, Phase, decode, encode

POLICY = RolloutPolicy(component="serving/fraud", name="fraud", namespace="ml", version="7", steps=(10, 25, 50, 100),
                       interval=300.0, failure_threshold=2, metrics=(MetricRule("errors", "q", max=0.01),))
GOOD = (CheckResult("ready", True), CheckResult("errors", True, 0.001))
BAD = (CheckResult("ready", True), CheckResult("errors", False, 0.2, "0.2 > max 0.01"))


def test_a_healthy_rollout_moves_one_step_per_interval_and_ends_with_the_new_version_alone() -> None:
    state = machine.start(POLICY, "6", now=1000.0)
    assert (state.phase, state.step, state.share, machine.wanted_share(state)) == (Phase.PROGRESSING, 0, 10, 10)
    assert machine.analysis_due(state, POLICY) == 1300.0
    shares = [state.share]
    now = 1000.0
    while not state.phase.final:
        now += 300.0
        state = machine.judge(state, POLICY, GOOD, now)
        shares.append(state.share)
    assert shares == [10, 25, 50, 100]
    assert state.phase is Phase.SUCCEEDED
    assert machine.wanted_share(state) is None  # the field is let go: 100% on the new version
    assert machine.analysis_due(state, POLICY) is None
    assert machine.judge(state, POLICY, BAD, now + 300) == state  # final: never moves again


def test_failures_below_the_threshold_restart_the_step_and_reaching_it_rolls_back_to_zero() -> None:
    state = machine.judge(machine.start(POLICY, "6", 0.0), POLICY, GOOD, 300.0)
    assert state.share == 25
    once = machine.judge(state, POLICY, BAD, 600.0)
    assert (once.phase, once.share, once.failures, once.step_started) == (Phase.PROGRESSING, 25, 1, 600.0)
    twice = machine.judge(once, POLICY, BAD, 900.0)
    assert (twice.phase, twice.share, machine.wanted_share(twice)) == (Phase.FAILED, 0, 0)
    assert "errors: 0.2 > max 0.01" in twice.reason and "at 25%" in twice.reason
    assert twice.checks == BAD


def test_a_passing_analysis_resets_the_failure_count() -> None:
    state = machine.judge(machine.start(POLICY, "6", 0.0), POLICY, BAD, 300.0)
    state = machine.judge(state, POLICY, GOOD, 600.0)
    assert (state.failures, state.share) == (0, 25)


def test_a_terminal_readiness_failure_rolls_back_at_once_whatever_the_threshold() -> None:
    state = machine.start(POLICY, "6", 0.0)
    failed = machine.judge(state, POLICY, (CheckResult("ready", False, None, "model failed to load"),), 5.0,
                           terminal="model BlockedByFailedLoad")
    assert (failed.phase, failed.share, failed.reason) == (Phase.FAILED, 0, "model BlockedByFailedLoad")


def test_pause_keeps_the_time_left_and_resume_gives_it_back() -> None:
    state = machine.start(POLICY, "6", 0.0)
    paused = machine.apply_request(state, "pause", 100.0, POLICY)
    assert (paused.phase, paused.paused_left) == (Phase.PAUSED, 200.0)
    assert machine.judge(paused, POLICY, GOOD, 10_000.0) == paused  # a paused rollout is not analysed
    assert machine.time_to_next_step(paused, POLICY, 10_000.0) == 200.0
    resumed = machine.apply_request(paused, "resume", 5000.0, POLICY)
    assert resumed.phase is Phase.PROGRESSING
    assert machine.analysis_due(resumed, POLICY) == 5200.0
    assert machine.apply_request(resumed, "resume", 5001.0, POLICY) == resumed  # a no-op where it does not apply


@pytest.mark.parametrize("before", ["progressing", "paused"])
def test_abort_gives_the_share_back(before: str) -> None:
    state = machine.judge(machine.start(POLICY, "6", 0.0), POLICY, GOOD, 300.0)
    if before == "paused":
        state = machine.apply_request(state, "pause", 310.0, POLICY)
    aborted = machine.apply_request(state, "abort", 320.0, POLICY)
    assert (aborted.phase, aborted.share, aborted.reason) == (Phase.ABORTED, 0, "aborted by request")
    assert machine.apply_request(aborted, "resume", 330.0, POLICY) == aborted


def test_hold_restarts_the_step_until_the_new_version_is_applied() -> None:
    state = machine.start(POLICY, "6", 0.0)
    held = machine.hold(state, 250.0)
    assert machine.analysis_due(held, POLICY) == 550.0


def test_the_stored_form_round_trips_and_a_broken_one_reads_as_none() -> None:
    state = machine.judge(machine.start(POLICY, "6", 0.0), POLICY, BAD, 300.0)
    assert decode(encode(state)) == state
    assert decode("{not json") is None
    assert decode('{"component": "x"}') is None


def test_time_to_next_step_counts_down_and_is_never_negative() -> None:
    state = machine.start(POLICY, "6", 0.0)
    assert machine.time_to_next_step(state, POLICY, 100.0) == 200.0
    assert machine.time_to_next_step(state, POLICY, 400.0) == 0.0


def test_a_single_step_of_100_is_analysed_once_then_done() -> None:
    policy = RolloutPolicy(component="serving/fraud", name="fraud", namespace="ml", version="7", steps=(100,),
                           interval=60.0)
    state = machine.start(policy, "6", 0.0)
    assert (state.share, machine.wanted_share(state)) == (100, 100)  # all traffic, still held until analysed
    assert machine.judge(state, policy, BAD, 60.0).share == 0
    done = machine.judge(state, policy, GOOD, 60.0)
    assert (done.phase, done.share, machine.wanted_share(done)) == (Phase.SUCCEEDED, 100, None)
