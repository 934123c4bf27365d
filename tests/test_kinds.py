"""The per-kind table (pure): one row per kind, every health check it names implemented."""

from __future__ import annotations

from reconciler.health.dispatch import CHECKS, IMPLEMENTATIONS
from reconciler.kinds import (
    DEFAULT, KINDS, ONE_SHOT_KINDS, PROTECTED_KINDS, RENDERED_KINDS, HealthCheck, apply_rank, by_kind,
)


def test_one_row_per_kind_name_and_per_group_kind() -> None:
    names = [r.kind for r in KINDS]
    assert len(names) == len(set(names))


def test_every_named_health_check_is_implemented() -> None:
    assert set(IMPLEMENTATIONS) == set(HealthCheck)
    assert set(CHECKS) == {(r.group, r.kind) for r in KINDS if r.health is not None}


def test_a_rendered_kind_is_rendered_in_its_own_group() -> None:
    for rules in KINDS:
        if rules.rendered:
            assert rules.rendered.rpartition("/")[0] == rules.group, rules.kind


def test_order_and_protection_as_before_the_table() -> None:
    ranks = {k: apply_rank({"kind": k}) for k in ("CustomResourceDefinition", "Namespace", "Profile", "ConfigMap",
                                                   "PersistentVolumeClaim", "Pipeline", "PipelineVersion",
                                                   "Notebook", "ScheduledWorkflow", "Deployment", "")}
    assert ranks == {"CustomResourceDefinition": 0, "Namespace": 1, "Profile": 2, "ConfigMap": 3,
                     "PersistentVolumeClaim": 4, "Pipeline": 5, "PipelineVersion": 6, "Notebook": 7,
                     "ScheduledWorkflow": 8, "Deployment": 7, "": 7}
    assert PROTECTED_KINDS == {"Namespace", "PersistentVolumeClaim", "CustomResourceDefinition",
                               "PyTorchJob", "TFJob", "TrainJob", "Profile"}
    assert [k for _v, k in RENDERED_KINDS] == ["Namespace", "Profile", "PersistentVolumeClaim", "Pipeline", "PipelineVersion",
                                              "Notebook", "Experiment", "InferenceService", "ServingRuntime",
                                              "ClusterServingRuntime", "ScheduledWorkflow",
                                              "ClusterTrainingRuntime", "TrainingRuntime", "PyTorchJob", "TFJob",
                                              "TrainJob"]
    assert by_kind("Unheard") is DEFAULT
    assert [r.kind for r in KINDS if r.binds_pipeline_ids] == ["ScheduledWorkflow"]


def test_training_runtimes_apply_before_the_runs_and_runs_are_one_shot() -> None:
    assert apply_rank({"kind": "TrainingRuntime"}) < apply_rank({"kind": "TrainJob"})
    assert apply_rank({"kind": "ClusterTrainingRuntime"}) < apply_rank({"kind": "PyTorchJob"})
    assert ONE_SHOT_KINDS == {"TrainJob", "PyTorchJob", "TFJob"}
    assert ONE_SHOT_KINDS <= PROTECTED_KINDS
