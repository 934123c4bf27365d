"""Tenancy: an environment writes only inside its own namespaces on its own clusters (pure).

Checked before any API call, so a spec (or a bug) can never make one environment write
into another team's namespace or create cluster-wide objects outside policy. An environment's
namespaces are its own and those of the teams it hosts on the cluster (a team's Kubeflow
Profile is named after its namespace, as the profile controller requires).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from reconciler.objects import Manifest, ObjectKey

# Cluster-scoped kinds an environment may own, and how their name must relate to its namespace.
_CLUSTER_SCOPED_ALLOWED = {"Namespace"}
CLUSTER_SCOPED_ALLOWED: frozenset[str] = frozenset(_CLUSTER_SCOPED_ALLOWED)
"""The default cluster-scoped kinds an environment may own (pruning checks them too)."""

TEAM_KIND = "Profile"
"""The cluster-scoped kind a hosted team owns, under its namespace's name."""


@dataclass(frozen=True, slots=True)
class Scope:
    """Where an environment may write and delete on one cluster.

    ``namespace``: the environment's own. ``cluster_scoped``: the cluster-scoped kinds the operator
    policy lets it own (a Namespace only under one of its namespaces' names). ``teams``: the
    namespaces of the teams it hosts there; each also names the team's Profile.
    """

    namespace: str
    cluster_scoped: frozenset[str] = CLUSTER_SCOPED_ALLOWED
    teams: frozenset[str] = frozenset()

    @property
    def namespaces(self) -> tuple[str, ...]:
        """Every namespace the environment writes on the cluster: its own first, then its teams' (sorted)."""
        return (self.namespace, *sorted(self.teams - {self.namespace}))

    def widened(self, teams: Iterable[str]) -> Scope:
        """This scope with more team namespaces."""
        return Scope(self.namespace, self.cluster_scoped, self.teams | frozenset(teams))

    def outside(self, key: ObjectKey) -> str:
        """Why an object with this key is outside the scope ('' when inside)."""
        if key.namespace:
            if key.namespace == self.namespace or key.namespace in self.teams:
                return ""
            return (f"namespace '{key.namespace}' belongs to another environment (this one writes to "
                    f"{_listed(self.namespaces)})")
        if key.kind == TEAM_KIND and key.name in self.teams:
            return ""
        if key.kind not in self.cluster_scoped:
            return f"cluster-scoped {key.kind} objects are outside this environment's policy"
        if key.kind == "Namespace" and key.name != self.namespace and key.name not in self.teams:
            return f"an environment may only own its own namespace '{self.namespace}'" + (
                f" and those of its teams ({', '.join(sorted(self.teams))})" if self.teams else "")
        return ""


def tenancy_violations(manifests: list[Manifest], scope: Scope) -> list[str]:
    """Why each object falls outside the environment's scope (empty when all are inside)."""
    found = []
    for manifest in manifests:
        key = ObjectKey.of(manifest)
        reason = scope.outside(key)
        if reason:
            found.append(f"{key}: {reason}")
    return found


def _listed(namespaces: tuple[str, ...]) -> str:
    return f"'{namespaces[0]}'" if len(namespaces) == 1 else ", ".join(f"'{n}'" for n in namespaces)
