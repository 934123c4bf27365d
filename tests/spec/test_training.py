"""Training components: the model, its located errors, pins, promotion and the policy checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import SpecErrors
from reconciler.source.directory import DirectorySource
from reconciler.spec.checks.policy import gpu_demand
from reconciler.spec.load import load
from reconciler.spec.models import TrainingSpec
from tests.spec.conftest import REPO

PRETRAIN = "components/training/fraud-pretrain.yaml"


def errors_after(platform_copy: Path, path: str, old: str, new: str) -> list[str]:
    """The errors (``path:line:col: message``) in ``path`` once ``old`` is replaced by ``new`` there
    (a broken component file also leaves an environment's pattern selecting nothing)."""
    file = platform_copy / path
    text = file.read_text()
    assert old in text
    file.write_text(text.replace(old, new))
    with pytest.raises(SpecErrors) as caught:
        load(DirectorySource(platform_copy))
    return [str(e) for e in caught.value.errors if e.path == path]


def test_the_bundled_run_is_pinned_and_overridden_per_environment() -> None:
    spec = load(DirectorySource(REPO))
    dev = spec.environments["dev"].components["training/fraud-pretrain"]
    prod = spec.environments["prod-onprem"].components["training/fraud-pretrain"]
    assert isinstance(prod.spec, TrainingSpec) and prod.pinned and prod.version == "1"
    assert spec.environments["staging"].components["training/fraud-pretrain"].version == "2"
    assert gpu_demand(prod) == 4  # 2 nodes x 2 GPUs
    assert isinstance(dev.spec, TrainingSpec) and dev.spec.train_job is not None
    assert dev.spec.train_job.trainer is not None and dev.spec.train_job.trainer.num_nodes == 1
    assert dev.spec.train_job.trainer.resources_per_node is None and gpu_demand(dev) == 0


def test_an_unknown_field_is_located(platform_copy: Path) -> None:
    found = errors_after(platform_copy, PRETRAIN, "      numNodes: 2", "      nodes: 2")
    assert len(found) == 1 and found[0].startswith(f"{PRETRAIN}:41:7: ")


def test_num_nodes_below_one_is_located(platform_copy: Path) -> None:
    found = errors_after(platform_copy, PRETRAIN, "      numNodes: 2", "      numNodes: 0")
    assert len(found) == 1 and found[0].startswith(f"{PRETRAIN}:41:7: ")


def test_a_resource_amount_must_be_a_quantity(platform_copy: Path) -> None:
    found = errors_after(platform_copy, PRETRAIN, "memory: 32Gi", "memory: lots")
    assert len(found) == 1 and found[0].startswith(f"{PRETRAIN}:43:30: ") and "not a Kubernetes quantity" in found[0]


def test_two_jobs_in_one_component_are_refused(platform_copy: Path) -> None:
    found = errors_after(platform_copy, PRETRAIN, "  trainJob:", "  tfJob: {replicas: {Worker: {image: x}}}\n  trainJob:")
    assert len(found) == 1 and found[0].startswith(f"{PRETRAIN}:9:1: ")
    assert "at most one of 'trainJob', 'pytorchJob' or 'tfJob'" in found[0]


def test_a_run_needs_a_version(platform_copy: Path) -> None:
    found = errors_after(platform_copy, PRETRAIN, '  version: "2"\n', "")
    assert len(found) == 1 and "a training run needs a 'version'" in found[0]
    assert found[0].startswith(f"{PRETRAIN}:9:1: ")


def test_an_unknown_replica_type_is_located(platform_copy: Path) -> None:
    path = platform_copy / "components" / "training" / "tf.yaml"
    path.write_text("apiVersion: platformctl.dev/v1alpha1\nkind: Training\nmetadata: {name: tf}\nspec:\n"
                    "  version: '1'\n  tfJob:\n    replicas:\n      Boss: {image: registry.acme.io/tf:1}\n")
    with pytest.raises(SpecErrors) as caught:
        load(DirectorySource(platform_copy))
    assert [(e.path, e.line, e.col) for e in caught.value.errors] == [("components/training/tf.yaml", 8, 7)]


def test_registry_policy_covers_training_images(platform_copy: Path) -> None:
    found = errors_after(platform_copy, "components/training/fraud-pretrain.yaml",
                         "image: registry.acme.io/risk/fraud-pretrain:{version}",
                         "image: quay.io/risk/fraud-pretrain:{version}")
    path = "components/training/fraud-pretrain.yaml"
    assert len(found) == 2 and all(f.startswith(f"{path}:37:7: image quay.io/risk/fraud-pretrain:") for f in found)


def test_an_environment_pin_of_a_training_run_is_a_component_ref(platform_copy: Path) -> None:
    found = errors_after(platform_copy, "environments/prod-onprem.yaml", 'training/fraud-pretrain: "1"',
                         'trainings/fraud-pretrain: "1"')
    assert found and found[0].startswith("environments/prod-onprem.yaml:")
