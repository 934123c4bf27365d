"""Progressive rollouts end to end: the daemon against a real kube-apiserver, judged by a real Prometheus
scraping an exporter that plays the model server; the test plays the KServe controller by writing the
InferenceService's status. The daemon's clock is a manual one (the steps are decided by it), the
metrics are real (Prometheus evaluates them at the moment of each analysis)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.cluster.base import KindRef
from reconciler.cluster.kube.cluster import KubeCluster
from reconciler.changes import plan_text
from reconciler.commands import rollout as rollout_command
from reconciler.commands.outcome import Outcome
from reconciler.commands.platform import load_platform
from reconciler.daemon import ManualClock
from reconciler.fleet import placements
from reconciler.rollout.objects import read_state
from reconciler.rollout.planned import rollout_notes
from reconciler.spec.load import load
from reconciler.source.directory import DirectorySource
from tests.daemon.conftest import *  # noqa: F403 - repo, make_daemon (collected against a real kube-apiserver)
from tests.daemon.conftest import Harness, Repo, merge_patch, replicas
from tests.engine.conftest import *  # noqa: F403 - make_fleet against a real kube-apiserver
from tests.engine.conftest import Fleet
from tests.rollout.servers import ERROR_RATE_QUERY, Exporter, PrometheusServer, model_metrics  # noqa: F401

ENV_FILE = "environments/prod-cloud.yaml"
KEY = ("prod-cloud", "gke-eu")
ISVC_PATH = "/apis/serving.kserve.io/v1beta1/namespaces/ml-serving/inferenceservices/fraud-detector"
INTERVAL = 2.0
CANARY = ("canary: {steps: [25, 50, 100], interval: 2s, analysis: {failureThreshold: 1, metrics: "
          "[{name: error-rate, max: 0.05, query: '" + ERROR_RATE_QUERY.replace("'", "''") + "'}]}}")
EVENTS = KindRef("v1", "Event", "events", True)


def progressive(text: str) -> str:
    """prod-cloud with one cluster (gke-eu), serving only the fraud detector, rolled out in steps."""
    text = replicas(text, "    - name: gke-us\n      kubeconfig: {context: gke-us-prod}\n", "")
    text = replicas(text, 'components: ["serving/*"]', 'components: ["serving/fraud-detector"]')
    text = replicas(text, '    serving/recsys-ranker: "3.1.4"\n    serving/churn-predictor: "11"\n', "")
    text = replicas(text, "    serving/recsys-ranker:\n      replicas: {min: 2, max: 6}\n", "")
    return replicas(text, "canary: {trafficPercent: 10}", CANARY)


def pin(version: str) -> Callable[[str], str]:
    return lambda text: text.replace('serving/fraud-detector: "7"', f'serving/fraud-detector: "{version}"', 1)


@pytest.fixture
def setup(repo: Repo, make_fleet: Callable[..., Fleet], model_metrics: tuple[Exporter, PrometheusServer],
          make_daemon: Callable[..., Harness]) -> tuple[Repo, Fleet, Callable[..., Harness], PrometheusServer]:
    repo.commit("fraud detector rolled out in steps", {ENV_FILE: progressive})
    fleet = make_fleet(load(DirectorySource(repo.path)), "prod-cloud")
    return repo, fleet, make_daemon, model_metrics[1]


def harness(setup: tuple[Repo, Fleet, Callable[..., Harness], PrometheusServer],
            clock: ManualClock | None = None) -> Harness:
    repo, fleet, make_daemon, prometheus = setup
    return make_daemon(repo, fleet.connect, clock=clock, prometheus_url=prometheus.url, drift_watch=False,
                       drift_interval=0.0)


def play_kserve(fleet: Fleet) -> None:
    """The KServe controller's part: the InferenceService is Ready at its current generation."""
    live = fleet.servers["gke-eu"].get_object("serving.kserve.io", "inferenceservices", "fraud-detector",
                                              "ml-serving")
    assert live is not None
    merge_patch(fleet.servers["gke-eu"], f"{ISVC_PATH}/status", {"status": {
        "observedGeneration": live["metadata"]["generation"],
        "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2025-01-01T00:00:00Z"}]}},
        manager="kserve")


