"""Teams through the engine (test API server here; tests/real collects it again against a real
kube-apiserver): a team's Namespace and Profile first, its components inside its namespace, the
environment's inventory recording all of it; a dropped team's workloads pruned while its Namespace and
Profile are kept; an edited inventory cannot pass another namespace off as a former team's."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from pathlib import Path

from reconciler.cluster.base import Cluster
from reconciler.cluster.kinds import known_kind
from reconciler.engine import ChangeAction
from reconciler.inventory import Inventory
from reconciler.labels import LABEL_COMPONENT, LABEL_ENVIRONMENT
from reconciler.objects import ObjectKey
from reconciler.source.directory import DirectorySource
from reconciler.spec.document import Spec
from reconciler.spec.load import load
from tests.daemon.conftest import merge_patch
from tests.engine.conftest import Fleet, writes
from tests.spec.conftest import copy_platform

ENV, CLUSTER, HOME, TEAM = "prod-onprem", "onprem-gpu", "ml-prod", "risk"
TRAINER = "trainer.kubeflow.org/v1alpha1"
RUNTIME = ObjectKey("trainer.kubeflow.org", "TrainingRuntime", TEAM, "fraud-torch")


def _cluster(fleet: Fleet) -> Cluster:
    [spec] = [c for c in fleet.spec.environments[ENV].model.spec.clusters if c.name == CLUSTER]
    return fleet.connect(spec)


def _get(cluster: Cluster, api_version: str, kind: str, namespace: str | None, name: str) -> dict[str, object] | None:
    ref = known_kind(api_version, kind)
    assert ref is not None
    return cluster.get(ref, namespace, name)


def _create_by_hand(url: str, body: dict[str, object]) -> None:
    """A POST by another client (kubectl's field manager), straight over HTTP."""
    request = urllib.request.Request(f"{url}/api/v1/namespaces?fieldManager=kubectl-create", method="POST",
                                     data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=10).close()  # noqa: S310 - loopback test server


def _inventory(cluster: Cluster) -> Inventory:
    inventory = cluster.read_inventory(ENV, HOME)
    assert inventory is not None
    return inventory


def test_a_team_gets_its_namespace_and_profile_first_and_its_components_run_inside(
    tmp_path: Path, make_fleet: Callable[[Spec, str], Fleet]
) -> None:
    fleet = make_fleet(load(DirectorySource(copy_platform(tmp_path / "repo"))), ENV)
    [result] = fleet.reconcile()
    assert result.error is None
    created = [str(c.key) for c in result.changes if c.action is ChangeAction.CREATED]
    assert created.index("Namespace/risk") < created.index("Profile/risk") < created.index(str(RUNTIME))
    assert "TrainJob/risk/fraud-pretrain-1" in created and not any("/ml-prod/fraud-pretrain" in c or "/ml-prod/fraud-torch" in c for c in created)
    cluster = _cluster(fleet)
    profile = _get(cluster, "kubeflow.org/v1", "Profile", None, TEAM)
    assert profile is not None and profile["spec"]["owner"] == {"kind": "User", "name": "risk-ml-lead@acme.io"}  # type: ignore[index]
    namespace = _get(cluster, "v1", "Namespace", None, TEAM)
    assert namespace is not None and namespace["metadata"]["annotations"]["owner"] == "risk-ml-lead@acme.io"  # type: ignore[index]
    owned = {str(k) for k in _inventory(cluster).keys()}
    assert {"Namespace/risk", "Profile/risk", str(RUNTIME), "Namespace/ml-prod"} <= owned

    fleet.reset_requests()
    [again] = fleet.reconcile(revision="r2")
    assert again.error is None and writes(fleet.servers[CLUSTER]) == []


def test_a_dropped_team_has_its_workloads_pruned_and_its_namespace_and_profile_kept(
    tmp_path: Path, make_fleet: Callable[[Spec, str], Fleet]
) -> None:
    repo = copy_platform(tmp_path / "repo")
    fleet = make_fleet(load(DirectorySource(repo)), ENV)
    assert fleet.reconcile()[0].error is None
    env = repo / "environments" / f"{ENV}.yaml"
    env.write_text(env.read_text().replace(', "training/*", "teams/*"]', "]")
                   .replace('    training/fraud-pretrain: "1"\n', ""))
    [dropped] = fleet.reconcile(load(DirectorySource(repo)), revision="r2")
    assert dropped.error is None
    outcome = {str(c.key): c for c in dropped.changes}
    assert outcome[str(RUNTIME)].action is ChangeAction.PRUNED  # inside the former team namespace
    for kept in ("Namespace/risk", "Profile/risk", "TrainJob/risk/fraud-pretrain-1"):
        assert outcome[kept].action is ChangeAction.SKIPPED and "protected" in outcome[kept].message
    cluster = _cluster(fleet)
    assert _get(cluster, TRAINER, "TrainingRuntime", TEAM, "fraud-torch") is None
    assert _get(cluster, "kubeflow.org/v1", "Profile", None, TEAM) is not None
    assert {str(k) for k in _inventory(cluster).kept_keys()} >= {"Namespace/risk", "Profile/risk"}


def test_an_edited_inventory_cannot_pass_another_namespace_off_as_a_former_team(
    tmp_path: Path, make_fleet: Callable[[Spec, str], Fleet]
) -> None:
    fleet = make_fleet(load(DirectorySource(copy_platform(tmp_path / "repo"))), ENV)
    assert fleet.reconcile()[0].error is None
    cluster = _cluster(fleet)
    # Another environment's team namespace, with an object platformctl applied there for it.
    cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {
        "name": "victim", "labels": {LABEL_ENVIRONMENT: "staging", LABEL_COMPONENT: "teams"}}})
    victim = {"apiVersion": TRAINER, "kind": "TrainingRuntime", "metadata": {"name": "theirs", "namespace": "victim"},
              "spec": {"template": {"spec": {}}}}
    cluster.apply(victim)
    stored = _inventory(cluster)
    forged = Inventory(stored.environment, stored.revision,
                       (*stored.objects, ObjectKey("", "Namespace", "", "victim"),
                        ObjectKey("trainer.kubeflow.org", "TrainingRuntime", "victim", "theirs")),
                       {**stored.api_versions}, stored.kept)
    cluster.write_inventory(forged, HOME)
    [result] = fleet.reconcile(revision="r2")
    assert result.error is None
    assert _get(cluster, TRAINER, "TrainingRuntime", "victim", "theirs") is not None
    outcome = {str(c.key): c for c in result.changes}
    assert outcome["TrainingRuntime/victim/theirs"].action in (ChangeAction.REFUSED, ChangeAction.SKIPPED)
    assert "not platformctl's to delete" in outcome["TrainingRuntime/victim/theirs"].message


