"""Notebook component: a Kubeflow Notebook server."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from reconciler.spec.models.base import API_VERSION, ApiVersion, ComponentMetadata, DnsLabel, EnvVars, Placement, Quantity, Resources, SpecModel, container_resources


class Workspace(SpecModel):
    """The notebook's home volume (a PVC the platform creates)."""

    enabled: bool = Field(default=True, description="false: no workspace volume (e.g. in one environment's "
                                                    "override, where null would restore the default)")
    size: Quantity = "10Gi"
    storage_class: str | None = None
    mount_path: str = Field(default="/home/jovyan", pattern=r"^/", description="absolute path, e.g. /home/jovyan")


class Volume(SpecModel):
    """An extra data volume: a new PVC of ``size`` or an ``existingClaim``."""

    name: DnsLabel
    mount_path: str = Field(pattern=r"^/", description="absolute path in the container, e.g. /data")
    size: Quantity | None = None
    existing_claim: str | None = None
    storage_class: str | None = None
    access_mode: Literal["ReadWriteOnce", "ReadWriteMany", "ReadOnlyMany", "ReadWriteOncePod"] = "ReadWriteOnce"
    read_only: bool = False


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
    workspace: Workspace | None = Workspace()
    volumes: tuple[Volume, ...] = ()
    env: EnvVars = {}
    placement: Placement = Placement()
    service_account: str = "default-editor"
    stopped: bool = False
    pipelines_access: bool = Field(default=True, description="mount KFP credentials (label access-ml-pipeline)")
    creator: str | None = None

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
