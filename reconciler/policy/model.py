"""The operator policy file (``kind: OperatorPolicy``) and its per-environment rules."""

from __future__ import annotations

import fnmatch
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from reconciler.spec.models.base import API_VERSION, ApiVersion, Metadata, NamespaceName, SpecModel

Pattern = Annotated[str, StringConstraints(min_length=1),
                    Field(description="a glob pattern: '*' matches anything, e.g. ml-*")]
KindName = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Za-z0-9]*$")]

ALWAYS_RESERVED_PREFIX = "kube-"
"""Kubernetes reserves namespaces starting with ``kube-`` for the system: never a tenant's."""


class EnvironmentRule(SpecModel):
    """What one environment (or every environment, under ``*``) may reach and write."""

    contexts: tuple[Pattern, ...] = Field(
        default=("*",), description="kubeconfig contexts the environment may use (glob patterns)")
    in_cluster: bool = Field(default=True, description="whether 'inCluster: true' clusters are allowed")
    directories: tuple[Pattern, ...] = Field(
        default=("*",), description="'directory:' clusters allowed, as glob patterns over the path relative "
                                    "to directoryRoot; [] allows none")
    namespaces: tuple[Pattern, ...] = Field(
        default=("*",), description="namespaces the environment may write (glob patterns); reserved "
                                    "namespaces stay refused")
    cluster_scoped_kinds: tuple[KindName, ...] = Field(
        default=("Namespace",), description="cluster-scoped kinds the environment may own (a Namespace only "
                                            "under its own name or a hosted team's)")
    teams: tuple[Pattern, ...] = Field(
        default=("*",), description="teams the environment may host, i.e. create a Profile and namespace for "
                                    "(glob patterns over the team's name); [] allows none. A team's namespace "
                                    "must also be one of 'namespaces'")
    team_identities: tuple[Pattern, ...] = Field(
        default=(), description="cloud identities a team's Profile plugins may bind (glob patterns over GCP "
                                "service account emails and AWS IAM role ARNs); default: none, since a plugin "
                                "hands the team's workloads that identity's cloud rights")

    def allows_team(self, team: str) -> bool:
        """Whether the environment may host the team."""
        return _any(team, self.teams)

    def allows_identity(self, identity: str) -> bool:
        """Whether a team's plugin may bind this cloud identity."""
        return _any(identity, self.team_identities)

    def allows_context(self, context: str) -> bool:
        """Whether a kubeconfig context is allowed."""
        return _any(context, self.contexts)

    def allows_namespace(self, namespace: str) -> bool:
        """Whether the namespace matches one of the allowed patterns."""
        return _any(namespace, self.namespaces)

    def allows_directory(self, relative: str) -> bool:
        """Whether a directory (relative to the directory root, '/'-separated) is allowed."""
        return _any(relative, self.directories)


class OperatorPolicySpec(SpecModel):
    """Places and namespaces the platform repository may name."""

    kubeconfig_dir: str | None = Field(
        default=None, description="kubeconfig 'path:' values must resolve (symlinks followed) under this "
                                  "directory; relative paths are relative to it. Unset: 'path:' is refused")
    directory_root: str | None = Field(
        default=None, description="'directory:' clusters live under this directory (relative to the repository "
                                  "root, or absolute); default: the repository root (the daemon's cluster root)")
    reserved_namespaces: tuple[NamespaceName, ...] = Field(
        default=("default",), description="namespaces no environment may write, besides kube-* and the "
                                          "daemon's own (always reserved)")
    environments: dict[str, EnvironmentRule] = Field(
        default_factory=dict, description="rules per environment name; '*' applies to environments not listed. Empty: "
                                "every environment gets the default rule; otherwise an environment without a "
                                "rule is refused")

    def rule_for(self, environment: str) -> EnvironmentRule | None:
        """The rule of an environment, its '*' fallback, the default rule when none are listed, else None."""
        if not self.environments:
            return EnvironmentRule()
        return self.environments.get(environment) or self.environments.get("*")


class OperatorPolicy(SpecModel):
    """A ``kind: OperatorPolicy`` file, kept by the operator outside the platform repository."""

    api_version: ApiVersion = API_VERSION
    kind: Literal["OperatorPolicy"] = "OperatorPolicy"
    metadata: Metadata | None = None
    spec: OperatorPolicySpec = Field(default_factory=OperatorPolicySpec)


def reserved(namespace: str, extra: frozenset[str]) -> bool:
    """Whether a namespace is never a tenant's: kube-*, or one of ``extra``."""
    return namespace.startswith(ALWAYS_RESERVED_PREFIX) or namespace in extra


def _any(value: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(value, p) for p in patterns)
