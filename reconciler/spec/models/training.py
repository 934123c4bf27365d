"""Training component: one training run per version, as a Trainer v2 TrainJob or a v1 PyTorchJob/TFJob.

Field names follow upstream (``trainer.kubeflow.org/v1alpha1`` TrainJob, ``kubeflow.org/v1`` job
replica specs); a field left out is not rendered, so upstream's own examples can be written field
for field. A component may also declare the TrainingRuntime its jobs use.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from reconciler.quantity import QuantityError, parse_quantity
from reconciler.spec.models.base import API_VERSION, ApiVersion, ComponentMetadata, EnvVars, SpecModel
from reconciler.spec.models.pipeline import VersionName

ObjectName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", max_length=253)]


def _amount(value: str | int) -> str | int:
    """A non-negative Kubernetes quantity, kept as written (``1`` stays a number, ``"1"`` a string)."""
    try:
        ok = parse_quantity(str(value)).sign() >= 0
    except QuantityError:
        ok = False
    if isinstance(value, bool) or not ok:
        raise ValueError(f"{value!r} is not a Kubernetes quantity (examples: 500m, 2, 4Gi, \"1\")")
    return value


Amount = Annotated[str | int, AfterValidator(_amount)]
ResourceList = dict[Annotated[str, StringConstraints(pattern=r"^([a-z0-9.-]+/)?[a-zA-Z0-9._-]+$")], Amount]


class ContainerResources(SpecModel):
    """A core/v1 ResourceRequirements: what is set is rendered, nothing is defaulted."""

    requests: ResourceList | None = None
    limits: ResourceList | None = None


class RuntimeRef(SpecModel):
    """The (Cluster)TrainingRuntime a TrainJob runs on (upstream defaults: ClusterTrainingRuntime)."""

    name: ObjectName
    api_group: Literal["trainer.kubeflow.org"] | None = None
    kind: Literal["ClusterTrainingRuntime", "TrainingRuntime"] | None = None


class Trainer(SpecModel):
    """``spec.trainer``: what overrides the runtime's trainer node."""

    image: str | None = Field(default=None, min_length=1, description="'{version}' is replaced by the version")
    command: tuple[str, ...] | None = None
    args: tuple[str, ...] | None = None
    env: EnvVars | None = None
    num_nodes: int | None = Field(default=None, ge=1)
    num_proc_per_node: int | str | None = None
    resources_per_node: ContainerResources | None = None


class Initializer(SpecModel):
    """A dataset or model initializer: where to fetch from and its settings."""

    storage_uri: str | None = Field(default=None, min_length=1, description="e.g. hf://, s3://")
    env: EnvVars | None = None
    secret_ref: ObjectName | None = Field(default=None, description="a Secret with the credentials")


class Initializers(SpecModel):
    """``spec.initializer``: dataset and model downloads before training."""

    dataset: Initializer | None = None
    model: Initializer | None = None


class TrainJobSpec(SpecModel):
    """A Kubeflow Trainer v2 TrainJob."""

    runtime_ref: RuntimeRef
    trainer: Trainer | None = None
    initializer: Initializers | None = None
    labels: dict[str, str] | None = Field(default=None, description="spec.labels: added to the train job's pods")
    annotations: dict[str, str] | None = Field(default=None, description="spec.annotations on the pods")
    suspend: bool | None = None
    active_deadline_seconds: int | None = Field(default=None, ge=1)
    managed_by: Literal["trainer.kubeflow.org/trainjob-controller", "kueue.x-k8s.io/multikueue"] | None = None


class Replica(SpecModel):
    """One replica type of a v1 job: count, restart policy and its one container."""

    replicas: int | None = Field(default=None, ge=0)
    restart_policy: Literal["Always", "OnFailure", "Never", "ExitCode"] | None = None
    container: str | None = Field(default=None, description="container name (default: pytorch or tensorflow)")
    image: str = Field(min_length=1, description="'{version}' is replaced by the version")
    image_pull_policy: Literal["Always", "IfNotPresent", "Never"] | None = None
    command: tuple[str, ...] | None = None
    args: tuple[str, ...] | None = None
    env: EnvVars | None = None
    resources: ContainerResources | None = None


class RunPolicy(SpecModel):
    """``spec.runPolicy`` of a v1 job."""

    clean_pod_policy: Literal["None", "Running", "All"] | None = None
    ttl_seconds_after_finished: int | None = Field(default=None, ge=0)
    active_deadline_seconds: int | None = Field(default=None, ge=0)
    backoff_limit: int | None = Field(default=None, ge=0)
    suspend: bool | None = None