def test_a_team_never_takes_over_a_namespace_someone_else_made(
    tmp_path: Path, make_fleet: Callable[[Spec, str], Fleet]
) -> None:
    fleet = make_fleet(load(DirectorySource(copy_platform(tmp_path / "repo"))), ENV)
    server = fleet.servers[CLUSTER]
    cluster = _cluster(fleet)
    # Another tenant's namespace that happens to have the team's name, made by someone else (kubectl).
    _create_by_hand(server.url, {"apiVersion": "v1", "kind": "Namespace",
                                 "metadata": {"name": TEAM, "annotations": {"owner": "finance-lead@acme.io"}}})
    server.reset_requests()
    [refused] = fleet.reconcile()
    assert refused.permanent and refused.error is not None
    assert ("namespace 'risk' exists and platformctl did not create it (its owner annotation is "
            "'finance-lead@acme.io'): a team may not take over an existing namespace") in refused.error
    assert [str(c.key) for c in refused.changes] == ["Namespace/risk"]
    assert [r.path for r in writes(server)] == []  # not even the environment's own namespace
    live = _get(cluster, "v1", "Namespace", None, TEAM)
    assert live is not None and live["metadata"]["annotations"] == {"owner": "finance-lead@acme.io"}  # type: ignore[index]
    assert _get(cluster, "kubeflow.org/v1", "Profile", None, TEAM) is None
    # Annotated for the team by whoever owns it, it is adopted.
    merge_patch(server, "/api/v1/namespaces/risk", {"metadata": {"annotations": {"owner": "risk-ml-lead@acme.io"}}})
    [adopted] = fleet.reconcile(revision="r2")
    assert adopted.error is None
    assert _get(cluster, "kubeflow.org/v1", "Profile", None, TEAM) is not None
