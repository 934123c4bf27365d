"""Platforms for benchmarks: a large synthetic one (N components x 3 environments), or a copy of the bundled one."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PLATFORM_PATHS = ("platform.yaml", "components", "environments", "kfp-pipelines")

NOTEBOOK = """apiVersion: platformctl.dev/v1alpha1
kind: Notebook
metadata: {{name: nb-{i}}}
spec:
  image: registry.acme.io/notebooks/jupyter-scipy:{{version}}
  version: v1.10.0
  resources: {{cpu: "2", memory: 8Gi}}
  workspace: {{size: 20Gi}}
"""
SERVING = """apiVersion: platformctl.dev/v1alpha1
kind: Serving
metadata: {{name: model-{i}}}
spec:
  model: {{format: sklearn, storageUri: "s3://acme-models/m{i}/{{version}}", protocol: v2}}
  version: "{i}"
  replicas: {{min: 1, max: 3}}
  resources: {{cpu: "1", memory: 2Gi}}
"""
TUNING = """apiVersion: platformctl.dev/v1alpha1
kind: Tuning
metadata: {{name: search-{i}}}
spec:
  version: "1.0.0"
  objective: {{type: maximize, metric: auc, goal: 0.95}}
  algorithm: {{name: random}}
  parameters:
    - {{name: lr, type: double, min: 0.001, max: 0.1}}
    - {{name: depth, type: int, min: 2, max: 8}}
  trials: {{parallel: 2, max: 10, maxFailed: 2}}
  trialTemplate:
    image: registry.acme.io/trainer:{{version}}
    command: [python, train.py, "--lr=${{trialParameters.lr}}", "--depth=${{trialParameters.depth}}"]
"""
SCHEDULE = """apiVersion: platformctl.dev/v1alpha1
kind: Schedule
metadata: {{name: nightly-{i}}}
spec:
  pipeline: batch-scoring
  trigger: {{cron: "{minute} 2 * * *"}}
  parameters: {{model_uri: "s3://m/{i}", input_table: in_{i}, output_table: out_{i}}}
"""
ENV = """apiVersion: platformctl.dev/v1alpha1
kind: Environment
metadata: {{name: {name}}}
spec:
  clusters: [{{name: c1, directory: .platformctl/clusters/{name}}}]
  namespace: ml-{name}
  overrides:
    serving/model-1: {{replicas: {{min: 2, max: 4}}}}
  policy: {{allowedRegistries: [registry.acme.io/, docker.io/library/python]}}
"""


def generate(dest: Path, components: int) -> Path:
    """Write a platform of ``components`` components (a quarter of each kind, plus pipelines) to ``dest``."""
    if dest.exists():
        shutil.rmtree(dest)
    (dest / "environments").mkdir(parents=True)
    shutil.copytree(REPO / "kfp-pipelines", dest / "kfp-pipelines")
    shutil.copytree(REPO / "components" / "pipelines", dest / "components" / "pipelines")
    (dest / "platform.yaml").write_text(
        "apiVersion: platformctl.dev/v1alpha1\nkind: Platform\nmetadata: {name: bench}\n"
        "spec:\n  version: 1.0.0\n  promotion: [dev, staging, prod]\n"
    )
    for name in ("dev", "staging", "prod"):
        (dest / "environments" / f"{name}.yaml").write_text(ENV.format(name=name))
    templates = [("notebooks", NOTEBOOK), ("serving", SERVING), ("tuning", TUNING), ("schedules", SCHEDULE)]
    for i in range(components - 2):
        kind, template = templates[i % 4]
        folder = dest / "components" / kind
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{i}.yaml").write_text(template.format(i=i, minute=i % 60))
    return dest


def copy_platform(dest: Path) -> Path:
    """Copy the bundled example platform (spec files and compiled pipelines) into ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in PLATFORM_PATHS:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, dest / name)
        else:
            shutil.copy2(source, dest / name)
    return dest


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/platformctl-bench")
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    print(generate(target, count))