class RendezvousSetting(SpecModel):
    """One torchrun rendezvous setting."""

    key: str = Field(min_length=1)
    value: str


class ElasticPolicy(SpecModel):
    """``spec.elasticPolicy`` of a PyTorchJob: torchrun elastic training, Workers scaled between the bounds."""

    min_replicas: int | None = Field(default=None, ge=1)
    max_replicas: int | None = Field(default=None, ge=1)
    rdzv_backend: Literal["c10d", "etcd", "etcd-v2"] | None = None
    rdzv_port: int | None = Field(default=None, ge=1, le=65535)
    rdzv_host: str | None = None
    rdzv_id: str | None = None
    rdzv_conf: tuple[RendezvousSetting, ...] | None = None
    standalone: bool | None = None
    n_proc_per_node: int | None = Field(default=None, ge=1)
    max_restarts: int | None = Field(default=None, ge=0)
    metrics: tuple[dict[str, Any], ...] | None = Field(
        default=None, description="autoscaling/v2 MetricSpecs for the Workers' HPA, as written (checked against "
                                  "the CRD)")

    @model_validator(mode="after")
    def _bounds(self) -> ElasticPolicy:
        if self.min_replicas is not None and self.max_replicas is not None and self.min_replicas > self.max_replicas:
            raise ValueError("minReplicas must not exceed maxReplicas")
        return self


class PyTorchJobSpec(SpecModel):
    """A training operator v1 PyTorchJob: ``Master`` and ``Worker`` replicas."""

    replicas: dict[Literal["Master", "Worker"], Replica] = Field(min_length=1,
                                                                 description="pytorchReplicaSpecs, in this order")
    run_policy: RunPolicy | None = None
    elastic_policy: ElasticPolicy | None = None
    nproc_per_node: str | None = None


class TFJobSpec(SpecModel):
    """A training operator v1 TFJob: ``Chief``, ``PS``, ``Worker``, ``Evaluator`` or ``Master`` replicas."""

    replicas: dict[Literal["Chief", "PS", "Worker", "Evaluator", "Master"], Replica] = Field(
        min_length=1, description="tfReplicaSpecs, in this order")
    run_policy: RunPolicy | None = None
    success_policy: Literal["", "AllWorkers"] | None = None
    enable_dynamic_worker: bool | None = None


class RuntimeDeclaration(SpecModel):
    """A TrainingRuntime the platform relies on; ``spec`` is upstream's TrainingRuntime spec as is.

    A ClusterTrainingRuntime is cluster-scoped: applied only where the operator policy's
    ``clusterScopedKinds`` lets the environment own it.
    """

    kind: Literal["TrainingRuntime", "ClusterTrainingRuntime"] = "TrainingRuntime"
    name: ObjectName | None = Field(default=None, description="default: the component's name")
    labels: dict[str, str] = Field(default_factory=dict)
    spec: dict[str, Any] = Field(description="mlPolicy, podGroupPolicy, template (checked against the CRD)")


class TrainingSpec(SpecModel):
    """One training run per version (a TrainJob, PyTorchJob or TFJob) and, optionally, its runtime."""

    version: VersionName | None = Field(default=None, description="each version is its own run (one object)")
    train_job: TrainJobSpec | None = None
    pytorch_job: PyTorchJobSpec | None = None
    tf_job: TFJobSpec | None = None
    runtime: RuntimeDeclaration | None = None

    @model_validator(mode="after")
    def _one_job(self) -> TrainingSpec:
        jobs = [j for j in (self.train_job, self.pytorch_job, self.tf_job) if j is not None]
        if len(jobs) > 1:
            raise ValueError("set at most one of 'trainJob', 'pytorchJob' or 'tfJob'")
        if not jobs and self.runtime is None:
            raise ValueError("set one of 'trainJob', 'pytorchJob' or 'tfJob', or declare a 'runtime'")
        if jobs and self.version is None:
            raise ValueError("a training run needs a 'version': each version is its own run")
        return self


class TrainingComponent(SpecModel):
    """A ``kind: Training`` component file."""

    api_version: ApiVersion = API_VERSION
    kind: Literal["Training"]
    metadata: ComponentMetadata
    spec: TrainingSpec
