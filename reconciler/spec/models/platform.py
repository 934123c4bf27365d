"""Platform: the root file naming the platform, its version and promotion order."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from reconciler.spec.models.base import API_VERSION, ApiVersion, DnsLabel, Metadata, SpecModel
from reconciler.spec.models.environment import ComponentRef

SemVer = Annotated[
    str,
    StringConstraints(
        pattern=r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$"
    ),
    Field(description="semantic version, e.g. 1.4.0"),
]
Glob = Annotated[str, StringConstraints(pattern=r"^[^/\\][^\\]*$", min_length=1)]


class Defaults(SpecModel):
    """Values applied to every rendered object."""

    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)


class PlatformSpec(SpecModel):
    """Name, version, environments, promotion order and release groups."""

    version: SemVer
    promotion: tuple[DnsLabel | tuple[DnsLabel, ...], ...] = Field(
        min_length=1, description="stages in order; a stage is one environment or a list of them"
    )
    environments: Glob = "environments/*.yaml"
    components: Glob = "components/**/*.yaml"
    releases: dict[DnsLabel, tuple[ComponentRef, ...]] = Field(
        default_factory=dict, description="groups promoted together, e.g. a model, its pipeline and its schedule"
    )
    defaults: Defaults = Field(default_factory=Defaults)

    def stages(self) -> list[tuple[str, ...]]:
        """Promotion stages, each a tuple of environment names."""
        return [(s,) if isinstance(s, str) else tuple(s) for s in self.promotion]


class Platform(SpecModel):
    """A ``kind: Platform`` file (platform.yaml)."""

    api_version: ApiVersion = API_VERSION
    kind: Literal["Platform"]
    metadata: Metadata
    spec: PlatformSpec
