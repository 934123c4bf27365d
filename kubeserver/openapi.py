"""Minimal `/openapi/v3` documents: enough for kubectl to see server-side field validation.

kubectl (apply/create/replace) fetches the v3 root, then each group-version document, and
looks for the PATCH operation of the object's GVK (extension `x-kubernetes-group-version-
kind`) with a `fieldValidation` query parameter. When found, it leaves validation to the
server; without OpenAPI it refuses to run unless `--validate=false`. Schemas are not served.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from kubeserver.cluster import Cluster

_PARAMS = ["dryRun", "fieldManager", "fieldValidation", "force"]


def _gv_key(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def _gv_doc(cluster: Cluster, group: str, version: str) -> dict[str, Any] | None:
    paths: dict[str, Any] = {}
    for rtype in sorted(cluster.types.values(), key=lambda t: t.plural):
        if rtype.group != group or version not in rtype.versions:
            continue
        prefix = "/" + _gv_key(group, version)
        if rtype.namespaced:
            prefix += "/namespaces/{namespace}"
        patch = {
            "operationId": f"patch{rtype.kind}",
            "parameters": [
                {"name": p, "in": "query", "schema": {"type": "string"}} for p in _PARAMS
            ],
            "x-kubernetes-action": "patch",
            "x-kubernetes-group-version-kind": {"group": group, "version": version,
                                                "kind": rtype.kind},
        }
        paths[f"{prefix}/{rtype.plural}/{{name}}"] = {"patch": patch}
    if not paths:
        return None
    title = "Kubernetes" if not group else group
    return {"openapi": "3.0.0", "info": {"title": title, "version": "unversioned"},
            "paths": paths}


def _group_versions(cluster: Cluster) -> list[tuple[str, str]]:
    return sorted({(t.group, v) for t in cluster.types.values() for v in t.versions})


def root(cluster: Cluster) -> dict[str, Any]:
    """`/openapi/v3`: one entry per group-version, each URL carrying a content hash."""
    out = {}
    for group, version in _group_versions(cluster):
        doc = _gv_doc(cluster, group, version)
        digest = hashlib.sha512(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:32].upper()
        key = _gv_key(group, version)
        out[key] = {"serverRelativeURL": f"/openapi/v3/{key}?hash={digest}"}
    return {"paths": out}


def document(cluster: Cluster, path: str) -> dict[str, Any] | None:
    """`/openapi/v3/api/v1` or `/openapi/v3/apis/{group}/{version}`, or None."""
    parts = [p for p in path.split("/") if p][2:]
    if parts[:1] == ["api"] and len(parts) == 2:
        return _gv_doc(cluster, "", parts[1])
    if parts[:1] == ["apis"] and len(parts) == 3:
        return _gv_doc(cluster, parts[1], parts[2])
    return None
