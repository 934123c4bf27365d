"""Training components beyond the upstream examples: initializers, resources as written, declared runtimes
(namespaced, and cluster-scoped only where the operator policy allows it), each conforming to its CRD."""

from __future__ import annotations

from typing import Any

import yaml

from reconciler.conformance import validate_object
from reconciler.objects import Manifest
from reconciler.render import render_cluster
from reconciler.spec.load import load
from reconciler.tenancy import Scope, tenancy_violations
from tests.render.test_training import platform_with

LLM = b"""\
apiVersion: platformctl.dev/v1alpha1
kind: Training
metadata: {name: llm}
spec:
  version: "3"
  trainJob:
    runtimeRef: {name: torchtune-llama3.2-1b}
    initializer:
      dataset: {storageUri: "hf://tatsu-lab/alpaca/data"}
      model:
        storageUri: hf://meta-llama/Llama-3.2-1B-Instruct
        env: {ACCESS_TOKEN: {secret: hf-token, key: token}}
    trainer:
      numNodes: 2
      resourcesPerNode:
        requests: {nvidia.com/gpu: 1}
    activeDeadlineSeconds: 86400
"""

RUNTIME = b"""\
apiVersion: platformctl.dev/v1alpha1
kind: Training
metadata: {name: shared-torch}
spec:
  runtime:
    kind: ClusterTrainingRuntime
    spec:
      mlPolicy: {numNodes: 1, torch: {}}
      template:
        spec:
          replicatedJobs:
            - name: node
              template:
                spec:
                  template:
                    spec:
                      containers: [{name: node, image: "pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime"}]
"""


def rendered(component: bytes) -> list[Manifest]:
    spec = load(platform_with(component, "ml-team"))
    return [r.manifest for r in render_cluster(spec, "rt", "local", "r1") if r.manifest["kind"] != "Namespace"]


def test_initializers_and_resources_are_rendered_as_written() -> None:
    [job] = rendered(LLM)
    assert (job["kind"], job["metadata"]["name"]) == ("TrainJob", "llm-3")
    spec: dict[str, Any] = job["spec"]
    assert spec == {
        "runtimeRef": {"name": "torchtune-llama3.2-1b"},
        "trainer": {"numNodes": 2, "resourcesPerNode": {"requests": {"nvidia.com/gpu": 1}}},
        "initializer": {
            "dataset": {"storageUri": "hf://tatsu-lab/alpaca/data"},
            "model": {"storageUri": "hf://meta-llama/Llama-3.2-1B-Instruct",
                      "env": [{"name": "ACCESS_TOKEN", "valueFrom": {"secretKeyRef": {"name": "hf-token",
                                                                                       "key": "token"}}}]},
        },
        "activeDeadlineSeconds": 86400,
    }
    assert validate_object(job) == []


def test_a_cluster_training_runtime_is_cluster_scoped_and_needs_the_policy() -> None:
    [runtime] = rendered(RUNTIME)
    assert runtime["kind"] == "ClusterTrainingRuntime" and "namespace" not in runtime["metadata"]
    assert runtime["metadata"]["name"] == "shared-torch"
    assert validate_object(runtime) == []
    [refused] = tenancy_violations([runtime], Scope("ml-team"))
    assert "cluster-scoped ClusterTrainingRuntime objects are outside this environment's policy" in refused
    assert tenancy_violations([runtime], Scope("ml-team", frozenset({"ClusterTrainingRuntime"}))) == []


def test_a_namespaced_runtime_lives_in_the_environment_namespace() -> None:
    text = RUNTIME.replace(b"kind: ClusterTrainingRuntime", b"kind: TrainingRuntime")
    [runtime] = rendered(text)
    assert runtime["metadata"]["namespace"] == "ml-team"
    assert tenancy_violations([runtime], Scope("ml-team")) == []
    assert validate_object(runtime) == []


def test_a_runtime_the_crd_refuses_is_caught_offline() -> None:
    doc = yaml.safe_load(RUNTIME)
    doc["spec"]["runtime"]["spec"]["mlPolicy"]["torch"] = {"numProcPerNode": "auto"}
    [runtime] = rendered(yaml.safe_dump(doc).encode())
    assert [v.field for v in validate_object(runtime)] == ["spec.mlPolicy.torch.numProcPerNode"]
