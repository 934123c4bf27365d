"""Tuning component: a Katib hyperparameter search (Experiment)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from reconciler.spec.models.base import API_VERSION, ApiVersion, ComponentMetadata, EnvVars, Placement, Resources, SpecModel, container_resources

KATIB_ALGORITHMS = (
    "random", "tpe", "grid", "hyperband", "bayesianoptimization", "cmaes", "sobol", "multivariate-tpe", "pbt",
)


class Objective(SpecModel):
    """What the search optimises."""

    type: Literal["minimize", "maximize"]
    metric: str = Field(min_length=1, description="objective metric name printed by the trial")
    goal: float | None = None
    additional_metrics: tuple[str, ...] = ()


class Algorithm(SpecModel):
    """A Katib suggestion algorithm and its settings (values are passed as strings)."""

    name: Literal[
        "random", "tpe", "grid", "hyperband", "bayesianoptimization", "cmaes", "sobol", "multivariate-tpe", "pbt"
    ]
    settings: dict[str, str | int | float | bool] = {}


class EarlyStopping(SpecModel):
    """Median stopping of trials that fall behind."""

    name: Literal["medianstop"] = "medianstop"
    settings: dict[str, str | int | float] = {}


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
    """How one trial runs: a batch Job, a PyTorchJob or a Trainer v2 TrainJob."""

    kind: Literal["Job", "PyTorchJob", "TrainJob"] = "Job"
    image: str = Field(min_length=1, description="'{version}' is replaced by the pinned version")
    command: tuple[str, ...] = Field(
        min_length=1, description="use ${trialParameters.<name>} where a parameter's value goes"
    )
    env: EnvVars = {}
    resources: Resources = container_resources()
    pod_annotations: dict[str, str] = Field(
        default={}, description="annotations of each trial pod, e.g. sidecar.istio.io/inject: \"false\" "
                                "(Katib's advice for trials in an Istio mesh); none by default")
    workers: int = Field(default=1, ge=1, le=64, description="PyTorchJob workers / TrainJob nodes")
    runtime: str | None = Field(default=None, description="TrainJob: name of a ClusterTrainingRuntime")
    placement: Placement = Placement()
    retain: bool = False


class MetricsCollector(SpecModel):
    """How Katib reads the trial's metrics."""

    kind: Literal["StdOut", "File", "TensorFlowEvent", "PrometheusMetric", "Push"] = "StdOut"
    path: str | None = Field(default=None, pattern=r"^/")
    format: Literal["TEXT", "JSON"] | None = None
    metrics_format: tuple[str, ...] = ()


class TuningSpec(SpecModel):
    """A hyperparameter search: objective, algorithm, search space, trial template and budget."""

    version: str | None = None
    objective: Objective
    algorithm: Algorithm
    early_stopping: EarlyStopping | None = None
    parameters: tuple[Parameter, ...] = Field(min_length=1)
    trials: TrialCounts = TrialCounts()
    trial_template: TrialTemplate
    metrics_collector: MetricsCollector = MetricsCollector()
    resume_policy: Literal["Never", "LongRunning", "FromVolume"] = "Never"


class TuningComponent(SpecModel):
    """A ``kind: Tuning`` component file."""

    api_version: ApiVersion = API_VERSION
    kind: Literal["Tuning"]
    metadata: ComponentMetadata
    spec: TuningSpec

