"""Fixes for problems the property and round-trip tests found: collisions, pins, labels, quantities."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.render import render_cluster
from reconciler.source.directory import DirectorySource
from reconciler.spec.load import load
from reconciler.spec.models.base import Resources
from tests.spec.conftest import copy_platform


def test_volume_names_that_collide_with_another_notebook_are_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = copy_platform(tmp_path / "r")
    (repo / "components" / "notebooks" / "analytics-scratch.yaml").write_text(
        "apiVersion: platformctl.dev/v1alpha1\nkind: Notebook\nmetadata: {name: analytics-scratch}\n"
        "spec:\n  image: registry.acme.io/notebooks/jupyter-scipy:v1\n  workspace: {size: 1Gi}\n")
    notebook = repo / "components" / "notebooks" / "analytics.yaml"
    notebook.write_text(notebook.read_text().replace("name: scratch", "name: scratch-workspace"))
    assert main(["validate", str(repo)]) == 1
    err = capsys.readouterr().err
    assert ("notebooks/analytics renders PersistentVolumeClaim/ml-dev/analytics-scratch-workspace, which "
            "notebooks/analytics-scratch also renders") in err or (
            "notebooks/analytics-scratch renders PersistentVolumeClaim/ml-dev/analytics-scratch-workspace, which "
            "notebooks/analytics also renders") in err


def test_pinning_an_older_pipeline_version_ships_that_versions_package(tmp_path: Path) -> None:
    repo = copy_platform(tmp_path / "r")
    pipeline = repo / "components" / "pipelines" / "fraud-training.yaml"
    pipeline.write_text(pipeline.read_text().replace(
        "  package: kfp-pipelines/fraud_training.yaml\n",
        "  package: kfp-pipelines/fraud_training.yaml\n  previousVersions:\n    1.3.0: kfp-pipelines/batch_scoring.yaml\n"))
    env = repo / "environments" / "dev.yaml"
    env.write_text(env.read_text().replace("  versions:\n", "  versions:\n    pipelines/fraud-training: 1.3.0\n"))
    schedule = repo / "components" / "schedules" / "fraud-nightly-training.yaml"
    schedule.write_text(schedule.read_text().replace("  pipeline: fraud-training\n",
                                                     "  pipeline: fraud-training\n  pipelineVersion: 1.4.0\n"))
    spec = load(DirectorySource(repo))
    versions = {r.manifest["metadata"]["name"]: r.manifest for r in render_cluster(spec, "dev", "local", "r")
                if r.manifest["kind"] == "PipelineVersion"}
    assert versions["fraud-training-1-3-0"]["spec"]["pipelineSpec"]["pipelineInfo"]["name"] == "batch-scoring"
    assert versions["fraud-training-1-4-0"]["spec"]["pipelineSpec"]["pipelineInfo"]["name"] == "fraud-training"


@pytest.mark.parametrize(("given", "stored"), [(2147483648, "2147483648"), (0.25, "0.25"), (3.0, "3")])
def test_numeric_quantities_keep_their_precision(given: float, stored: str) -> None:
    assert Resources(memory=given).memory == stored


def test_component_labels_reach_every_object_it_renders_but_never_override_ownership(tmp_path: Path) -> None:
    repo = copy_platform(tmp_path / "r")
    notebook = repo / "components" / "notebooks" / "analytics.yaml"
    notebook.write_text(notebook.read_text().replace(
        "  owner: analytics@acme.io\n",
        "  owner: analytics@acme.io\n  labels: {team: analytics, app.kubernetes.io/managed-by: someone-else}\n", 1))
    spec = load(DirectorySource(repo))
    mine = [r.manifest for r in render_cluster(spec, "dev", "local", "r")
            if r.component is not None and r.component.ref == "notebooks/analytics"]
    assert len(mine) == 3  # notebook + 2 PVCs
    for manifest in mine:
        assert manifest["metadata"]["labels"]["team"] == "analytics"
        assert manifest["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "platformctl"
