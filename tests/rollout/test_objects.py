"""The rollout's objects, analysis verdicts and query answers as plain data (pure)."""

from __future__ import annotations

import pytest

from reconciler.rollout import machine
from reconciler.rollout.analysis import analyse, promql, verdict
from reconciler.rollout.objects import (
    event, live_share, read_request, read_state, readiness, request_configmap, share_patch, state_configmap,
)
from reconciler.rollout.policy import MetricRule, RolloutPolicy
from reconciler.rollout.prometheus import QueryError, sample

POLICY = RolloutPolicy(component="serving/fraud", name="fraud", namespace="ml", version="7", steps=(50, 100),
                       interval=60.0, metrics=(MetricRule("errors", 'rate(x{v="$version"}[$interval])', max=0.05),))


def test_the_share_patch_holds_or_lets_go_of_the_canary_field() -> None:
    assert share_patch("fraud", "ml", 10)["spec"] == {"predictor": {"canaryTrafficPercent": 10}}
    assert "spec" not in share_patch("fraud", "ml", None)
    assert live_share({"spec": {"predictor": {"canaryTrafficPercent": 0}}}) == 0
    assert live_share({"spec": {"predictor": {}}}) is None


def test_state_and_request_share_one_configmap_under_two_keys() -> None:
    state = machine.start(POLICY, "6", 0.0)
    stored = state_configmap("fraud", "ml", state)
    assert stored["metadata"]["name"] == "platformctl-rollout-fraud"
    assert read_state(stored) == state
    request = request_configmap("fraud", "ml", "pause", "7")
    both = {**stored, "data": {**stored["data"], **request["data"]}}
    assert read_request(both, "7") == "pause"
    assert read_request(both, "8") is None  # a request for another version is stale
    assert read_state(None) is None


def test_queries_are_filled_in_and_values_judged() -> None:
    assert promql(POLICY.metrics[0], POLICY) == 'rate(x{v="7"}[60s])'
    rule = POLICY.metrics[0]
    assert verdict(rule, 0.01).ok
    assert verdict(rule, 0.2).message == "0.2 > max 0.05"
    assert verdict(rule, None).message == "no data"
    assert verdict(MetricRule("rps", "q", min=1.0), 0.5).message == "0.5 < min 1"


def test_an_unanswered_query_fails_its_check_with_the_reason() -> None:
    def broken(_: str) -> float | None:
        raise QueryError("URLError: connection refused")

    (result,) = analyse(POLICY, broken)
    assert not result.ok and "connection refused" in result.message
    (unset,) = analyse(POLICY, None)
    assert not unset.ok and "--prometheus-url" in unset.message


@pytest.mark.parametrize(("body", "value"), [
    ({"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1, "0.25"]}]}}, 0.25),
    ({"status": "success", "data": {"resultType": "vector", "result": []}}, None),
    ({"status": "success", "data": {"resultType": "scalar", "result": [1, "3"]}}, 3.0),
    ({"status": "success", "data": {"resultType": "vector", "result": [{"value": [1, "NaN"]}]}}, None),
])
def test_query_answers(body: object, value: float | None) -> None:
    assert sample(body) == value


def test_a_failed_query_answer_is_an_error() -> None:
    with pytest.raises(QueryError, match="bad_data"):
        sample({"status": "error", "error": "bad_data"})


def test_readiness_and_terminal_failures() -> None:
    ready = {"metadata": {"generation": 2}, "status": {"observedGeneration": 2, "conditions": [
        {"type": "Ready", "status": "True"}]}}
    check, terminal = readiness(ready)
    assert check.ok and not terminal
    failed = {"metadata": {"generation": 2}, "status": {"observedGeneration": 2, "conditions": [
        {"type": "Ready", "status": "True"}], "modelStatus": {"transitionStatus": "BlockedByFailedLoad",
                                                              "lastFailureInfo": {"reason": "ModelLoadFailed"}}}}
    check, terminal = readiness(failed)
    assert not check.ok and "ModelLoadFailed" in terminal


def test_an_event_names_the_inference_service() -> None:
    made = event({"metadata": {"name": "fraud", "namespace": "ml", "uid": "u1"}}, "RolloutStep", "25% to 7",
                 instance="replica-a")
    assert made["involvedObject"] == {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
                                      "name": "fraud", "namespace": "ml", "uid": "u1"}
    assert made["metadata"]["name"].startswith("fraud.") and made["count"] == 1  # type: ignore[index]
    assert (made["type"], made["reason"], made["reportingInstance"]) == ("Normal", "RolloutStep", "replica-a")
