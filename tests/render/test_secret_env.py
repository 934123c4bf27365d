"""Secret references in env render as valueFrom.secretKeyRef, never as values."""

from __future__ import annotations

from pathlib import Path

from reconciler.conformance import validate_object
from reconciler.render import render_cluster
from reconciler.source.directory import DirectorySource
from reconciler.spec.load import load
from tests.spec.conftest import copy_platform


def test_secret_reference_becomes_a_secret_key_ref(tmp_path: Path) -> None:
    repo = copy_platform(tmp_path / "r")
    path = repo / "components" / "notebooks" / "research-gpu.yaml"
    path.write_text(path.read_text().replace(
        "    MLFLOW_TRACKING_URI: http://mlflow.mlflow.svc:5000",
        "    MLFLOW_TRACKING_URI: http://mlflow.mlflow.svc:5000\n    DB_PASSWORD: {secret: db-credentials, key: password}"))
    spec = load(DirectorySource(repo))
    [notebook] = [r.manifest for r in render_cluster(spec, "dev", "local", "r")
                  if r.manifest["kind"] == "Notebook" and r.manifest["metadata"]["name"] == "research-gpu"]
    env = notebook["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db-credentials", "key": "password"}}} in env
    assert validate_object(notebook) == []
