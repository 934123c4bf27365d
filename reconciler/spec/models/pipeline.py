"""Pipeline component: a compiled KFP pipeline package and its versions."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from reconciler.spec.models.base import API_VERSION, ApiVersion, ComponentMetadata, SpecModel

VersionName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]([a-z0-9.\-]*[a-z0-9])?$", max_length=40)]
RepoPath = Annotated[str, StringConstraints(min_length=1), Field(description="path inside the repository")]


class PipelineSpec(SpecModel):
    """A KFP pipeline: the IR YAML compiled by the KFP SDK, at one current version."""

    display_name: str | None = None
    description: str | None = None
    version: VersionName = Field(description="the version the package at 'package' holds")
    package: RepoPath = Field(description="compiled KFP IR YAML, relative to the repository root")
    previous_versions: dict[VersionName, RepoPath] = Field(
        default={}, description="older compiled packages kept so environments can still pin them"
    )
    tags: dict[str, str] = {}

    def package_for(self, version: str) -> str | None:
        """The package path holding ``version``, or None when the spec does not carry it."""
        if version == self.version:
            return self.package
        return self.previous_versions.get(version)


class PipelineComponent(SpecModel):
    """A ``kind: Pipeline`` component file."""

    api_version: ApiVersion = API_VERSION
    kind: Literal["Pipeline"]
    metadata: ComponentMetadata
    spec: PipelineSpec
