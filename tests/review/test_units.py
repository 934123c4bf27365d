"""Pure parts of the review: demand, object comparison, traffic wording, the comment's size cap, CI files."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
import yaml

from reconciler.objects import ObjectKey
from reconciler.review.build import EnvironmentReview, Review
from reconciler.review.compare import Change, Presence, compare_cluster
from reconciler.review.cost import CostChange, Demand, cost_change, cpu_demand, memory, memory_demand
from reconciler.review.markdown import MARKER, review_markdown
from reconciler.review.traffic import ServingSide, TrafficMove
from reconciler.source.directory import DirectorySource
from reconciler.spec.load import load
from tests.spec.conftest import REPO

GI = 2**30


@pytest.fixture(scope="module")
def spec() -> Any:
    return load(DirectorySource(REPO))


@pytest.mark.parametrize(("env", "ref", "cpu", "mem"), [
    ("prod-onprem", "notebooks/research-gpu", 8.0, 32 * GI),       # running notebook: its own resources
    ("prod-onprem", "notebooks/analytics", 0.0, 0.0),              # stopped in prod-onprem: holds nothing
    ("prod-cloud", "serving/churn-predictor", 4.5, 9 * GI),        # (1 + 0.5 transformer) x 3 max replicas
    ("prod-cloud", "serving/fraud-detector", 32.0, 64 * GI),       # 2 CPU x 16 max replicas (override)
    ("staging", "tuning/recsys-ranker-search", 32.0, 192 * GI),    # 8 CPU x 2 workers x 2 parallel trials
    ("staging", "pipelines/fraud-training", 0.0, 0.0),             # pipelines hold nothing between runs
])
def test_cpu_and_memory_demand_count_like_gpu_demand(spec: Any, env: str, ref: str, cpu: float, mem: float) -> None:
    item = spec.environments[env].components[ref]
    assert (cpu_demand(item), memory_demand(item)) == (cpu, mem)


def test_cost_change_totals_and_quota(spec: Any) -> None:
    view = spec.environments["prod-cloud"]
    change = cost_change("prod-cloud", view, view)
    assert change.before == change.after == Demand(6, 60.5, 169 * GI)
    assert (change.quota_after, change.over_quota, change.changed, change.components) == (16, False, False, ())
    assert cost_change("prod-cloud", None, view).components[0].before is None
    assert (memory(512 * 2**20), memory(1.5 * GI), memory(0)) == ("512Mi", "1.5Gi", "0Gi")


@pytest.mark.parametrize(("before", "after", "text"), [
    (ServingSide("7", 10), ServingSide("7", 50), "canary 10% -> 50%"),
    (ServingSide("7", None), ServingSide("8", None), "version 7 -> 8: 100% of traffic moves to 8 once it is ready "
                                                     "(no canary)"),
    (ServingSide("7", 10), ServingSide("8", 10), "version 7 -> 8: 10% goes to 8, 90% stays on 7"),
    (ServingSide("8", 10), ServingSide("8", None), "canary 10% -> none"),
    (None, ServingSide("1", 5), "starts serving version 1 with a 5% canary"),
    (ServingSide("3", None), None, "stops serving version 3"),
])
def test_traffic_moves_in_words(before: ServingSide | None, after: ServingSide | None, text: str) -> None:
    assert TrafficMove("prod", "serving/x", before, after).describe() == text


def _object(kind: str, name: str, **spec: Any) -> dict[str, Any]:
    labels = {"platformctl.dev/component": f"serving.{name}"} if kind != "Namespace" else {}
    return {"apiVersion": "v1", "kind": kind, "metadata": {"name": name, "namespace": "ns", "labels": labels},
            "spec": spec}


def test_compare_pairs_objects_and_predicts_prunes_with_protection_and_budget() -> None:
    base = [_object("Namespace", "ns"), _object("ConfigMap", "a", x=1), _object("ConfigMap", "b"),
            _object("PersistentVolumeClaim", "data")]
    head = [_object("Namespace", "ns"), _object("ConfigMap", "a", x=2), _object("ConfigMap", "c")]
    review = compare_cluster("prod", "c1", base, head, 0.5)
    assert [(str(c.key), c.change, c.component) for c in review.changes] == [
        ("ConfigMap/ns/a", Change.CHANGED, "serving/a"),
        ("ConfigMap/ns/b", Change.REMOVED, "serving/b"),
        ("ConfigMap/ns/c", Change.ADDED, "serving/c"),
        ("PersistentVolumeClaim/ns/data", Change.REMOVED, "serving/data"),
    ]
    assert "-  x: 1\n+  x: 2\n" in review.changes[0].diff
    assert review.changes[0].diff.startswith("--- base/ConfigMap/ns/a\n+++ head/ConfigMap/ns/a\n")
    assert review.prune.deleted == (ObjectKey("", "ConfigMap", "ns", "b"),)
    assert [str(k) for k, _ in review.prune.kept] == ["PersistentVolumeClaim/ns/data"]
    assert (review.prune.refusal, review.unchanged, review.presence) == (None, 1, Presence.KEPT)

    strict = compare_cluster("prod", "c1", base, head, 0.2)
    assert strict.prune.refusal is not None and "over the environment's deletion budget of 20%" in strict.prune.refusal
    gone = compare_cluster("prod", "c1", base, None, 0.2)
    assert gone.presence is Presence.REMOVED and gone.prune.deleted == ()
    assert "no longer in the spec: platformctl stops reconciling it and its 4 objects stay" in gone.flags[0]


def test_the_markdown_comment_folds_diffs_and_never_exceeds_its_limit() -> None:
    many = [_object("ConfigMap", f"m{i}", data="x" * 400) for i in range(60)]
    cluster = compare_cluster("dev", "local", [], many, 1.0)
    demand = Demand(1, 1.0, GI)
    env = EnvironmentReview("dev", Presence.KEPT, (cluster,), CostChange("dev", demand, demand, 4, 4, ()), (), ())
    review = Review("main (abc)", "HEAD (def)", datetime(2026, 3, 1, tzinfo=UTC), (env,))

    full = review_markdown(review)
    assert full.startswith(MARKER + "\n### platformctl diff: `main (abc)` → `HEAD (def)`\n\n**60 added, 0 changed, "
                                    "0 removed**\n")
    assert full.count("<details>") == 60 and "left out" not in full
    capped = review_markdown(review, limit=12_000)
    assert len(capped) <= 12_000
    assert 0 < capped.count("<details>") < 60 and capped.count("  - added `ConfigMap/ns/m") == 60
    assert f"_{60 - capped.count('<details>')} diffs left out to fit the comment" in capped


def test_the_pull_request_workflow_validates_and_comments_the_diff() -> None:
    workflow = yaml.safe_load((REPO / ".github/workflows/platform-pr.yaml").read_text())
    assert "pull_request" in workflow[True]  # PyYAML reads the key `on` as True
    steps = workflow["jobs"]["review"]["steps"]
    commands = "\n".join(str(step.get("run", "")) + str(step.get("with", {}).get("script", "")) for step in steps)
    assert "make venv" in commands
    assert "platformctl validate --format github" in commands
    assert 'platformctl diff --base "origin/$BASE_REF" --output markdown' in commands
    assert MARKER in commands and "updateComment" in commands


def test_the_pre_commit_hook_runs_validate() -> None:
    [hook] = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "platformctl-validate"
    assert hook["entry"] == "platformctl validate" and hook["pass_filenames"] is False
    assert hook["language"] == "python"
    matches = [p for p in ("environments/prod-cloud.yaml", "components/serving/x.yaml", "platform.yaml",
                           "kfp-pipelines/fraud_training.yaml", "README.md", "reconciler/cli.py")
               if re.search(hook["files"], p)]
    assert matches == ["environments/prod-cloud.yaml", "components/serving/x.yaml", "platform.yaml",
                       "kfp-pipelines/fraud_training.yaml"]
