"""Environment: where components run (clusters, namespace), with overrides, pins and policy."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator

from reconciler.spec.models.base import API_VERSION, ApiVersion, DnsLabel, Metadata, NamespaceName, SpecModel

ComponentRef = Annotated[
    str,
    StringConstraints(pattern=r"^(notebooks|pipelines|schedules|tuning|serving)/[a-z]([-a-z0-9]*[a-z0-9])?$"),
    Field(description="<kind directory>/<component name>, e.g. serving/fraud"),
]
ComponentPattern = Annotated[
    str,
    StringConstraints(pattern=r"^(\*|notebooks|pipelines|schedules|tuning|serving)/[-a-z0-9*]+$"),
    Field(description="a pattern over <kind>/<name> with '*' (serving/*, */fraud, */*); "
                      "kinds: notebooks, pipelines, schedules, tuning, serving"),
]


class Kubeconfig(SpecModel):
    """A kubeconfig context (file from $KUBECONFIG or ``path``)."""

    context: str = Field(min_length=1)
    path: str | None = None


class RateLimit(SpecModel):
    """Client-side request budget for one cluster (a token bucket)."""

    qps: float = Field(default=200.0, ge=0, description="sustained requests per second; 0 turns the limit off")
    burst: int = Field(default=400, ge=0, description="requests allowed at once before qps applies")


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
    rate_limit: RateLimit = RateLimit()

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
        default={}, description="pinned version per component (what promotion edits)"
    )
    overrides: dict[ComponentRef, dict[str, Any]] = Field(
        default={}, description="deep-merged into the component's spec"
    )
    policy: Policy = Policy()
    kfp: KfpSettings = KfpSettings()
    labels: dict[str, str] = {}

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
