"""Helpers for policy tests: a tiny platform (no components) with the environments a test needs."""

from __future__ import annotations

from pathlib import Path

from reconciler.source.directory import DirectorySource
from reconciler.spec.document import Spec
from reconciler.spec.load import load

PLATFORM = """apiVersion: platformctl.dev/v1alpha1
kind: Platform
metadata: {name: tiny}
spec:
  version: 1.0.0
  promotion: [%s]
"""


NOTEBOOK = """apiVersion: platformctl.dev/v1alpha1
kind: Notebook
metadata: {name: lab}
spec: {image: "registry.example/jupyter:1", version: "1"}
"""


def environment(name: str, namespace: str, clusters: str) -> str:
    """An environment file; ``clusters`` is the YAML flow list of its clusters."""
    return (f"apiVersion: platformctl.dev/v1alpha1\nkind: Environment\nmetadata:\n  name: {name}\n"
            f"spec:\n  clusters: {clusters}\n  namespace: {namespace}\n")


def write_platform(root: Path, environments: dict[str, str]) -> Path:
    """A platform repository at ``root`` with one file per environment (name -> file text)."""
    (root / "environments").mkdir(parents=True, exist_ok=True)
    (root / "components" / "notebooks").mkdir(parents=True, exist_ok=True)
    (root / "components" / "notebooks" / "lab.yaml").write_text(NOTEBOOK)
    (root / "platform.yaml").write_text(PLATFORM % ", ".join(environments))
    for name, text in environments.items():
        (root / "environments" / f"{name}.yaml").write_text(text)
    return root


def load_platform(root: Path, environments: dict[str, str]) -> Spec:
    """Write and load a tiny platform."""
    return load(DirectorySource(write_platform(root, environments)))
