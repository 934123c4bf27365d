"""Render only what the user set: resources, replica bounds, trial pod annotations, container and version names."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.conformance import validate_object
from reconciler.errors import SpecErrors
from reconciler.objects import Manifest
from reconciler.render.pods import resources
from reconciler.review.cost import cpu_demand, memory_demand
from reconciler.spec.checks.policy import gpu_demand
from reconciler.spec.load import load
from reconciler.spec.models.base import Resources
from reconciler.spec.sources import MemorySource
from tests.render.test_roundtrip import PIPELINE_FILES, minimal_platform, render_component
from tests.spec.conftest import REPO


@pytest.mark.parametrize(("spec", "expected"), [
    ({}, {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"cpu": "1", "memory": "2Gi"}}),
    (None, {}),
    ({"cpu": None, "memory": None}, {}),
    ({"cpu": "500m", "memory": "1Gi", "limits": False}, {"requests": {"cpu": "500m", "memory": "1Gi"}}),
    ({"cpu": "2", "memory": None, "gpu": 1, "limits": False},
     {"requests": {"cpu": "2", "nvidia.com/gpu": 1}, "limits": {"nvidia.com/gpu": 1}}),
    ({"cpu": None, "memory": "4Gi", "gpu": 1},
     {"requests": {"memory": "4Gi", "nvidia.com/gpu": 1}, "limits": {"memory": "4Gi", "nvidia.com/gpu": 1}}),
    ({"cpu": None, "cpuLimit": "2", "memory": None}, {"limits": {"cpu": "2"}}),
])
def test_resources_render_what_is_set(spec: dict[str, Any] | None, expected: dict[str, Any]) -> None:
    assert resources(Resources.model_validate(spec)) == expected


def test_limits_false_with_a_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="limits: false"):
        Resources.model_validate({"cpu": "1", "limits": False, "cpuLimit": "2"})


def _serving(extra: str) -> bytes:
    return (b"apiVersion: platformctl.dev/v1alpha1\nkind: Serving\nmetadata: {name: iris}\nspec:\n"
            b"  model: {format: sklearn, storageUri: 'gs://models/iris'}\n" + extra.encode())


def _render(component: bytes, kind: str, name: str, **options: Any) -> Manifest:
    rendered = render_component(minimal_platform(component, "ml", **options), kind, name)
    assert validate_object(rendered) == []
    return rendered


@pytest.mark.parametrize(("replicas", "expected"), [
    ("", None),                          # no max: no upper bound (was: capped at 1)
    ("  replicas: {min: 2}\n", None),
    ("  replicas: {min: 1, max: 0}\n", None),   # 0 is KServe's "unset": left out, as upstream writes it
    ("  replicas: {min: 1, max: 4}\n", 4),
])
def test_max_replicas_only_when_a_bound_is_set(replicas: str, expected: int | None) -> None:
    predictor = _render(_serving(replicas), "Serving", "iris")["spec"]["predictor"]
    assert predictor.get("maxReplicas") == expected
    assert "minReplicas" in predictor


def test_min_above_max_is_still_refused_and_max_zero_is_not_a_bound() -> None:
    with pytest.raises(SpecErrors, match="replicas.max"):
        load(minimal_platform(_serving("  replicas: {min: 3, max: 2}\n"), "ml"))
    load(minimal_platform(_serving("  replicas: {min: 3, max: 0}\n"), "ml"))


def test_requests_only_and_no_resources_in_the_inference_service() -> None:
    spec = "  resources: {cpu: 500m, memory: 1Gi, limits: false}\n  transformer: {image: t:1, resources: null}\n"
    isvc = _render(_serving(spec), "Serving", "iris")
    assert isvc["spec"]["predictor"]["model"]["resources"] == {"requests": {"cpu": "500m", "memory": "1Gi"}}
    assert "resources" not in isvc["spec"]["transformer"]["containers"][0]


def _policy_platform(component: bytes, quota: int) -> MemorySource:
    source = minimal_platform(component, "ml")
    env = source.read("environments/rt.yaml").replace(b'"labels"', b'"policy": {"gpuQuota": %d}, "labels"' % quota)
    return MemorySource({**{p: source.read(p) for p in source.files()}, "environments/rt.yaml": env})


def test_a_component_without_resources_requests_nothing() -> None:
    spec = load(minimal_platform(_serving("  resources: null\n"), "ml"))
    [item] = spec.environments["rt"].components.values()
    assert (gpu_demand(item), cpu_demand(item), memory_demand(item)) == (0, 0.0, 0.0)


def test_gpu_quota_needs_a_bound_on_gpu_services() -> None:
    with pytest.raises(SpecErrors, match="sets no replicas.max"):
        load(_policy_platform(_serving("  resources: {gpu: 1}\n"), 8))
    spec = load(_policy_platform(_serving("  resources: {gpu: 1}\n  replicas: {min: 1, max: 4}\n"), 8))
    [item] = spec.environments["rt"].components.values()
    assert gpu_demand(item) == 4
    load(_policy_platform(_serving("  resources: null\n"), 8))  # no GPUs: no bound needed


TUNING = b"""\
apiVersion: platformctl.dev/v1alpha1
kind: Tuning
metadata: {name: search}
spec:
  objective: {type: minimize, metric: loss}
  algorithm: {name: random}
  trials: {max: 6}
  parameters: [{name: lr, type: double, min: 0.01, max: 0.1}]
  trialTemplate:
    kind: PyTorchJob
    workers: 2
    image: train:1
    command: [python, train.py, "--lr=${trialParameters.lr}"]