def live(fleet: Fleet) -> dict[str, Any]:
    found = fleet.servers["gke-eu"].get_object("serving.kserve.io", "inferenceservices", "fraud-detector",
                                               "ml-serving")
    assert found is not None
    return found


def share(fleet: Fleet) -> int | None:
    value = live(fleet)["spec"]["predictor"].get("canaryTrafficPercent")
    return None if value is None else int(value)


def rollout(h: Harness) -> dict[str, Any]:
    (doc,) = h.daemon.target(*KEY).rollouts
    from reconciler.rollout.view import as_document
    return as_document(doc)


def managers(fleet: Fleet) -> dict[str, str]:
    """Which field manager owns canaryTrafficPercent and the storage URI."""
    owners = {}
    for entry in live(fleet)["metadata"].get("managedFields") or []:
        predictor = (entry.get("fieldsV1") or {}).get("f:spec", {}).get("f:predictor", {})
        for field in ("f:canaryTrafficPercent", "f:model"):
            if field in predictor:
                owners[field] = entry["manager"]
    return owners


def start_rollout(setup: tuple[Repo, Fleet, Callable[..., Harness], PrometheusServer], version: str,
                  clock: ManualClock | None = None) -> Harness:
    """Deploy 7 (Ready), then pin ``version``: the rollout starts at 25% and the new revision is Ready."""
    repo, fleet, _make, prometheus = setup
    h = harness(setup, clock)
    h.step()
    play_kserve(fleet)
    assert share(fleet) is None and h.daemon.target(*KEY).rollouts == []  # a first deploy is no rollout
    repo.commit(f"fraud detector {version}", {ENV_FILE: pin(version)})
    h.daemon.trigger.fire("webhook")
    h.step()
    assert h.daemon.target(*KEY).error is None
    assert live(fleet)["metadata"]["labels"]["app.kubernetes.io/version"] == version
    assert share(fleet) == 25
    assert managers(fleet) == {"f:canaryTrafficPercent": "platformctl-rollout", "f:model": "platformctl"}
    play_kserve(fleet)
    prometheus.wait_for(ERROR_RATE_QUERY.replace("$version", version))
    return h


def test_a_healthy_rollout_reaches_100_in_steps_without_ever_being_drift(setup: Any) -> None:
    _repo, fleet, _make, _prometheus = setup
    h = start_rollout(setup, "8")
    assert rollout(h)["phase"] == "Progressing" and rollout(h)["nextStepInSeconds"] == INTERVAL
    seen = [share(fleet)]
    for _ in range(2):
        fleet.servers["gke-eu"].reset_requests()
        report = h.tick(INTERVAL)
        counts = fleet.servers["gke-eu"].counts()
        # a step's writes: the state, the share, one Event; the rollout's reads: the state and the
        # InferenceService (twice: before the reconcile and after it)
        assert {k: v for k, v in counts.items() if k[0] in ("patch", "create")} == {
            ("patch", "configmaps"): 1, ("patch", "inferenceservices.serving.kserve.io"): 1, ("create", "events"): 1}
        assert counts[("get", "inferenceservices.serving.kserve.io")] == 2
        assert [reason for *_key, reason in report.submitted] == ["rollout"]
        result = h.daemon.target(*KEY).last_result
        assert result is not None and result.plan is not None and result.plan.writes == []  # the share is not drift
        seen.append(share(fleet))
        play_kserve(fleet)  # the controller observes the new share (a new generation)
    assert seen == [25, 50, None]  # 100%: the field is let go, the new version alone
    doc = rollout(h)
    assert (doc["phase"], doc["share"], doc["step"], doc["previous"], doc["version"]) == ("Succeeded", 100, 3, "7", "8")
    assert [c["name"] for c in doc["analysis"]] == ["ready", "error-rate"] and all(c["ok"] for c in doc["analysis"])
    status = h.daemon.status()["environments"][0]["clusters"][0]["rollouts"]
    assert status[0]["phase"] == "Succeeded"
    metrics = h.metrics.render()[0].decode()
    assert ('platformctl_rollout_share_percent{cluster="gke-eu",component="serving/fraud-detector",'
            'environment="prod-cloud"} 100.0') in metrics
    client = fleet.connect(h.daemon.good.desired[KEY].cluster)  # type: ignore[union-attr]
    assert isinstance(client, KubeCluster)
    reasons = [e["reason"] for e in client.list(EVENTS, "ml-serving")
               if e["involvedObject"]["name"] == "fraud-detector"]
    assert reasons.count("RolloutStarted") == 1 and reasons.count("RolloutStep") == 1
    assert reasons.count("RolloutSucceeded") == 1
    h.tick(60.0)
    assert rollout(h)["phase"] == "Succeeded" and share(fleet) is None  # a finished rollout never restarts


