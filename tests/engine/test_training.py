"""Training runs through the engine against a test API server with the real Trainer CRDs installed:
the runtime before the run, a new pin starts a new run and keeps the old one, a finished run that
disappeared is not started again."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from reconciler.cluster.kinds import known_kind
from reconciler.source.directory import DirectorySource
from reconciler.spec.document import Spec
from reconciler.spec.load import load
from tests.engine.conftest import Fleet, writes
from tests.spec.conftest import copy_platform

ENV, CLUSTER = "prod-onprem", "onprem-gpu"
NAMESPACE = "risk"  # fraud-pretrain belongs to team risk: it runs in the team's namespace, not ml-prod
TRAINER = "trainer.kubeflow.org/v1alpha1"


def _objects(fleet: Fleet, kind: str) -> dict[str, dict[str, object]]:
    ref = known_kind(TRAINER, kind)
    assert ref is not None
    [cluster] = [c for c in fleet.spec.environments[ENV].model.spec.clusters if c.name == CLUSTER]
    return {str(o["metadata"]["name"]): o for o in fleet.connect(cluster).list(ref, NAMESPACE)}  # type: ignore[index]


def _pin(repo: Path, version: str) -> Spec:
    env = repo / "environments" / f"{ENV}.yaml"
    env.write_text(env.read_text().replace('training/fraud-pretrain: "1"', f'training/fraud-pretrain: "{version}"'))
    return load(DirectorySource(repo))


def test_a_train_job_is_applied_after_its_runtime_and_a_new_pin_starts_a_new_run(
    tmp_path: Path, make_fleet: Callable[[Spec, str], Fleet]
) -> None:
    repo = copy_platform(tmp_path / "repo")
    fleet = make_fleet(load(DirectorySource(repo)), ENV)
    [first] = fleet.reconcile()
    assert first.error is None
    created = [c.key.kind for c in first.changes if c.action == "created"]
    assert created.index("TrainingRuntime") < created.index("TrainJob")
    runs = _objects(fleet, "TrainJob")
    assert set(runs) == {"fraud-pretrain-1"}
    assert runs["fraud-pretrain-1"]["spec"]["trainer"]["image"] == "registry.acme.io/risk/fraud-pretrain:1"  # type: ignore[index]
    assert set(_objects(fleet, "TrainingRuntime")) == {"fraud-torch"}

    fleet.reset_requests()
    [again] = fleet.reconcile(revision="r2")
    assert again.error is None and writes(fleet.servers[CLUSTER]) == []

    [moved] = fleet.reconcile(_pin(repo, "2"), revision="r3")
    assert moved.error is None
    assert set(_objects(fleet, "TrainJob")) == {"fraud-pretrain-1", "fraud-pretrain-2"}
    kept = [c for c in moved.changes if c.key.name == "fraud-pretrain-1"]
    assert [c.action for c in kept] == ["skipped"] and "protected" in kept[0].message


def test_a_finished_run_deleted_from_the_cluster_is_not_started_again(
    tmp_path: Path, make_fleet: Callable[[Spec, str], Fleet]
) -> None:
    repo = copy_platform(tmp_path / "repo")
    fleet = make_fleet(load(DirectorySource(repo)), ENV)
    assert all(r.ok for r in fleet.reconcile())
    ref = known_kind(TRAINER, "TrainJob")
    assert ref is not None
    [cluster] = [c for c in fleet.spec.environments[ENV].model.spec.clusters if c.name == CLUSTER]
    fleet.connect(cluster).delete(ref, NAMESPACE, "fraud-pretrain-1")
    [result] = fleet.reconcile(revision="r2")
    assert result.error is None
    assert "fraud-pretrain-1" not in _objects(fleet, "TrainJob")
    [skipped] = [c for c in result.changes if c.key.name == "fraud-pretrain-1"]
    assert skipped.action == "skipped" and "never started again" in skipped.message
