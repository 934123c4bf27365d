"""Tenancy: an environment writes only inside its own namespace on its own clusters (pure).

Checked before any API call, so a spec (or a bug) can never make one environment write
into another team's namespace or create cluster-wide objects outside policy.
"""

from __future__ import annotations

from reconciler.objects import Manifest, ObjectKey

# Cluster-scoped kinds an environment may own, and how their name must relate to its namespace.
_CLUSTER_SCOPED_ALLOWED = {"Namespace"}
CLUSTER_SCOPED_ALLOWED: frozenset[str] = frozenset(_CLUSTER_SCOPED_ALLOWED)
"""The default cluster-scoped kinds an environment may own (pruning checks them too)."""


def tenancy_violations(manifests: list[Manifest], namespace: str,
                       cluster_scoped: frozenset[str] = CLUSTER_SCOPED_ALLOWED) -> list[str]:
    """Why each object falls outside the environment's namespace (empty when all are inside).

    ``cluster_scoped``: the cluster-scoped kinds the operator policy lets the environment own; a
    Namespace is still only its own.
    """
    found = []
    for manifest in manifests:
        key = ObjectKey.of(manifest)
        if not key.namespace:
            if key.kind not in cluster_scoped:
                found.append(f"{key}: cluster-scoped {key.kind} objects are outside this environment's policy")
            elif key.kind == "Namespace" and key.name != namespace:
                found.append(f"{key}: an environment may only own its own namespace '{namespace}'")
        elif key.namespace != namespace:
            found.append(f"{key}: namespace '{key.namespace}' belongs to another environment (this one writes to "
                         f"'{namespace}')")
    return found
