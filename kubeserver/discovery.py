"""Discovery documents (legacy and aggregated v2) built from what the cluster serves.

Built-in entries are copied from the real documents in kubeserver/data; CRD entries
are generated the way the apiextensions server generates them.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from kubeserver.cluster import Cluster
from kubeserver.resources import ResourceType, _doc, version_priority

AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
CRD_VERBS = ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"]

VERSION = {
    "major": "1",
    "minor": "32",
    "emulationMajor": "1",
    "emulationMinor": "32",
    "gitVersion": "v1.32.0",
    "gitCommit": "70d3cc986aa8221cd1dfb1121852688902d3bf53",
    "gitTreeState": "clean",
    "buildDate": "2024-12-11T17:59:15Z",
    "goVersion": "go1.23.3",
    "compiler": "gc",
    "platform": "linux/amd64",
}


def storage_version_hash(group: str, version: str, kind: str) -> str:
    """`discovery.StorageVersionHash`: first 8 bytes of sha256("group/version/kind")."""
    digest = hashlib.sha256(f"{group}/{version}/{kind}".encode()).digest()
    return base64.b64encode(digest[:8]).decode()


def wants_aggregated(accept: str) -> bool:
    """Whether the client asked for the aggregated v2 discovery format."""
    return any(
        "as=APIGroupDiscoveryList" in part and "v=v2" in part and "v=v2beta1" not in part
        for part in accept.split(",")
    )


def _entries(rtype: ResourceType, version: str) -> list[dict[str, Any]]:
    if not rtype.custom:
        return list(rtype.discovery.get(version, {}).get("resources", []))
    spec = rtype.versions[version]
    main: dict[str, Any] = {
        "name": rtype.plural,
        "singularName": rtype.singular,
        "namespaced": rtype.namespaced,
        "kind": rtype.kind,
        "verbs": CRD_VERBS,
    }
    if rtype.short_names:
        main["shortNames"] = list(rtype.short_names)
    if rtype.categories:
        main["categories"] = list(rtype.categories)
    main["storageVersionHash"] = storage_version_hash(
        rtype.group, rtype.storage_version(), rtype.kind)
    out = [main]
    if spec.status:
        out.append({"name": rtype.plural + "/status", "singularName": "",
                    "namespaced": rtype.namespaced, "kind": rtype.kind,
                    "verbs": ["get", "patch", "update"]})
    return out


def _by_group(cluster: Cluster) -> dict[str, dict[str, list[ResourceType]]]:
    groups: dict[str, dict[str, list[ResourceType]]] = {}
    for rtype in cluster.types.values():
        for version in rtype.versions:
            groups.setdefault(rtype.group, {}).setdefault(version, []).append(rtype)
    return groups


def api_versions(server_address: str) -> dict[str, Any]:
    """`/api`."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def resource_list(cluster: Cluster, group: str, version: str) -> dict[str, Any] | None:
    """`/api/v1` or `/apis/{group}/{version}`."""
    types = _by_group(cluster).get(group, {}).get(version)
    if not types:
        return None
    resources = [e for t in sorted(types, key=lambda t: t.plural) for e in _entries(t, version)]
    if not group:
        return {"kind": "APIResourceList", "groupVersion": "v1", "resources": resources}
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": f"{group}/{version}",
            "resources": resources}


def _group_entry(group: str, versions: list[str]) -> dict[str, Any]:
    ordered = sorted(versions, key=version_priority)
    gvs = [{"groupVersion": f"{group}/{v}", "version": v} for v in ordered]
    return {"name": group, "versions": gvs, "preferredVersion": gvs[0]}


def _group_order(cluster: Cluster) -> list[tuple[str, list[str]]]:
    builtin_order = [g["name"] for g in _doc("apis.json")["groups"]]
    groups = _by_group(cluster)
    named = [g for g in groups if g]
    named.sort(key=lambda g: (builtin_order.index(g) if g in builtin_order else len(builtin_order), g))
    return [(g, list(groups[g])) for g in named]


def group_list(cluster: Cluster) -> dict[str, Any]:
    """`/apis`."""
    return {"kind": "APIGroupList", "apiVersion": "v1",
            "groups": [_group_entry(g, vs) for g, vs in _group_order(cluster)]}


def group(cluster: Cluster, name: str) -> dict[str, Any] | None:
    """`/apis/{group}`."""
    versions = _by_group(cluster).get(name)
    if not name or not versions:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group_entry(name, list(versions))}


def _aggregated_resource(rtype: ResourceType, version: str) -> dict[str, Any]:
    kind = {"group": rtype.group if rtype.custom else "",
            "version": version if rtype.custom else "", "kind": rtype.kind}
    entries = _entries(rtype, version)
    main = entries[0]
    out: dict[str, Any] = {
        "resource": rtype.plural,
        "responseKind": kind,
        "scope": "Namespaced" if rtype.namespaced else "Cluster",
        "singularResource": rtype.singular,
        "verbs": main["verbs"],
    }
    if main.get("shortNames"):
        out["shortNames"] = main["shortNames"]
    if main.get("categories"):
        out["categories"] = main["categories"]
    subs = [{"subresource": e["name"].split("/", 1)[1], "responseKind": kind, "verbs": e["verbs"]}
            for e in entries[1:]]
    if subs:
        out["subresources"] = subs
    return out


def aggregated(cluster: Cluster, core: bool) -> dict[str, Any]:
    """Aggregated discovery (`apidiscovery.k8s.io/v2`) for `/api` (core) or `/apis`."""
    groups = _by_group(cluster)
    selected = [("", list(groups.get("", {})))] if core else _group_order(cluster)
    items = []
    for name, versions in selected:
        entry_versions = []
        for version in sorted(versions, key=version_priority):
            types = sorted(groups[name][version], key=lambda t: t.plural)
            entry_versions.append({
                "version": version,
                "resources": [_aggregated_resource(t, version) for t in types],
                "freshness": "Current",
            })
        metadata: dict[str, Any] = {"creationTimestamp": None}
        if name:
            metadata["name"] = name
        items.append({"metadata": metadata, "versions": entry_versions})
    return {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2",
            "metadata": {}, "items": items}
