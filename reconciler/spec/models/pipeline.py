"""Pipeline component: a compiled KFP pipeline package and its versions."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator

from reconciler.spec.models.base import API_VERSION, ApiVersion, ComponentMetadata, SpecModel

KFP_VERSION_NAME = r"[a-z0-9]([a-z0-9.\-]*[a-z0-9])?"
VersionName = Annotated[str, StringConstraints(pattern=rf"^{KFP_VERSION_NAME}$", max_length=40)]
RepoPath = Annotated[str, StringConstraints(min_length=1), Field(description="path inside the repository")]


class PipelineSpec(SpecModel):
    """A KFP pipeline: the IR YAML compiled by the KFP SDK, at one current version."""

    display_name: str | None = None
    description: str | None = None
    version: VersionName = Field(description="the version the package at 'package' holds")
    package: RepoPath = Field(description="compiled KFP IR YAML, relative to the repository root")
    previous_versions: dict[VersionName, RepoPath] = Field(
        default_factory=dict, description="older compiled packages kept so environments can still pin them"
    )
    tags: dict[str, str] = Field(default_factory=dict)
    version_name: Annotated[str, StringConstraints(min_length=1, max_length=253)] | None = Field(
        default=None, description="each PipelineVersion's versionName; '{version}' is replaced by its version; "
                                  "default: the version")
    version_display_name: Annotated[str, StringConstraints(min_length=1)] | None = Field(
        default=None, description="each PipelineVersion's displayName; '{version}' is replaced by its version; "
                                  "default: '<displayName> <version>'")

    @field_validator("version_name")
    @classmethod
    def _version_name_fits_kfp(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(KFP_VERSION_NAME, value.replace("{version}", "0")):
            raise ValueError(f"{value!r} is not a KFP versionName once '{{version}}' is replaced: lower-case "
                             "letters, digits, '.' and '-', starting and ending with a letter or digit")
        return value

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
