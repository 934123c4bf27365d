"""Serving component: a KServe InferenceService."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from reconciler.spec.models.base import API_VERSION, ApiVersion, ComponentMetadata, EnvVars, Placement, Resources, SpecModel, container_resources
from reconciler.spec.models.schedule import Duration

STORAGE_SCHEMES = (
    "gs://", "s3://", "pvc://", "file://", "https://", "http://", "hdfs://", "webhdfs://",
    "oci://", "oci+native://", "oci+fetch://", "hf://",
)


class Model(SpecModel):
    """The model artifact and the runtime that serves it."""

    format: str = Field(min_length=1, description="sklearn, xgboost, tensorflow, pytorch, onnx, huggingface, ...")
    format_version: str | None = None
    storage_uri: str = Field(min_length=1, description="'{version}' is replaced by the pinned version")
    runtime: str | None = Field(default=None, description="a ServingRuntime/ClusterServingRuntime name")
    protocol: Literal["v1", "v2", "grpc-v1", "grpc-v2"] | None = None
    args: tuple[str, ...] = ()
    env: EnvVars = Field(default_factory=dict)


class Replicas(SpecModel):
    """Replica bounds; min 0 scales to zero, no max (or max 0) sets no upper bound."""

    min: int = Field(default=1, ge=0)
    max: int | None = Field(default=None, ge=0, description="upper bound; unset or 0: none (KServe's maxReplicas "
                                                            "left out)")

    @property
    def cap(self) -> int | None:
        """The upper bound, or None when there is none (``max`` unset or 0)."""
        return self.max or None


class Autoscaling(SpecModel):
    """What drives scaling and its target; each field rendered only when set (KServe's defaults otherwise)."""

    metric: Literal["cpu", "memory", "concurrency", "rps"] | None = Field(default=None, description="scaleMetric")
    target: int | None = Field(default=None, ge=1, description="scaleTarget")
    metric_type: Literal["Utilization", "AverageValue", "Value"] | None = Field(
        default=None, description="scaleMetricType")
    metrics: tuple[dict[str, Any], ...] = Field(
        default=(), description="autoScaling.metrics as KServe writes them (type Resource, External with a KEDA "
                                "trigger, PodMetric); Standard deployment mode only")


class Batcher(SpecModel):
    """KServe's request batcher: requests are grouped before they reach the model."""

    max_batch_size: int | None = Field(default=None, ge=1)
    max_latency: int | None = Field(default=None, ge=1, description="milliseconds a batch may wait to fill")
    timeout: int | None = Field(default=None, ge=1, description="seconds")


class MetricCheck(SpecModel):
    """One analysis check: a Prometheus query whose value must stay within ``min``/``max``.

    The query may use ``$interval`` (the step interval, e.g. ``5m``), ``$version`` (the new
    version), ``$component`` and ``$namespace``; its first sample is compared."""

    name: str = Field(min_length=1, max_length=63, pattern=r"^[A-Za-z0-9]([-_.A-Za-z0-9]*[A-Za-z0-9])?$")
    query: str = Field(min_length=1, max_length=4096, description="PromQL; an instant query at the end of each step")
    min: float | None = Field(default=None, description="the check fails below this value")
    max: float | None = Field(default=None, description="the check fails above this value")

    @model_validator(mode="after")
    def _bounded(self) -> MetricCheck:
        if self.min is None and self.max is None:
            raise ValueError("set 'min', 'max' or both: a check without a bound judges nothing")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is above max ({self.max})")
        return self


class Analysis(SpecModel):
    """How each step is judged: metric checks (plus the InferenceService's own readiness)."""

    metrics: tuple[MetricCheck, ...] = Field(default=(), description="checked at the end of every step")
    failure_threshold: int = Field(default=1, ge=1, le=100, description="failed analyses in a row before the "
                                                                       "rollout is rolled back")


class Canary(SpecModel):
    """Either a static share for the newest revision (``trafficPercent``) or a progressive rollout
    (``steps``, ``interval``, ``analysis``) that the daemon drives when the version changes (Knative mode)."""

    traffic_percent: int | None = Field(default=None, ge=0, le=100, description="a static canary share")
    steps: tuple[int, ...] = Field(default=(), description="canary shares in percent, rising, ending at 100")
    interval: Duration | None = Field(default=None, description="time at each step before it is analysed "
                                                                "(default 5m)")
    analysis: Analysis = Field(default_factory=Analysis)

    @model_validator(mode="after")
    def _one_form(self) -> Canary:
        if (self.traffic_percent is None) == (not self.steps):
            raise ValueError("set exactly one of 'trafficPercent' (a static canary) or 'steps' (a progressive "
                             "rollout)")
        if self.steps:
            if any(not 1 <= s <= 100 for s in self.steps):
                raise ValueError("every step is a share between 1 and 100")
            if any(b <= a for a, b in zip(self.steps, self.steps[1:])):
                raise ValueError(f"steps must rise: {list(self.steps)}")
            if self.steps[-1] != 100:
                raise ValueError(f"the last step must be 100 (the new version alone), not {self.steps[-1]}")
            if self.interval is not None and self.interval.total_seconds() <= 0:
                raise ValueError("interval must be positive")
        elif self.interval is not None or self.analysis != Analysis():
            raise ValueError("'interval' and 'analysis' belong to a progressive rollout: add 'steps'")
        return self

    @property
    def progressive(self) -> bool:
        """Whether the daemon drives this canary step by step."""
        return bool(self.steps)

    @property
    def interval_seconds(self) -> float:
        """Seconds at each step (default five minutes)."""
        return self.interval.total_seconds() if self.interval is not None else 300.0


class Transformer(SpecModel):
    """An optional container beside the predictor: a transformer (pre/post-processing) or an explainer."""

    image: str = Field(min_length=1)
    args: tuple[str, ...] = ()
    env: EnvVars = Field(default_factory=dict)
    resources: Resources = container_resources(Resources(cpu="500m", memory="1Gi"))


class PredictorContainer(SpecModel):
    """A custom predictor: the container that serves the model itself (KServe's ``predictor.containers``)."""

    image: str = Field(min_length=1, description="'{version}' is replaced by the pinned version")
    command: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    env: EnvVars = Field(default_factory=dict)


class ServingRuntimeDeclaration(SpecModel):
    """A ServingRuntime the model relies on; ``spec`` is upstream's ServingRuntime spec as is
    (supportedModelFormats, containers, protocolVersions, ...). A ClusterServingRuntime is
    cluster-scoped: applied only where the operator policy's ``clusterScopedKinds`` lets the
    environment own it."""

    kind: Literal["ServingRuntime", "ClusterServingRuntime"] = "ServingRuntime"
    name: str | None = Field(default=None, pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", max_length=253,
                             description="default: the component's name")
    labels: dict[str, str] = Field(default_factory=dict)
    spec: dict[str, Any] = Field(description="checked against the upstream CRD")


class ServingSpec(SpecModel):
    """A served model: artifact, version, scale, resources, canary and transformer."""

    model: Model | None = Field(default=None, description="a model format served by a runtime (or 'container')")
    container: PredictorContainer | None = Field(default=None, description="a custom predictor container instead "
                                                                         "of 'model'")
    version: str | None = None
    deployment_mode: Literal["Knative", "Standard"] = "Knative"
    replicas: Replicas = Field(default_factory=Replicas)
    autoscaling: Autoscaling | None = None
    resources: Resources = container_resources()
    canary: Canary | None = None
    transformer: Transformer | None = None
    explainer: Transformer | None = Field(default=None, description="a custom explainer container")
    batcher: Batcher | None = None
    timeout_seconds: int | None = Field(default=None, ge=1)
    placement: Placement = Field(default_factory=Placement)
    service_account: str | None = None
    serving_runtime: ServingRuntimeDeclaration | None = Field(
        default=None, description="declare the runtime the model is served by (name it in model.runtime)")

    @model_validator(mode="after")
    def _one_predictor(self) -> ServingSpec:
        if (self.model is None) == (self.container is None):
            raise ValueError("set exactly one of 'model' (a model format served by a runtime) or 'container' "
                             "(a custom predictor image)")
        return self


class ServingComponent(SpecModel):
    """A ``kind: Serving`` component file."""

    api_version: ApiVersion = API_VERSION
    kind: Literal["Serving"]
    metadata: ComponentMetadata
    spec: ServingSpec
