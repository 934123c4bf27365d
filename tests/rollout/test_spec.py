"""The progressive canary form of a served model: what the spec accepts, and the policies it yields."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from reconciler.fleet import placements
from reconciler.render import render_cluster
from reconciler.source.directory import DirectorySource
from reconciler.spec.load import load
from reconciler.spec.models.serving import Canary
from tests.spec.conftest import copy_platform


def test_the_static_form_still_works_and_the_progressive_form_reads() -> None:
    assert Canary.model_validate({"trafficPercent": 10}).traffic_percent == 10
    canary = Canary.model_validate({"steps": [10, 25, 50, 100], "interval": "5m", "analysis": {
        "failureThreshold": 2, "metrics": [{"name": "error-rate", "query": "q", "max": 0.01}]}})
    assert canary.progressive and canary.interval == timedelta(minutes=5) and canary.interval_seconds == 300
    assert Canary.model_validate({"steps": [50, 100]}).interval_seconds == 300  # default five minutes


@pytest.mark.parametrize(("data", "message"), [
    ({"trafficPercent": 10, "steps": [50, 100]}, "exactly one"),
    ({}, "exactly one"),
    ({"steps": [50, 25, 100]}, "must rise"),
    ({"steps": [10, 50]}, "last step must be 100"),
    ({"steps": [0, 100]}, "between 1 and 100"),
    ({"trafficPercent": 10, "interval": "1m"}, "add 'steps'"),
    ({"steps": [100], "analysis": {"metrics": [{"name": "x", "query": "q"}]}}, "set 'min', 'max'"),
    ({"steps": [100], "analysis": {"metrics": [{"name": "x", "query": "q", "min": 2, "max": 1}]}}, "above max"),
    ({"steps": [100], "interval": "soon"}, "not a duration"),
])
def test_bad_canaries_are_refused(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Canary.model_validate(data)


def test_a_progressive_canary_renders_no_share_and_yields_a_policy_per_cluster(tmp_path: Path) -> None:
    copy_platform(tmp_path)
    env = tmp_path / "environments" / "prod-cloud.yaml"
    env.write_text(env.read_text().replace(
        "canary: {trafficPercent: 10}",
        "canary: {steps: [10, 50, 100], interval: 90s, analysis: {metrics: [{name: e, query: q, max: 0.1}]}}"))
    spec = load(DirectorySource(tmp_path))
    (isvc,) = [r.manifest for r in render_cluster(spec, "prod-cloud", "gke-eu", "r1")
               if r.manifest["kind"] == "InferenceService" and r.manifest["metadata"]["name"] == "fraud-detector"]
    assert "canaryTrafficPercent" not in isvc["spec"]["predictor"]  # the rollout's field, never Git's
    found = {p.cluster.name: p.rollouts for p in placements(spec, "prod-cloud", "r1")}
    assert set(found) == {"gke-eu", "gke-us"}
    (policy,) = found["gke-eu"]
    assert (policy.component, policy.name, policy.namespace, policy.version, policy.steps, policy.interval) == (
        "serving/fraud-detector", "fraud-detector", "ml-serving", "7", (10, 50, 100), 90.0)
    assert [p.rollouts for p in placements(spec, "dev", "r1")] == [()] * len(placements(spec, "dev", "r1"))


def test_the_review_of_a_pull_request_says_the_daemon_rolls_the_new_version_out(tmp_path: Path) -> None:
    from reconciler.review.traffic import traffic_moves

    base_dir, head_dir = tmp_path / "base", tmp_path / "head"
    for where in (base_dir, head_dir):
        copy_platform(where)
        env = where / "environments" / "prod-cloud.yaml"
        env.write_text(env.read_text().replace("canary: {trafficPercent: 10}", "canary: {steps: [10, 50, 100]}"))
    env = head_dir / "environments" / "prod-cloud.yaml"
    env.write_text(env.read_text().replace('serving/fraud-detector: "7"', 'serving/fraud-detector: "8"'))
    (move,) = traffic_moves(load(DirectorySource(base_dir)), load(DirectorySource(head_dir)), "prod-cloud")
    assert move.describe() == ("version 7 -> 8: the daemon rolls 8 out in steps of 10%/50%/100%, 5m each, "
                               "analysed before each step and rolled back to 7 on failure")
