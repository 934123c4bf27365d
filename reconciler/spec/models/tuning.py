"""Tuning component: a Katib hyperparameter search (Experiment)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from reconciler.spec.models.base import API_VERSION, ApiVersion, ComponentMetadata, EnvVars, Placement, Resources, SecretRef, SpecModel, container_resources

KATIB_ALGORITHMS = (
    "random", "tpe", "grid", "hyperband", "bayesianoptimization", "cmaes", "sobol", "multivariate-tpe", "pbt",
    "enas", "darts",
)

# What Katib's NAS suggestions hand each trial, by algorithm: the trialParameters references.
NAS_REFERENCES = {"enas": ("architecture", "nn_config"), "darts": ("algorithm-settings", "search-space", "num-layers")}


class Objective(SpecModel):
    """What the search optimises."""

    type: Literal["minimize", "maximize"]
    metric: str = Field(min_length=1, description="objective metric name printed by the trial")
    goal: float | None = None
    additional_metrics: tuple[str, ...] = ()
    strategies: dict[str, Literal["min", "max", "latest"]] | None = Field(
        default=None, description="metricStrategies: which value of each metric a trial reports (min, max or "
                                  "latest), in this order; Katib defaults the objective metric to min/max by type")

    @model_validator(mode="after")
    def _strategies_name_metrics(self) -> Objective:
        known = (self.metric, *self.additional_metrics)
        unknown = [name for name in self.strategies or {} if name not in known]
        if unknown:
            raise ValueError(f"strategies name {', '.join(unknown)}, which is neither the objective metric nor an "
                             f"additional metric ({', '.join(known)})")
        return self


class Algorithm(SpecModel):
    """A Katib suggestion algorithm and its settings (values are passed as strings)."""

    name: Literal[
        "random", "tpe", "grid", "hyperband", "bayesianoptimization", "cmaes", "sobol", "multivariate-tpe", "pbt",
        "enas", "darts",
    ]
    settings: dict[str, str | int | float | bool] = Field(default_factory=dict)


class EarlyStopping(SpecModel):
    """Median stopping of trials that fall behind."""

    name: Literal["medianstop"] = "medianstop"
    settings: dict[str, str | int | float] = Field(default_factory=dict)


class Parameter(SpecModel):
    """A searched hyperparameter with its feasible space."""

    name: str = Field(pattern=r"^[a-zA-Z_][a-zA-Z0-9_-]*$")
    type: Literal["int", "double", "categorical", "discrete"]
    min: int | float | None = None
    max: int | float | None = None
    step: int | float | None = None
    values: tuple[str | int | float, ...] = Field(default=(), description="for categorical and discrete parameters")
    distribution: Literal["uniform", "logUniform", "normal", "logNormal"] | None = None


class TrialCounts(SpecModel):
    """How many trials run at once, in all, and may fail."""

    parallel: int = Field(default=3, ge=1)
    max: int | None = Field(default=None, ge=1)
    max_failed: int | None = Field(default=None, ge=0)


class TrialTemplate(SpecModel):
    """How one trial runs: a batch Job, a PyTorchJob, a TFJob or a Trainer v2 TrainJob."""

    kind: Literal["Job", "PyTorchJob", "TFJob", "TrainJob"] = "Job"
    image: str = Field(min_length=1, description="'{version}' is replaced by the pinned version")
    command: tuple[str, ...] = Field(
        min_length=1, description="use ${trialParameters.<name>} where a parameter's value goes"
    )
    env: EnvVars = Field(default_factory=dict)
    resources: Resources = container_resources()
    pod_annotations: dict[str, str] = Field(
        default_factory=dict, description="annotations of each trial pod, e.g. sidecar.istio.io/inject: \"false\" "
                                "(Katib's advice for trials in an Istio mesh); none by default")
    workers: int = Field(default=1, ge=1, le=64, description="PyTorchJob workers (with the master) / TFJob "
                                                                "workers / TrainJob nodes")
    primary_pod_labels: dict[str, str] = Field(
        default_factory=dict, description="labels of the pods whose metrics count (Katib's primaryPodLabels), e.g. "
                                "training.kubeflow.org/replica-type: worker; Katib's default when unset")
    runtime: str | None = Field(default=None, description="TrainJob: name of a ClusterTrainingRuntime")
    placement: Placement = Field(default_factory=Placement)
    retain: bool = False


class FieldRef(SpecModel):
    """An environment value read from the pod's own fields: ``{fieldPath: metadata.name}``."""

    field_path: str = Field(min_length=1)


class CustomCollector(SpecModel):
    """The container of a Custom metrics collector (Katib's collector.customCollector)."""

    name: str = Field(pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", max_length=63)
    image: str = Field(min_length=1)
    image_pull_policy: Literal["Always", "IfNotPresent", "Never"] | None = None
    command: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    env: dict[str, str | SecretRef | FieldRef] = Field(default_factory=dict)


class HttpGet(SpecModel):
    """Where a PrometheusMetric collector scrapes (Katib's default: port 8080, path /metrics)."""

    port: int | None = Field(default=None, ge=1, le=65535)
    path: str | None = Field(default=None, pattern=r"^/")


class MetricsCollector(SpecModel):
    """How Katib reads the trial's metrics; only the fields set are rendered (Katib defaults the rest)."""

    kind: Literal["StdOut", "File", "TensorFlowEvent", "PrometheusMetric", "Custom", "None", "Push"] = "StdOut"
    path: str | None = Field(default=None, pattern=r"^/")
    path_kind: Literal["File", "Directory"] | None = Field(
        default=None, description="fileSystemPath.kind; by default Directory for TensorFlowEvent, File otherwise")
    format: Literal["TEXT", "JSON"] | None = None
    metrics_format: tuple[str, ...] = ()
    http_get: HttpGet | None = Field(default=None, description="PrometheusMetric: the endpoint scraped")
    custom: CustomCollector | None = Field(default=None, description="Custom: the collector container")


class GraphConfig(SpecModel):
    """The network searched: how many layers and the input and output sizes."""

    num_layers: int = Field(ge=1)
    input_sizes: tuple[int, ...] = ()
    output_sizes: tuple[int, ...] = ()


class Operation(SpecModel):
    """One candidate operation of a layer (e.g. convolution) and its parameters."""

    type: str = Field(min_length=1, description="operationType, e.g. convolution, separable_convolution")
    parameters: tuple[Parameter, ...] = ()


class NasConfig(SpecModel):
    """Neural architecture search (algorithms enas and darts): the graph and the candidate operations."""

    graph: GraphConfig
    operations: tuple[Operation, ...] = Field(min_length=1)


class TuningSpec(SpecModel):
    """A hyperparameter search: objective, algorithm, search space, trial template and budget."""

    version: str | None = None
    objective: Objective
    algorithm: Algorithm
    early_stopping: EarlyStopping | None = None
    parameters: tuple[Parameter, ...] = Field(default=(), description="the search space; or nas for enas/darts")
    nas: NasConfig | None = Field(default=None, description="neural architecture search (enas, darts) instead "
                                                            "of parameters")
    trials: TrialCounts = Field(default_factory=TrialCounts)
    trial_template: TrialTemplate
    metrics_collector: MetricsCollector = Field(default_factory=MetricsCollector)
    resume_policy: Literal["Never", "LongRunning", "FromVolume"] = "Never"


class TuningComponent(SpecModel):
    """A ``kind: Tuning`` component file."""

    api_version: ApiVersion = API_VERSION
    kind: Literal["Tuning"]
    metadata: ComponentMetadata
    spec: TuningSpec

