"""What the daemon keeps for the dashboard (bounded) and the documents it builds from it; the read token's
configuration."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pytest

from reconciler.daemon import build_config, history
from reconciler.daemon.config import ConfigError
from reconciler.daemon.dashboard import MAX_DIFF_CHARS, _diff_doc
from reconciler.daemon.history import AppliedDiff, WrittenEntry
from reconciler.objects import ObjectKey
from reconciler.plan import Action, PlanEntry
from tests.daemon.conftest import Harness, Repo, bump_fraud
from tests.engine.conftest import Fleet

FRAUD = "serving/fraud-detector"


def test_reconciles_health_diffs_and_events_are_kept_per_target(
        repo: Repo, fleet: Fleet, make_daemon: Callable[..., Harness]) -> None:
    h = make_daemon(repo, fleet.connect)
    h.step()
    first = repo.head()
    view = h.daemon.dashboard
    component = view.component("prod-cloud", "gke-eu", FRAUD)
    assert component is not None
    assert component["lastDiff"]["revision"] == first
    assert [o["action"] for o in component["lastDiff"]["objects"]] == ["create"]
    assert [e["reason"] for e in component["events"]] == ["Created"]
    assert [c["revision"] for c in component["healthHistory"]] == [first]
    assert [o["object"] for o in component["objects"]] == ["InferenceService/ml-serving/fraud-detector"]
    assert component["objects"][0]["manifest"]["kind"] == "InferenceService"

    new = repo.commit("fraud-detector: 5 replicas", bump_fraud())
    h.daemon.trigger.fire("test")
    h.step()
    component = view.component("prod-cloud", "gke-eu", FRAUD)
    assert component is not None and component["lastDiff"]["revision"] == new
    assert "+    minReplicas: 5" in component["lastDiff"]["objects"][0]["diff"]
    [written] = h.daemon.history.of(("prod-cloud", "gke-eu")).diffs[FRAUD].entries
    assert isinstance(written.live, bytes)  # the live object it changed, kept as JSON
    assert [e["reason"] for e in component["events"]] == ["Configured", "Created"]  # newest first
    assert [r["revision"] for r in component["reconciles"]] == [new, first]
    other = view.component("prod-cloud", "gke-eu", "serving/recsys-ranker")
    assert other is not None and other["lastDiff"]["revision"] == first  # not written by the second reconcile

    cluster = view.cluster("prod-cloud", "gke-eu")
    assert cluster is not None
    assert [(r["revision"], r["outcome"], r["changed"]) for r in cluster["reconciles"]] == [(new, "succeeded", 1),
                                                                                         (first, "succeeded", 4)]
    assert cluster["reconciles"][0]["changes"] == [{"object": "InferenceService/ml-serving/fraud-detector",
                                                    "component": FRAUD, "action": "configured", "message": ""}]
    overview = view.overview()
    assert [r["revision"] for r in overview["reconciles"]] == [new, new, first, first]
    assert overview["environments"][0]["name"] == "prod-cloud"

    assert view.cluster("prod-cloud", "nope") is None
    assert view.component("prod-cloud", "gke-eu", "serving/nope") is None


def test_histories_are_bounded(repo: Repo, fleet: Fleet, make_daemon: Callable[..., Harness],
                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(history, "MAX_RECONCILES", 3)
    h = make_daemon(repo, fleet.connect)
    h.step()
    for _ in range(4):
        h.tick(61)  # drift checks
    cluster = h.daemon.dashboard.cluster("prod-cloud", "gke-eu")
    assert cluster is not None and [r["reason"] for r in cluster["reconciles"]] == ["drift", "drift", "drift"]


def test_a_long_diff_is_cut_at_the_limit_when_shown() -> None:
    def entry(name: str, size: int) -> WrittenEntry:
        desired = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "ml"},
                   "data": {"x": "y" * size}}
        return WrittenEntry.of(PlanEntry(ObjectKey("", "ConfigMap", "ml", name), Action.CREATE, desired=desired))

    at = datetime(2025, 1, 1, tzinfo=timezone.utc)
    doc = _diff_doc(AppliedDiff(at, "r1", (entry("a", MAX_DIFF_CHARS - 200), entry("b", 1000), entry("c", 1))))
    assert doc is not None and doc["truncated"]
    sizes = [len(o["diff"]) for o in doc["objects"]]
    assert sum(sizes) == MAX_DIFF_CHARS and sizes[2] == 0
    assert [o["object"] for o in doc["objects"]] == ["ConfigMap/ml/a", "ConfigMap/ml/b", "ConfigMap/ml/c"]
    small = _diff_doc(AppliedDiff(at, "r1", (entry("a", 10),)))
    assert small is not None and not small["truncated"] and "+  x: yyyyyyyyyy" in small["objects"][0]["diff"]


def test_the_read_token_comes_from_a_file_or_a_variable_never_argv(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("t0ken\n")
    assert build_config({"read_token_file": str(token)}, {}).read_token == b"t0ken"
    assert build_config({}, {"PLATFORMCTL_READ_TOKEN_FILE": str(token)}).read_token == b"t0ken"
    assert build_config({}, {"PLATFORMCTL_READ_TOKEN": "abc"}).read_token == b"abc"
    assert build_config({}, {}).read_token is None
    assert "abc" not in repr(build_config({}, {"PLATFORMCTL_READ_TOKEN": "abc"}))
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(ConfigError, match="read token file .* is empty"):
        build_config({"read_token_file": str(tmp_path / "empty")}, {})
    with pytest.raises(ConfigError, match="read token file"):
        build_config({"read_token_file": str(tmp_path / "missing")}, {})


def test_a_failed_apply_shows_on_the_component_with_the_servers_words(
        repo: Repo, fleet: Fleet, make_daemon: Callable[..., Harness]) -> None:
    fleet.servers["gke-us"].faults.fail(403, verb="patch", resource="inferenceservices", times=None,
                                        message="admission denied by test")
    h = make_daemon(repo, fleet.connect)
    h.step()
    view = h.daemon.dashboard
    component = view.component("prod-cloud", "gke-us", FRAUD)
    assert component is not None and component["lastFailure"] is not None
    [failed] = component["lastFailure"]["objects"]
    assert failed["object"] == "InferenceService/ml-serving/fraud-detector" and failed["action"] == "failed"
    assert "admission denied by test" in failed["message"]
    assert [e["reason"] for e in component["events"]] == ["ApplyFailed"]
    assert component["lastDiff"]["objects"][0]["action"] == "create"  # what it tried to apply
    healthy = view.component("prod-cloud", "gke-eu", FRAUD)
    assert healthy is not None and healthy["lastFailure"] is None

    fleet.servers["gke-us"].faults.clear()
    h.tick(5)  # the retry succeeds
    component = view.component("prod-cloud", "gke-us", FRAUD)
    assert component is not None and component["lastFailure"] is None
    assert [e["reason"] for e in component["events"]] == ["Created", "ApplyFailed"]


def test_the_kept_result_lets_go_of_live_objects_and_the_dashboard_still_shows_their_health(
        repo: Repo, fleet: Fleet, make_daemon: Callable[..., Harness]) -> None:
    h = make_daemon(repo, fleet.connect)
    h.step()
    h.tick(61)  # a drift check: every object unchanged
    state = h.daemon.target("prod-cloud", "gke-eu")
    result = state.last_result
    assert result is not None and result.plan is not None and result.live == {}
    assert result.plan.entries and all(e.live is None for e in result.plan.entries)  # all unchanged
    key = ObjectKey("serving.kserve.io", "InferenceService", "ml-serving", "fraud-detector")
    judged = state.objects[key]
    [shown] = h.daemon.dashboard.component("prod-cloud", "gke-eu", FRAUD)["objects"]  # type: ignore[index]
    assert (shown["health"], shown["message"]) == (judged.status.value, judged.message)
    assert shown["message"] != "not read yet"
