"""Training component -> one run per version (TrainJob, PyTorchJob or TFJob) and its declared runtime.

A run is one-shot: each version is its own object, named ``<component>-<version>`` (as a
PipelineVersion is), so pinning a new version starts a new run and never edits a finished one.
Only what the spec sets is rendered: upstream's examples come out field for field.
"""

from __future__ import annotations

import copy
from typing import Any

from reconciler.objects import Manifest
from reconciler.render.context import RenderContext
from reconciler.render.ownership import finish, ownership_labels
from reconciler.render.pipeline import version_object_name
from reconciler.render.pods import env_list
from reconciler.spec.document import Resolved
from reconciler.spec.models import TrainingSpec
from reconciler.spec.models.training import (
    ContainerResources,
    Initializer,
    PyTorchJobSpec,
    Replica,
    RunPolicy,
    RuntimeDeclaration,
    TFJobSpec,
    TrainJobSpec,
)

TRAINER = "trainer.kubeflow.org/v1alpha1"
TRAINING_V1 = "kubeflow.org/v1"
KIND_DIR = "training"


def run_name(component: str, version: str) -> str:
    """The run's object name for a version: ``mnist`` + ``1.2`` -> ``mnist-1-2``."""
    return version_object_name(component, version)


def render_training(item: Resolved, ctx: RenderContext) -> list[Manifest]:
    """The declared runtime (if any) and the run of the pinned version (if the component has a job)."""
    spec = item.spec
    assert isinstance(spec, TrainingSpec)
    objects: list[Manifest] = []
    if spec.runtime is not None:
        objects.append(_runtime(item, spec.runtime, ctx))
    job = _job(spec)
    if job is not None and spec.version:
        api_version, kind, body = job
        labels = ownership_labels(ctx, KIND_DIR, item.name, spec.version, item.metadata.labels)
        objects.append({"apiVersion": api_version, "kind": kind,
                        "metadata": {"name": run_name(item.name, spec.version), "namespace": ctx.namespace,
                                     "labels": labels},
                        "spec": body})
    return [finish(o, ctx, item.source.path) for o in objects]


def _job(spec: TrainingSpec) -> tuple[str, str, dict[str, Any]] | None:
    version = spec.version or ""
    if spec.train_job is not None:
        return TRAINER, "TrainJob", train_job(spec.train_job, version)
    if spec.pytorch_job is not None:
        return TRAINING_V1, "PyTorchJob", pytorch_job(spec.pytorch_job, version)
    if spec.tf_job is not None:
        return TRAINING_V1, "TFJob", tf_job(spec.tf_job, version)
    return None


def _set(out: dict[str, Any], key: str, value: Any) -> None:
    """``out[key] = value`` unless the spec left it out."""
    if value is not None:
        out[key] = value


def _resources(res: ContainerResources | None) -> dict[str, Any] | None:
    if res is None:
        return None
    out: dict[str, Any] = {}
    _set(out, "requests", dict(res.requests) if res.requests is not None else None)
    _set(out, "limits", dict(res.limits) if res.limits is not None else None)
    return out


def _list(values: tuple[str, ...] | None) -> list[str] | None:
    return list(values) if values is not None else None


def _image(image: str | None, version: str) -> str | None:
    return image.replace("{version}", version) if image is not None else None


def train_job(spec: TrainJobSpec, version: str) -> dict[str, Any]:
    """``TrainJob.spec``."""
    body: dict[str, Any] = {"runtimeRef": spec.runtime_ref.model_dump(by_alias=True, exclude_none=True)}
    if spec.trainer is not None:
        t = spec.trainer
        trainer: dict[str, Any] = {}
        _set(trainer, "image", _image(t.image, version))
        _set(trainer, "command", _list(t.command))
        _set(trainer, "args", _list(t.args))
        _set(trainer, "env", env_list(t.env) if t.env is not None else None)
        _set(trainer, "numNodes", t.num_nodes)
        _set(trainer, "numProcPerNode", t.num_proc_per_node)
        _set(trainer, "resourcesPerNode", _resources(t.resources_per_node))
        body["trainer"] = trainer
    if spec.initializer is not None:
        init: dict[str, Any] = {}
        _set(init, "dataset", _initializer(spec.initializer.dataset))
        _set(init, "model", _initializer(spec.initializer.model))
        body["initializer"] = init
    _set(body, "labels", spec.labels)
    _set(body, "annotations", spec.annotations)
    _set(body, "suspend", spec.suspend)
    _set(body, "activeDeadlineSeconds", spec.active_deadline_seconds)
    _set(body, "managedBy", spec.managed_by)
    return body


def _initializer(spec: Initializer | None) -> dict[str, Any] | None:
    if spec is None:
        return None
    out: dict[str, Any] = {}
    _set(out, "storageUri", spec.storage_uri)
    _set(out, "env", env_list(spec.env) if spec.env is not None else None)
    _set(out, "secretRef", {"name": spec.secret_ref} if spec.secret_ref is not None else None)
    return out


def _replica(replica: Replica, default_container: str, version: str) -> dict[str, Any]:
    container: dict[str, Any] = {"name": replica.container or default_container,
                                 "image": _image(replica.image, version)}
    _set(container, "imagePullPolicy", replica.image_pull_policy)
    _set(container, "command", _list(replica.command))
    _set(container, "args", _list(replica.args))
    _set(container, "env", env_list(replica.env) if replica.env is not None else None)
    _set(container, "resources", _resources(replica.resources))
    out: dict[str, Any] = {}
    _set(out, "replicas", replica.replicas)
    _set(out, "restartPolicy", replica.restart_policy)
    out["template"] = {"spec": {"containers": [container]}}
    return out


def _run_policy(policy: RunPolicy | None) -> dict[str, Any] | None:
    return policy.model_dump(by_alias=True, exclude_none=True) if policy is not None else None


def pytorch_job(spec: PyTorchJobSpec, version: str) -> dict[str, Any]:
    """``PyTorchJob.spec``: replica specs in the order written, container ``pytorch`` unless named."""
    body: dict[str, Any] = {}
    _set(body, "runPolicy", _run_policy(spec.run_policy))
    _set(body, "elasticPolicy", spec.elastic_policy.model_dump(by_alias=True, exclude_none=True, mode="json")
         if spec.elastic_policy is not None else None)
    _set(body, "nprocPerNode", spec.nproc_per_node)
    body["pytorchReplicaSpecs"] = {name: _replica(r, "pytorch", version) for name, r in spec.replicas.items()}
    return body


def tf_job(spec: TFJobSpec, version: str) -> dict[str, Any]:
    """``TFJob.spec``: replica specs in the order written, container ``tensorflow`` unless named."""
    body: dict[str, Any] = {}
    _set(body, "runPolicy", _run_policy(spec.run_policy))
    _set(body, "successPolicy", spec.success_policy)
    _set(body, "enableDynamicWorker", spec.enable_dynamic_worker)
    body["tfReplicaSpecs"] = {name: _replica(r, "tensorflow", version) for name, r in spec.replicas.items()}
    return body


def _runtime(item: Resolved, runtime: RuntimeDeclaration, ctx: RenderContext) -> Manifest:
    labels = ownership_labels(ctx, KIND_DIR, item.name, None, {**item.metadata.labels, **runtime.labels})
    metadata: dict[str, Any] = {"name": runtime.name or item.name}
    if runtime.kind == "TrainingRuntime":
        metadata["namespace"] = ctx.namespace
    metadata["labels"] = labels
    return {"apiVersion": TRAINER, "kind": runtime.kind, "metadata": metadata, "spec": copy.deepcopy(runtime.spec)}
