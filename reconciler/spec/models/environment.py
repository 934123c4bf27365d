"""Environment: where components run (clusters, namespace), with overrides, pins and policy."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, PlainValidator, StringConstraints, WithJsonSchema, model_validator

from reconciler.spec.models.base import API_VERSION, ApiVersion, DnsLabel, Metadata, NamespaceName, SpecModel

ComponentRef = Annotated[
    str,
    StringConstraints(pattern=r"^(notebooks|pipelines|schedules|tuning|serving|training|teams)/[a-z]([-a-z0-9]*[a-z0-9])?$"),
    Field(description="<kind directory>/<component name>, e.g. serving/fraud"),
]
ComponentPattern = Annotated[
    str,
    StringConstraints(pattern=r"^(\*|notebooks|pipelines|schedules|tuning|serving|training|teams)/[-a-z0-9*]+$"),
    Field(description="a pattern over <kind>/<name> with '*' (serving/*, */fraud, */*); "
                      "kinds: notebooks, pipelines, schedules, tuning, serving, training, teams"),
]


class Kubeconfig(SpecModel):
    """A kubeconfig context (file from $KUBECONFIG or ``path``)."""

    context: str = Field(min_length=1)
    path: str | None = None


AUTO_QPS = 200.0
"""The limit ``qps: auto`` holds to until the server shows it runs API Priority and Fairness."""


def _qps(value: object) -> float | Literal["auto"]:
    """'auto' or a non-negative number (one clear message instead of one per union member)."""
    if value == "auto":
        return "auto"
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return float(value)
    raise ValueError("must be 'auto' or a number of requests per second (0 or more)")


Qps = Annotated[
    float | Literal["auto"],
    PlainValidator(_qps),
    WithJsonSchema({"anyOf": [{"const": "auto"}, {"type": "number", "minimum": 0}]}),
]


class RateLimit(SpecModel):
    """Client-side request budget for one cluster (a token bucket) and writes in flight."""

    qps: Qps = Field(
        default="auto",
        description="requests per second: 'auto' (200, lifted while the API server runs API Priority and "
                    "Fairness, which then sheds load itself with 429 + Retry-After), a number, or 0 for no limit")
    burst: int = Field(default=400, ge=0, description="requests allowed at once before qps applies")
    max_in_flight: int = Field(default=32, ge=1, le=256,
                               description="writes (and dry-runs) sent to the cluster at once")

    @property
    def client_qps(self) -> float:
        """The token-bucket rate to start with (``auto`` starts at ``AUTO_QPS``)."""
        return AUTO_QPS if self.qps == "auto" else float(self.qps)


class Cluster(SpecModel):
    """One cluster of an environment: exactly one of kubeconfig, inCluster or directory."""

    name: DnsLabel
    kubeconfig: Kubeconfig | None = None
    in_cluster: bool = False
    directory: str | None = Field(
        default=None, description="a local directory acting as a cluster (the embedded default)"
    )
    namespace: NamespaceName | None = Field(default=None, description="overrides the environment's namespace")
    components: tuple[ComponentPattern, ...] = ("*/*",)
    rate_limit: RateLimit = Field(default_factory=RateLimit)

    @model_validator(mode="after")
    def _one_connection(self) -> Cluster:
        chosen = [self.kubeconfig is not None, self.in_cluster, self.directory is not None]
        if sum(chosen) != 1:
            raise ValueError("set exactly one of 'kubeconfig', 'inCluster: true' or 'directory'")
        return self

    @property
    def connection(self) -> str:
        """How the cluster is reached, in words."""
        if self.kubeconfig is not None:
            return f"context {self.kubeconfig.context}"
        return "in-cluster" if self.in_cluster else f"directory {self.directory}"


class Policy(SpecModel):
    """Guard rails checked before anything reaches a cluster."""

    gpu_quota: int | None = Field(default=None, ge=0, description="GPUs all components may request together")
    allowed_registries: tuple[str, ...] = Field(
        default=(), description="image prefixes allowed, e.g. registry.acme.io/ ; empty allows any"
    )
    max_prune_fraction: float = Field(
        default=0.3, ge=0, le=1, description="refuse plans that delete more than this share of what we own"
    )
    protect: tuple[ComponentPattern, ...] = Field(default=(), description="components never pruned")


class KfpSettings(SpecModel):
    """How the environment's Kubeflow Pipelines installation is set up."""

    schedule_time_zone: str = Field(default="UTC", description="the KFP controller's CRON_SCHEDULE_TIMEZONE")
    experiment: str | None = None
    service_account: str = "pipeline-runner"


class EnvironmentSpec(SpecModel):
    """Clusters, namespace, component selection, pins, overrides and policy of one environment."""

    stage: str | None = None
    clusters: tuple[Cluster, ...] = Field(min_length=1)
    namespace: NamespaceName
    components: tuple[ComponentPattern, ...] = Field(default=("*/*",))
    versions: dict[ComponentRef, Annotated[str, StringConstraints(min_length=1)]] = Field(
        default_factory=dict, description="pinned version per component (what promotion edits)"
    )
    overrides: dict[ComponentRef, dict[str, Any]] = Field(
        default_factory=dict, description="deep-merged into the component's spec"
    )
    policy: Policy = Field(default_factory=Policy)
    kfp: KfpSettings = Field(default_factory=KfpSettings)
    labels: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _coerce_versions(cls, value: Any) -> Any:
        if isinstance(value, dict) and isinstance(value.get("versions"), dict):
            value = dict(value)
            value["versions"] = {
                k: str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v
                for k, v in value["versions"].items()
            }
        return value


class Environment(SpecModel):
    """A ``kind: Environment`` file."""

    api_version: ApiVersion = API_VERSION
    kind: Literal["Environment"]
    metadata: Metadata
    spec: EnvironmentSpec
