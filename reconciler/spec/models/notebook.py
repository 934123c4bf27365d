"""Notebook component: a Kubeflow Notebook server."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator

from reconciler.spec.models.base import API_VERSION, ApiVersion, ComponentMetadata, DnsLabel, EnvVars, Placement, Quantity, Resources, SpecModel, container_resources, refuse_reserved_keys


class Workspace(SpecModel):
    """The notebook's home volume (a PVC the platform creates)."""

    enabled: bool = Field(default=True, description="false: no workspace volume (e.g. in one environment's "
                                                    "override, where null would restore the default)")
    size: Quantity = "10Gi"
    storage_class: str | None = None
    mount_path: str = Field(default="/home/jovyan", pattern=r"^/", description="absolute path, e.g. /home/jovyan")


ObjectName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", max_length=253)]
"""A ConfigMap's or Secret's name (a DNS subdomain)."""


class EmptyDir(SpecModel):
    """A scratch volume that lives as long as the pod (``medium: Memory``: RAM, e.g. a larger /dev/shm)."""

    medium: Literal["", "Memory"] = ""
    size_limit: Quantity | None = None


class Volume(SpecModel):
    """An extra volume, exactly one source: a new PVC of ``size``, an ``existingClaim``, an ``emptyDir``,
    a ``configMap`` or a ``secret`` (the latter two by name)."""

    name: DnsLabel
    mount_path: str = Field(pattern=r"^/", description="absolute path in the container, e.g. /data")
    size: Quantity | None = None
    existing_claim: str | None = None
    empty_dir: EmptyDir | None = None
    config_map: ObjectName | None = Field(default=None, description="the name of a ConfigMap to mount")
    secret: ObjectName | None = Field(default=None, description="the name of a Secret to mount (its values "
                                                                "never pass through the spec)")
    storage_class: str | None = None
    access_mode: Literal["ReadWriteOnce", "ReadWriteMany", "ReadOnlyMany", "ReadWriteOncePod"] = "ReadWriteOnce"
    read_only: bool = False

    @property
    def sources(self) -> list[str]:
        """The volume sources set (exactly one is valid), by their spec names."""
        return [name for name, value in (("size", self.size), ("existingClaim", self.existing_claim),
                                         ("emptyDir", self.empty_dir), ("configMap", self.config_map),
                                         ("secret", self.secret)) if value is not None]


class NotebookSpec(SpecModel):
    """What a data scientist asks for: image, size, GPUs, storage, placement."""

    image: str = Field(min_length=1, description="container image; '{version}' is replaced by the pinned version")
    version: str | None = None
    server_type: Literal["jupyter", "group-one", "group-two"] = Field(
        default="jupyter", description="jupyter, group-one (VS Code) or group-two (RStudio)"
    )
    container_name: DnsLabel | None = Field(default=None, description="the notebook container's name; default: "
                                                                    "the notebook's name")
    resources: Resources = container_resources()
    workspace: Workspace | None = Field(default_factory=Workspace)
    volumes: tuple[Volume, ...] = ()
    env: EnvVars = Field(default_factory=dict)
    placement: Placement = Field(default_factory=Placement)
    service_account: str = "default-editor"
    stopped: bool = False
    pipelines_access: bool = Field(default=True, description="mount KFP credentials (label access-ml-pipeline)")
    pod_default_labels: dict[str, str] = Field(
        default_factory=dict, description="labels that select PodDefaults (each one's spec.selector.matchLabels), set on the "
                                "Notebook as the Jupyter web app does; the notebook controller copies them to its pod")
    creator: str | None = None

    @field_validator("pod_default_labels")
    @classmethod
    def _not_ours(cls, labels: dict[str, str]) -> dict[str, str]:
        return refuse_reserved_keys(labels, "a PodDefault must select another label")

    @property
    def home(self) -> Workspace | None:
        """The workspace the notebook gets: None when it is ``null`` or ``enabled: false``."""
        return self.workspace if self.workspace is not None and self.workspace.enabled else None


class NotebookComponent(SpecModel):
    """A ``kind: Notebook`` component file."""

    api_version: ApiVersion = API_VERSION
    kind: Literal["Notebook"]
    metadata: ComponentMetadata
    spec: NotebookSpec
