"""Serving component: a KServe InferenceService."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from reconciler.spec.models.base import API_VERSION, ApiVersion, ComponentMetadata, EnvVars, Placement, Resources, SpecModel, container_resources

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
    env: EnvVars = {}


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


class Canary(SpecModel):
    """Send a share of traffic to the newest revision (Knative mode)."""

    traffic_percent: int = Field(ge=0, le=100)


class Transformer(SpecModel):
    """An optional container beside the predictor: a transformer (pre/post-processing) or an explainer."""

    image: str = Field(min_length=1)
    args: tuple[str, ...] = ()
    env: EnvVars = {}
    resources: Resources = container_resources(Resources(cpu="500m", memory="1Gi"))


class PredictorContainer(SpecModel):
    """A custom predictor: the container that serves the model itself (KServe's ``predictor.containers``)."""

    image: str = Field(min_length=1, description="'{version}' is replaced by the pinned version")
    command: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    env: EnvVars = {}


class ServingRuntimeDeclaration(SpecModel):
    """A ServingRuntime the model relies on; ``spec`` is upstream's ServingRuntime spec as is
    (supportedModelFormats, containers, protocolVersions, ...). A ClusterServingRuntime is
    cluster-scoped: applied only where the operator policy's ``clusterScopedKinds`` lets the
    environment own it."""

    kind: Literal["ServingRuntime", "ClusterServingRuntime"] = "ServingRuntime"
    name: str | None = Field(default=None, pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", max_length=253,
                             description="default: the component's name")
    labels: dict[str, str] = {}
    spec: dict[str, Any] = Field(description="checked against the upstream CRD")


class ServingSpec(SpecModel):
    """A served model: artifact, version, scale, resources, canary and transformer."""

    model: Model | None = Field(default=None, description="a model format served by a runtime (or 'container')")
    container: PredictorContainer | None = Field(default=None, description="a custom predictor container instead "
                                                                         "of 'model'")
    version: str | None = None
    deployment_mode: Literal["Knative", "Standard"] = "Knative"
    replicas: Replicas = Replicas()
    autoscaling: Autoscaling | None = None
    resources: Resources = container_resources()
    canary: Canary | None = None
    transformer: Transformer | None = None
    explainer: Transformer | None = Field(default=None, description="a custom explainer container")
    batcher: Batcher | None = None
    timeout_seconds: int | None = Field(default=None, ge=1)
    placement: Placement = Placement()
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
