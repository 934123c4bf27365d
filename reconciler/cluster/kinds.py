"""Kinds platformctl renders or stores, with their REST names (so no discovery round trips are needed)."""

from __future__ import annotations

from reconciler.cluster.base import KindRef

KNOWN_KINDS: tuple[KindRef, ...] = (
    KindRef("v1", "Namespace", "namespaces", False),
    KindRef("v1", "ConfigMap", "configmaps", True),
    KindRef("v1", "Secret", "secrets", True),
    KindRef("v1", "ServiceAccount", "serviceaccounts", True),
    KindRef("v1", "PersistentVolumeClaim", "persistentvolumeclaims", True),
    KindRef("v1", "Event", "events", True),
    KindRef("coordination.k8s.io/v1", "Lease", "leases", True),
    KindRef("apiextensions.k8s.io/v1", "CustomResourceDefinition", "customresourcedefinitions", False),
    KindRef("kubeflow.org/v1", "Notebook", "notebooks", True),
    KindRef("kubeflow.org/v1", "Profile", "profiles", False),
    KindRef("kubeflow.org/v1", "PyTorchJob", "pytorchjobs", True),
    KindRef("kubeflow.org/v1", "TFJob", "tfjobs", True),
    KindRef("kubeflow.org/v1beta1", "Experiment", "experiments", True),
    KindRef("kubeflow.org/v1beta1", "ScheduledWorkflow", "scheduledworkflows", True),
    KindRef("pipelines.kubeflow.org/v2beta1", "Pipeline", "pipelines", True),
    KindRef("pipelines.kubeflow.org/v2beta1", "PipelineVersion", "pipelineversions", True),
    KindRef("serving.kserve.io/v1beta1", "InferenceService", "inferenceservices", True),
    KindRef("trainer.kubeflow.org/v1alpha1", "TrainJob", "trainjobs", True),
    KindRef("trainer.kubeflow.org/v1alpha1", "TrainingRuntime", "trainingruntimes", True),
    KindRef("serving.kserve.io/v1alpha1", "ServingRuntime", "servingruntimes", True),
    KindRef("serving.kserve.io/v1alpha1", "ClusterServingRuntime", "clusterservingruntimes", False),
    KindRef("trainer.kubeflow.org/v1alpha1", "ClusterTrainingRuntime", "clustertrainingruntimes", False),
)

_BY_NAME = {(k.api_version, k.kind): k for k in KNOWN_KINDS}


def known_kind(api_version: str, kind: str) -> KindRef | None:
    """The KindRef of a kind platformctl knows, or None."""
    return _BY_NAME.get((api_version, kind))


def resource_path(kind: KindRef, namespace: str | None, name: str | None = None) -> str:
    """The REST path of a collection or object: ``/apis/g/v/namespaces/ns/plural/name``."""
    base = f"/api/{kind.api_version}" if "/" not in kind.api_version else f"/apis/{kind.api_version}"
    if kind.namespaced and namespace:
        base += f"/namespaces/{namespace}"
    base += f"/{kind.plural}"
    return f"{base}/{name}" if name else base
