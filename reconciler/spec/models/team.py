"""Team component: a Kubeflow Profile (owner, resource quota, plugins) and the namespace it owns.

Kubeflow's multi-tenancy is one namespace per team, created by the profile controller under the
Profile's name. Components that name the team (``metadata.team``) run in that namespace. Field
names follow upstream ``kubeflow.org/v1`` Profile; what is left out is not rendered.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator

from reconciler.spec.models.base import API_VERSION, ApiVersion, ComponentMetadata, NamespaceName, SpecModel
from reconciler.spec.models.training import ResourceList


class Owner(SpecModel):
    """The profile's owner, an rbac/v1 Subject (the profile controller makes it the namespace's admin)."""

    kind: Literal["User", "Group", "ServiceAccount"] = Field(
        default="User", description="rendered always: the Profile CRD requires it when an owner is given")
    name: str = Field(min_length=1, description="the user's identity as the auth proxy sends it, e.g. an email")
    api_group: str | None = None
    namespace: NamespaceName | None = Field(default=None, description="only for kind ServiceAccount")

    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, value: Any) -> Any:
        return {"name": value} if isinstance(value, str) else value


class ResourceQuota(SpecModel):
    """A core/v1 ResourceQuotaSpec: the profile controller writes it as ResourceQuota ``kf-resource-quota``."""

    hard: ResourceList = Field(default_factory=dict, description="limits per resource name, e.g. requests.nvidia.com/gpu: 4")
    scopes: tuple[Annotated[str, StringConstraints(min_length=1)], ...] | None = None
    scope_selector: dict[str, Any] | None = Field(
        default=None, description="a core/v1 ScopeSelector, rendered as written and checked against upstream")


GcpServiceAccount = Annotated[str, StringConstraints(pattern=r"^[a-z][-a-z0-9]*@[-a-z0-9.]+\.iam\.gserviceaccount\.com$")]
AwsIamRole = Annotated[str, StringConstraints(pattern=r"^arn:aws[-a-z]*:iam::[0-9]+:role/[\w+=,.@/-]+$")]


class WorkloadIdentitySpec(SpecModel):
    """GKE Workload Identity: the namespace's ``default-editor`` acts as this GCP service account."""

    gcp_service_account: GcpServiceAccount


class WorkloadIdentity(SpecModel):
    """The ``WorkloadIdentity`` plugin."""

    kind: Literal["WorkloadIdentity"]
    spec: WorkloadIdentitySpec


class AwsIamSpec(SpecModel):
    """EKS IAM roles for service accounts: ``default-editor`` assumes this role."""

    aws_iam_role: AwsIamRole
    annotate_only: bool | None = Field(default=None, description="true: the controller does not edit the role's "
                                                                 "trust policy, it only annotates the account")


class AwsIamForServiceAccount(SpecModel):
    """The ``AwsIamForServiceAccount`` plugin."""

    kind: Literal["AwsIamForServiceAccount"]
    spec: AwsIamSpec


Plugin = Annotated[WorkloadIdentity | AwsIamForServiceAccount, Field(discriminator="kind")]


class TeamSpec(SpecModel):
    """A team's Profile: its namespace, owner, quota and cloud identity plugins."""

    namespace: NamespaceName | None = Field(
        default=None, description="the namespace (and Profile) name; default: the team's name. Overridable per "
                                  "environment, since two environments on one cluster need two namespaces")
    owner: Owner
    resource_quota: ResourceQuota | None = Field(
        default=None, description="rendered as the Profile's resourceQuotaSpec; its requests.*/gpu entries "
                                  "bound the GPUs the team's components may request together")
    plugins: tuple[Plugin, ...] | None = Field(
        default=None, description="cloud identity bindings; the operator policy's teamIdentities must allow each")

    def namespace_for(self, team: str) -> str:
        """The team's namespace (and Profile name)."""
        return self.namespace or team

    def identities(self) -> list[tuple[int, str]]:
        """(plugin index, cloud identity) of every plugin: what the operator policy must allow."""
        found: list[tuple[int, str]] = []
        for index, plugin in enumerate(self.plugins or ()):
            if isinstance(plugin, WorkloadIdentity):
                found.append((index, plugin.spec.gcp_service_account))
            else:
                found.append((index, plugin.spec.aws_iam_role))
        return found

    def gpu_quota(self) -> int | None:
        """GPUs the team may request together (its quota's ``requests.*/gpu`` entries), None when unbounded."""
        total: int | None = None
        for name, amount in self.resource_quota.hard.items() if self.resource_quota else ():
            if name.startswith("requests.") and name.endswith("/gpu") and str(amount).isdigit():
                total = (total or 0) + int(str(amount))
        return total


class TeamComponent(SpecModel):
    """A ``kind: Team`` file."""

    api_version: ApiVersion = API_VERSION
    kind: Literal["Team"]
    metadata: ComponentMetadata
    spec: TeamSpec
