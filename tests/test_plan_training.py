"""Training runs are one-shot: each pinned version is its own object; a new pin starts a new run and
keeps the old one; a finished run is never started again; a changed run needs a new version."""

from __future__ import annotations

import copy
from pathlib import Path

from reconciler.labels import FIELD_MANAGER
from reconciler.objects import Manifest, ObjectKey
from reconciler.plan import ONE_SHOT_GONE, Action, Scope, make_plan
from reconciler.render import render_cluster
from reconciler.source.directory import DirectorySource
from reconciler.spec.load import load
from tests.spec.conftest import copy_platform

ENV, CLUSTER = "prod-onprem", "onprem-gpu"
TEAM = "risk"  # fraud-pretrain belongs to team risk: its objects render into the team's namespace
RUN_1 = ObjectKey("trainer.kubeflow.org", "TrainJob", TEAM, "fraud-pretrain-1")
RUN_2 = ObjectKey("trainer.kubeflow.org", "TrainJob", TEAM, "fraud-pretrain-2")
RUNTIME = ObjectKey("trainer.kubeflow.org", "TrainingRuntime", TEAM, "fraud-torch")
SCOPE = Scope("ml-prod", teams=frozenset({TEAM}))  # prod-onprem hosts team risk on onprem-gpu


def rendered(repo: Path) -> dict[ObjectKey, Manifest]:
    spec = load(DirectorySource(repo))
    return {ObjectKey.of(r.manifest): r.manifest for r in render_cluster(spec, ENV, CLUSTER, "r1")}


def served(objects: dict[ObjectKey, Manifest]) -> dict[ObjectKey, Manifest]:
    """What the cluster holds after applying them: server metadata and a finished run's status."""
    live = {}
    for key, obj in objects.items():
        copied = copy.deepcopy(obj)
        copied["metadata"].update(uid=f"u-{key.name}", resourceVersion="3", managedFields=[
            {"manager": FIELD_MANAGER, "operation": "Apply", "apiVersion": obj["apiVersion"], "fieldsType": "FieldsV1"}])
        if key.kind == "TrainJob":
            copied["status"] = {"conditions": [{"type": "Complete", "status": "True", "reason": "AllJobsCompleted"}]}
        live[key] = copied
    return live


def pin(repo: Path, version: str) -> None:
    env = repo / "environments" / f"{ENV}.yaml"
    env.write_text(env.read_text().replace('training/fraud-pretrain: "1"', f'training/fraud-pretrain: "{version}"'))


def test_a_new_pinned_version_creates_a_new_run_and_keeps_the_old_one(tmp_path: Path) -> None:
    repo = copy_platform(tmp_path / "repo")
    before = rendered(repo)
    assert RUN_1 in before and before[RUN_1]["spec"]["trainer"]["image"].endswith(":1")
    live, inventory = served(before), frozenset(before)
    pin(repo, "2")
    after = rendered(repo)
    plan = make_plan(list(after.values()), live, inventory, scope=SCOPE)
    actions = {e.key: e for e in plan.entries}
    assert actions[RUN_2].action is Action.CREATE
    assert actions[RUN_2].desired is not None and actions[RUN_2].desired["spec"]["trainer"]["image"].endswith(":2")
    assert actions[RUN_1].action is Action.SKIP and "protected" in actions[RUN_1].reason
    assert actions[RUNTIME].action is Action.UNCHANGED
    assert not plan.by_action(Action.PRUNE)


def test_the_pinned_run_is_unchanged_while_the_pin_stays(tmp_path: Path) -> None:
    objects = rendered(copy_platform(tmp_path / "repo"))
    plan = make_plan(list(objects.values()), served(objects), frozenset(objects), scope=SCOPE)
    assert {e.key: e.action for e in plan.entries}[RUN_1] is Action.UNCHANGED


def test_a_run_gone_from_the_cluster_is_not_started_again(tmp_path: Path) -> None:
    objects = rendered(copy_platform(tmp_path / "repo"))
    live = served(objects)
    del live[RUN_1]  # a person deleted the finished run
    plan = make_plan(list(objects.values()), live, frozenset(objects), scope=SCOPE)
    entry = {e.key: e for e in plan.entries}[RUN_1]
    assert (entry.action, entry.reason) == (Action.SKIP, ONE_SHOT_GONE)
    # Never created before (not in the inventory): created.
    fresh = make_plan(list(objects.values()), {}, frozenset(), scope=SCOPE)
    assert {e.key: e.action for e in fresh.entries}[RUN_1] is Action.CREATE


def test_changing_a_run_without_a_new_version_needs_a_new_version(tmp_path: Path) -> None:
    repo = copy_platform(tmp_path / "repo")
    objects = rendered(repo)
    live = served(objects)
    component = repo / "components" / "training" / "fraud-pretrain.yaml"
    component.write_text(component.read_text().replace("--epochs=20", "--epochs=30"))
    changed = rendered(repo)
    plan = make_plan(list(changed.values()), live, frozenset(objects), scope=SCOPE)
    entry = {e.key: e for e in plan.entries}[RUN_1]
    assert entry.action is Action.REPLACE
    assert "a training run cannot change (pin a new version to start a new run)" in entry.reason
    # Only an explicit --replace deletes the finished run and starts it again under the same name.
    assert entry.undeletable == ""


def test_suspending_a_run_is_an_update(tmp_path: Path) -> None:
    objects = rendered(copy_platform(tmp_path / "repo"))
    live = served(objects)
    desired = copy.deepcopy(objects[RUN_1])
    desired["spec"]["suspend"] = True
    plan = make_plan([desired], {RUN_1: live[RUN_1]}, frozenset({RUN_1}), scope=SCOPE)
    assert [e.action for e in plan.entries] == [Action.UPDATE]