def test_a_rollout_whose_error_rate_crosses_the_threshold_is_back_at_0_within_one_interval(setup: Any) -> None:
    repo, fleet, _make, _prometheus = setup
    h = start_rollout(setup, "9")
    h.tick(INTERVAL)
    doc = rollout(h)
    assert (doc["phase"], doc["share"]) == ("Failed", 0)
    assert share(fleet) == 0  # KServe now sends everything to the last rolled-out revision (7)
    assert "error-rate" in doc["reason"] and "> max 0.05" in doc["reason"]
    page = h.daemon.status()["environments"][0]["clusters"][0]["rollouts"][0]
    assert page["reason"] == doc["reason"]
    client = fleet.connect(h.daemon.good.desired[KEY].cluster)  # type: ignore[union-attr]
    assert isinstance(client, KubeCluster)
    failed = [e for e in client.list(EVENTS, "ml-serving") if e["reason"] == "RolloutFailed"]
    assert len(failed) == 1 and failed[0]["type"] == "Warning" and "error-rate" in failed[0]["message"]
    h.tick(60.0)
    repo.commit("an unrelated edit", {ENV_FILE: lambda t: replicas(t, "min: 4, max: 16", "min: 5, max: 16")})
    h.tick(60.0)
    assert rollout(h)["phase"] == "Failed" and share(fleet) == 0  # nothing is retried until the version changes
    repo.commit("no more steps: 9 takes all", {ENV_FILE: lambda t: replicas(t, f"      {CANARY}\n", "")})
    h.tick(60.0)
    assert share(fleet) is None  # the failed rollout's 0% is let go: Git's form decides again


def test_a_new_daemon_resumes_a_rollout_at_the_step_it_reached(setup: Any) -> None:
    _repo, fleet, _make, _prometheus = setup
    clock = ManualClock()
    first = start_rollout(setup, "8", clock)
    first.tick(INTERVAL)
    assert share(fleet) == 50
    play_kserve(fleet)
    started = rollout(first)["history"][0]
    # The first daemon is gone (nothing handed over); a new one reads the state from the cluster.
    second = harness(setup, clock)
    second.step()
    assert share(fleet) == 50 and rollout(second)["step"] == 2 and rollout(second)["history"][0] == started
    second.tick(INTERVAL)
    assert share(fleet) is None and rollout(second)["phase"] == "Succeeded"


