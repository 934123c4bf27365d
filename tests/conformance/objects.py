"""Realistic valid objects of every kind the renderer emits, and a helper to break them."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

UPSTREAM = Path(__file__).resolve().parent.parent / "data" / "upstream-conformance"
class _Delete:
    """Marks a field to remove; its repr is stable so pytest ids match across xdist workers."""

    def __repr__(self) -> str:
        return "<delete>"


DELETE = _Delete()


def upstream(name: str) -> list[dict[str, Any]]:
    """All documents of an upstream example file."""
    with (UPSTREAM / name).open(encoding="utf-8") as fh:
        return [doc for doc in yaml.safe_load_all(fh) if doc]


def changed(obj: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of `obj` with `path` (`a.b[0].c`; keys with dots in [brackets]) set, appended or deleted."""
    out = copy.deepcopy(obj)
    parts: list[str | int] = [key if index is None else index for key, index in _split(path)]
    node: Any = out
    for part in parts[:-1]:
        if isinstance(part, str) and isinstance(node, dict) and part not in node:
            node[part] = {}
        node = node[part]
    last = parts[-1]
    if value is DELETE:
        del node[last]
    elif isinstance(node, list) and last == len(node):
        node.append(value)
    else:
        node[last] = value
    return out


def _split(path: str) -> list[tuple[str, int | None]]:
    out: list[tuple[str, int | None]] = []
    i = 0
    while i < len(path):
        if path[i] == ".":
            i += 1
        elif path[i] == "[":
            end = path.index("]", i)
            inner = path[i + 1 : end]
            out.append(("", int(inner)) if inner.isdigit() else (inner, None))
            i = end + 1
        else:
            end = i
            while end < len(path) and path[end] not in ".[":
                end += 1
            out.append((path[i:end], None))
            i = end
    return out


def meta(name: str, namespace: str | None = "ml-prod", **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, **extra}
    if namespace is not None:
        out["namespace"] = namespace
    return out


def notebook() -> dict[str, Any]:
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "Notebook",
        "metadata": meta("analytics", labels={"app.kubernetes.io/managed-by": "platformctl"}),
        "spec": {
            "template": {
                "spec": {
                    "serviceAccountName": "default-editor",
                    "containers": [
                        {
                            "name": "analytics",
                            "image": "kubeflownotebookswg/jupyter-scipy:v1.10.0",
                            "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"nvidia.com/gpu": 1}},
                            "volumeMounts": [{"name": "workspace", "mountPath": "/home/jovyan"}],
                        }
                    ],
                    "volumes": [{"name": "workspace", "persistentVolumeClaim": {"claimName": "analytics-workspace"}}],
                }
            }
        },
    }


def pvc() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": meta("analytics-workspace"),
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}}},
    }


def namespace() -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta("ml-prod", None)}


def profile() -> dict[str, Any]:
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "Profile",
        "metadata": meta("team-fraud", None),
        "spec": {"owner": {"kind": "User", "name": "alice@example.com"}, "resourceQuotaSpec": {"hard": {"cpu": "20"}}},
    }


def isvc() -> dict[str, Any]:
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": meta("fraud", annotations={"serving.kserve.io/deploymentMode": "Knative"}),
        "spec": {
            "predictor": {
                "minReplicas": 1,
                "maxReplicas": 4,
                "canaryTrafficPercent": 10,
                "model": {
                    "modelFormat": {"name": "sklearn"},
                    "storageUri": "s3://models/fraud/7",
                    "resources": {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"cpu": "1", "memory": "2Gi"}},
                },
            }
        },
    }


def pytorchjob() -> dict[str, Any]:
    container = {"name": "pytorch", "image": "docker.io/kubeflowkatib/pytorch-mnist-cpu:latest", "command": ["python3", "/opt/mnist.py"]}
    replica = {"replicas": 1, "restartPolicy": "OnFailure", "template": {"spec": {"containers": [container]}}}
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "PyTorchJob",
        "metadata": meta("mnist"),
        "spec": {"pytorchReplicaSpecs": {"Master": replica, "Worker": copy.deepcopy(replica)}},
    }


def trainjob() -> dict[str, Any]:
    return {
        "apiVersion": "trainer.kubeflow.org/v1alpha1",
        "kind": "TrainJob",
        "metadata": meta("mnist"),
        "spec": {"runtimeRef": {"name": "torch-distributed"}, "trainer": {"numNodes": 2, "image": "pytorch/pytorch:2.5.0"}},
    }


def pipeline() -> dict[str, Any]:
    doc = upstream("kfp_hello_world.yaml")[0]
    doc["spec"] = {"displayName": "Hello world", "description": "The KFP hello world"}
    return doc


def pipeline_version() -> dict[str, Any]:
    return upstream("kfp_hello_world.yaml")[1]


def swf() -> dict[str, Any]:
    return {
        "apiVersion": "kubeflow.org/v1beta1",
        "kind": "ScheduledWorkflow",
        "metadata": meta("fraud-nightly"),
        "spec": {
            "enabled": True,
            "maxConcurrency": 1,
            "maxHistory": 10,
            "noCatchup": True,
            "trigger": {"cronSchedule": {"cron": "0 0 2 * * *", "startTime": "2026-01-01T00:00:00Z"}},
            "workflow": {"parameters": [{"name": "epochs", "value": "10"}, {"name": "region", "value": '"eu"'}]},
            "pipelineId": "0c8a1d6e-4f16-4d7b-9d2f-6f1f3b1c2a10",
            "pipelineVersionId": "5b3e2a4d-7c1f-4e3a-8f5b-1a2b3c4d5e6f",
            "experimentId": "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b",
            "serviceAccount": "pipeline-runner",
        },
        "status": {},
    }


def experiment() -> dict[str, Any]:
    return upstream("katib_random.yaml")[0]


ALL_VALID = {
    "Notebook": notebook,
    "PersistentVolumeClaim": pvc,
    "Namespace": namespace,
    "Profile": profile,
    "InferenceService": isvc,
    "PyTorchJob": pytorchjob,
    "TrainJob": trainjob,
    "Pipeline": pipeline,
    "PipelineVersion": pipeline_version,
    "ScheduledWorkflow": swf,
    "Experiment": experiment,
}