"""


def test_trial_pods_carry_only_the_annotations_the_spec_sets() -> None:
    bare = _render(TUNING, "Tuning", "search")["spec"]["trialTemplate"]["trialSpec"]["spec"]["pytorchReplicaSpecs"]
    assert all("metadata" not in r["template"] for r in bare.values())
    annotated = TUNING + b'    podAnnotations: {sidecar.istio.io/inject: "false", example.com/team: ml}\n'
    specs = _render(annotated, "Tuning", "search")["spec"]["trialTemplate"]["trialSpec"]["spec"]["pytorchReplicaSpecs"]
    for replica in specs.values():
        assert replica["template"]["metadata"] == {
            "annotations": {"example.com/team": "ml", "sidecar.istio.io/inject": "false"}}


def test_a_train_job_trial_cannot_take_pod_annotations() -> None:
    text = TUNING.replace(b"kind: PyTorchJob", b"kind: TrainJob\n    runtime: torch-distributed")
    with pytest.raises(SpecErrors, match="no pod template to annotate"):
        load(minimal_platform(text + b"    podAnnotations: {a: b}\n", "ml"))


def test_the_notebook_container_name_can_be_set() -> None:
    text = b"apiVersion: platformctl.dev/v1alpha1\nkind: Notebook\nmetadata: {name: lab}\nspec:\n  image: j:1\n"
    assert _render(text, "Notebook", "lab")["spec"]["template"]["spec"]["containers"][0]["name"] == "lab"
    named = _render(text + b"  containerName: notebook\n", "Notebook", "lab")
    assert named["spec"]["template"]["spec"]["containers"][0]["name"] == "notebook"


def _pipeline_versions(extra: bytes) -> list[Manifest]:
    path, package = PIPELINE_FILES
    component = (REPO / path).read_bytes().rstrip(b"\n") + b"\n" + extra
    files = {"platform.yaml": minimal_platform(b"kind: Notebook\nmetadata: {name: x}\n", "ml").read("platform.yaml"),
             "environments/rt.yaml": minimal_platform(b"kind: Notebook\nmetadata: {name: x}\n", "ml")
             .read("environments/rt.yaml"),
             path: component, package: (REPO / package).read_bytes()}
    from reconciler.render import render_cluster
    objects = [r.manifest for r in render_cluster(load(MemorySource(files)), "rt", "local", "r1")]
    versions = [o for o in objects if o["kind"] == "PipelineVersion"]
    assert versions and all(validate_object(o) == [] for o in versions)
    return versions


def test_pipeline_version_names_default_as_before_and_can_be_set() -> None:
    [default] = _pipeline_versions(b"")
    version = default["spec"]["versionName"]
    assert default["spec"]["displayName"].endswith(f" {version}")
    [named] = _pipeline_versions(b"  versionName: v{version}\n  versionDisplayName: Fraud training, release {version}\n")
    assert named["spec"]["versionName"] == f"v{version}"
    assert named["spec"]["displayName"] == f"Fraud training, release {version}"
    assert named["metadata"]["name"] == default["metadata"]["name"]


def test_a_version_name_kfp_would_refuse_is_refused() -> None:
    with pytest.raises(SpecErrors, match="versionName"):
        _pipeline_versions(b"  versionName: Release_{version}\n")