def test_the_plan_shows_the_rollout_instead_of_a_diff(setup: Any) -> None:
    repo, fleet, _make, _prometheus = setup
    h = harness(setup)
    h.step()
    repo.commit("fraud detector 8", {ENV_FILE: pin("8")})
    spec = load(DirectorySource(repo.path))
    (result,) = fleet.reconcile(spec, revision="r2", apply=False)
    rollouts = {p.cluster.name: p.rollouts for p in placements(spec, "prod-cloud", "r2")}
    notes = rollout_notes(result, rollouts["gke-eu"])
    text = plan_text([result], notes=notes)
    assert ("~ update    InferenceService/ml-serving/fraud-detector\n"
            "      rollout 7 -> 8 by the daemon: 25%/50%/100%, 2s per step, each step judged by readiness, "
            "error-rate (failing 1 time(s) in a row: back to 0%, 7 keeps the traffic)") in text
    assert "storageUri" not in text  # the diff of the version is the rollout's to show
    assert "storageUri" in plan_text([result])


def test_pause_resume_and_abort_from_the_command_line(setup: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    repo, fleet, _make, _prometheus = setup
    h = start_rollout(setup, "8")
    monkeypatch.setattr(rollout_command, "connect", lambda spec, _repo, _enforcement: fleet.connect(spec))
    platform = load_platform(repo.path, None, ("prod-cloud",))

    def cli(action: str) -> Outcome:
        return rollout_command.run_rollout(platform, repo.path, "prod-cloud", "fraud-detector", action)

    assert cli("pause").code == 0
    h.tick(INTERVAL)
    h.tick(INTERVAL * 5)
    assert (rollout(h)["phase"], share(fleet)) == ("Paused", 25)  # no step while paused
    status = cli("status")
    assert status.code == 0 and "Paused, step 1/3, 25% to 8" in status.stdout
    assert cli("pause").code == 1  # nothing to pause
    assert cli("resume").code == 0
    h.tick(INTERVAL)
    assert (rollout(h)["phase"], share(fleet)) == ("Progressing", 50)
    play_kserve(fleet)
    assert cli("abort").code == 0
    h.tick(INTERVAL)
    doc = rollout(h)
    assert (doc["phase"], doc["share"], doc["reason"], share(fleet)) == ("Aborted", 0, "aborted by request", 0)
    assert cli("resume").code == 1  # a final rollout stays final
    client = fleet.connect(h.daemon.good.desired[KEY].cluster)  # type: ignore[union-attr]
    assert isinstance(client, KubeCluster)
    events = {e["reason"]: e["type"] for e in client.list(EVENTS, "ml-serving")}
    assert events["RolloutPaused"] == events["RolloutResumed"] == "Normal" and events["RolloutAborted"] == "Warning"


def test_a_rollout_git_stops_asking_for_is_aborted_and_its_share_let_go(setup: Any) -> None:
    repo, fleet, _make, _prometheus = setup
    h = start_rollout(setup, "8")
    repo.commit("no more steps for the fraud detector", {ENV_FILE: lambda t: replicas(t, f"      {CANARY}\n", "")})
    h.daemon.trigger.fire("webhook")
    h.step()
    assert h.daemon.target(*KEY).rollouts == []  # no longer shown: Git does not roll it out any more
    assert share(fleet) is None  # the new version takes all traffic, as Git without a canary says
    client = fleet.connect(h.daemon.good.desired[KEY].cluster)  # type: ignore[union-attr]
    assert isinstance(client, KubeCluster)
    stored = read_state(client.get(KindRef("v1", "ConfigMap", "configmaps", True), "ml-serving",
                                   "platformctl-rollout-fraud-detector"))
    assert stored is not None and (stored.phase.value, stored.reason) == (
        "Aborted", "no longer rolled out progressively in Git")


def staging_only_fraud(text: str) -> str:
    """staging with its serving cluster only, serving only the fraud detector, rolled out in steps."""
    text, dropped = re.subn(r"    - name: onprem-staging\n      kubeconfig: \{context: onprem-staging\}\n"
                            r"      components: \[[^\]]*\]\n", "", text)
    assert dropped == 1
    text = replicas(text, 'components: ["*/*"]', 'components: ["serving/fraud-detector"]')
    text = replicas(text, '    serving/recsys-ranker: "3.2.0"\n    tuning/fraud-xgb-search: "1.4.0"\n', "")
    text = replicas(text, "    schedules/fraud-nightly-training:\n      enabled: false\n", "")
    return replicas(text, "canary: {trafficPercent: 20}", CANARY)


def test_a_verified_rollout_opens_the_promotion_to_the_next_stage(
        repo: Repo, make_fleet: Callable[..., Fleet], model_metrics: tuple[Exporter, PrometheusServer],
        make_daemon: Callable[..., Harness]) -> None:
    prometheus = model_metrics[1]
    repo.commit("staging rolls the fraud detector out in steps", {"environments/staging.yaml": staging_only_fraud})
    fleet = make_fleet(load(DirectorySource(repo.path)), "staging")
    server = fleet.servers["gke-staging"]
    path = ISVC_PATH.replace("ml-serving", "ml-staging")

    def kserve_ready() -> None:
        found = server.get_object("serving.kserve.io", "inferenceservices", "fraud-detector", "ml-staging")
        assert found is not None
        merge_patch(server, f"{path}/status", {"status": {
            "observedGeneration": found["metadata"]["generation"],
            "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2025-01-01T00:00:00Z"}]}},
            manager="kserve")

    h = make_daemon(repo, fleet.connect, environments=("staging",), prometheus_url=prometheus.url,
                    drift_watch=False, drift_interval=0.0, promote_after_rollout=True)
    h.step()
    kserve_ready()
    commit = repo.commit("fraud detector 10 in staging", {"environments/staging.yaml": lambda t: replicas(
        t, 'serving/fraud-detector: "8"', 'serving/fraud-detector: "10"')})
    h.daemon.trigger.fire("webhook")
    h.step()
    kserve_ready()
    prometheus.wait_for(ERROR_RATE_QUERY.replace("$version", "10"))
    for _ in range(2):
        h.tick(INTERVAL)
        kserve_ready()
    (view,) = h.daemon.target("staging", "gke-staging").rollouts
    assert view.state.phase.value == "Succeeded"
    # what a sharded replica that does not own this cluster reads before it opens the promotion
    good = h.daemon.good
    assert good is not None
    (policy,) = good.desired[("staging", "gke-staging")].rollouts
    peer = h.daemon._peer_rollout(("staging", "gke-staging"), policy)
    assert peer is not None and (peer.version, peer.phase) == (view.state.version, view.state.phase)
    assert "promote/" not in repo.git("branch", "--list")  # opened by the next pass of the loop
    h.step()
    branch = "promote/prod-cloud/fraud-detector-10"
    assert repo.git("branch", "--list", branch).strip().endswith(branch)
    assert repo.git("rev-parse", f"{branch}^") == commit  # on top of the revision the rollout ran
    assert 'serving/fraud-detector: "10"' in repo.git("show", f"{branch}:environments/prod-cloud.yaml")
    assert repo.head() == commit  # the tracked branch does not move: merging is a person's review
    (opened,) = h.daemon.status()["promotionsOpened"]
    assert (opened["from"], opened["to"], opened["branch"], opened["version"]) == ("staging", "prod-cloud", branch,
                                                                                  "10")


def test_a_new_version_pinned_mid_rollout_starts_over_from_the_version_still_serving(setup: Any) -> None:
    repo, fleet, _make, _prometheus = setup
    h = start_rollout(setup, "8")
    repo.commit("fraud detector 10 instead", {ENV_FILE: lambda t: replicas(
        t, 'serving/fraud-detector: "8"', 'serving/fraud-detector: "10"')})
    h.daemon.trigger.fire("webhook")
    h.step()
    doc = rollout(h)
    assert (doc["version"], doc["previous"], doc["phase"], doc["step"], doc["share"]) == ("10", "7", "Progressing",
                                                                                       1, 25)
    assert share(fleet) == 25
