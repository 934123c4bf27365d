"""The ``coordination.k8s.io/v1`` Lease store and its push relay, a ConfigMap beside the Lease.

Both speak through a KubeCluster (its rate limit, retries and credentials): they send plain JSON
and import nothing from the Kubernetes client itself. A 409 from the server is a ``LeaseConflict``.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from reconciler.cluster.base import KindRef
from reconciler.cluster.kinds import resource_path
from reconciler.cluster.kube.errors import error_for
from reconciler.daemon.election.members import Member, member_slug
from reconciler.daemon.election.record import LeaseConflict, LeaseRecord, format_micro_time, parse_micro_time
from reconciler.errors import ClusterError
from reconciler.objects import ObjectKey

if TYPE_CHECKING:  # the stores must not pull in the Kubernetes client
    from reconciler.cluster.kube.cluster import KubeCluster

LEASE_KIND = KindRef("coordination.k8s.io/v1", "Lease", "leases", True)


GROUP_LABEL = "platformctl.dev/lease-group"
"""The label that gathers the member Leases of a sharded daemon's replicas."""
SHARDS_LABEL = "platformctl.dev/shards"
"""The label of a member Lease: the shard count its replica runs with."""


def lease_manifest(record: LeaseRecord, namespace: str, name: str,
                   labels: dict[str, str] | None = None) -> dict[str, Any]:
    """The Lease object for a record (with its resourceVersion when it has one)."""
    metadata: dict[str, Any] = {"name": name, "namespace": namespace,
                                "labels": {"app.kubernetes.io/managed-by": "platformctl", **(labels or {})}}
    if record.version:
        metadata["resourceVersion"] = record.version
    spec: dict[str, Any] = {"leaseDurationSeconds": record.duration, "leaseTransitions": record.transitions,
                            "acquireTime": format_micro_time(record.acquire_time),
                            "renewTime": format_micro_time(record.renew_time)}
    if record.holder:
        spec["holderIdentity"] = record.holder
    return {"apiVersion": LEASE_KIND.api_version, "kind": "Lease", "metadata": metadata,
            "spec": {k: v for k, v in spec.items() if v is not None}}


def record_of(lease: dict[str, Any]) -> LeaseRecord:
    """The record a Lease object holds."""
    spec = lease.get("spec") or {}
    return LeaseRecord(
        holder=str(spec.get("holderIdentity") or ""),
        duration=int(spec.get("leaseDurationSeconds") or 0),
        acquire_time=parse_micro_time(spec.get("acquireTime")),
        renew_time=parse_micro_time(spec.get("renewTime")),
        transitions=int(spec.get("leaseTransitions") or 0),
        version=str((lease.get("metadata") or {}).get("resourceVersion") or ""),
    )


class KubeLeaseStore:
    """A Lease in a namespace of a cluster, written with POST (create) and PUT (conditional update)."""

    def __init__(self, cluster: KubeCluster, namespace: str, name: str,
                 labels: dict[str, str] | None = None) -> None:
        self._cluster = cluster
        self._namespace = namespace
        self._name = name
        self._labels = labels
        self._key = ObjectKey("coordination.k8s.io", "Lease", namespace, name)
        self.description = f"Lease {namespace}/{name} on cluster {cluster.name}"

    def get(self) -> LeaseRecord | None:
        """GET the Lease (None on 404)."""
        found = self._cluster.get(LEASE_KIND, self._namespace, self._name)
        return None if found is None else record_of(found)

    def create(self, record: LeaseRecord) -> LeaseRecord:
        """POST the Lease; 409 AlreadyExists is a LeaseConflict."""
        body = lease_manifest(dataclasses.replace(record, version=""), self._namespace, self._name, self._labels)
        return self._send("POST", resource_path(LEASE_KIND, self._namespace), "create", body)

    def update(self, record: LeaseRecord) -> LeaseRecord:
        """PUT the Lease with the read resourceVersion; 409 Conflict is a LeaseConflict."""
        if not record.version:
            raise ValueError("an update needs the resourceVersion that was read")
        body = lease_manifest(record, self._namespace, self._name, self._labels)
        return self._send("PUT", resource_path(LEASE_KIND, self._namespace, self._name), "update", body)

    def _send(self, method: str, path: str, verb: str, body: dict[str, Any]) -> LeaseRecord:
        response = self._cluster.send_json(method, path, verb=verb, body=body, key=self._key, kind=LEASE_KIND)
        if response.status == 409:
            raise LeaseConflict(f"{self.description} changed since it was read")
        if response.status >= 300:
            raise error_for(response.status, response.headers, response.raw, key=self._key, kind=LEASE_KIND,
                            cluster=self._cluster.name)
        stored = json.loads(response.raw)
        if not isinstance(stored, dict):
            raise ClusterError(f"{self.description}: the server answered without an object")
        return record_of(stored)


class KubeMemberStore:
    """The member Leases of a sharded daemon: ``<name>-member-<slug>``, labelled with the group, listed by it."""

    def __init__(self, cluster: KubeCluster, namespace: str, name: str, shards: int) -> None:
        self._cluster = cluster
        self._namespace = namespace
        self._name = name
        self._shards = shards
        self.description = f"member Leases {namespace}/{name}-member-* on cluster {cluster.name}"

    def own(self, identity: str) -> KubeLeaseStore:
        """The member Lease of ``identity``."""
        return KubeLeaseStore(self._cluster, self._namespace, f"{self._name}-member-{member_slug(identity)}",
                              {GROUP_LABEL: self._name, SHARDS_LABEL: str(self._shards)})

    def list(self) -> list[Member]:
        """One LIST of the group's Leases."""
        found = self._cluster.list(LEASE_KIND, self._namespace, f"{GROUP_LABEL}={self._name}")
        members = []
        for lease in found:
            shards = str(((lease.get("metadata") or {}).get("labels") or {}).get(SHARDS_LABEL, ""))
            members.append(Member(record_of(lease), int(shards) if shards.isdigit() else 0))
        return members


_CONFIGMAP = KindRef("v1", "ConfigMap", "configmaps", True)


class KubePushRelay:
    """The push relay of the Lease store: a ConfigMap ``<lease name>-push`` beside the Lease.

    A standby server-side applies ``data: {ref, by, at}``; the leader GETs it on every lease
    tick and compares its resourceVersion (see ``reconciler.daemon.election.relay``).
    """

    def __init__(self, cluster: KubeCluster, namespace: str, lease_name: str) -> None:
        self._cluster = cluster
        self._namespace = namespace
        self._name = f"{lease_name}-push"
        self.description = f"ConfigMap {namespace}/{self._name} on cluster {cluster.name}"

    def publish(self, ref: str, by: str) -> None:
        """Apply the record (creates the ConfigMap the first time)."""
        self._cluster.apply({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": self._name, "namespace": self._namespace,
                         "labels": {"app.kubernetes.io/managed-by": "platformctl"}},
            "data": {"ref": ref, "by": by, "at": format_micro_time(datetime.now(UTC)) or ""},
        })

    def version(self) -> str:
        """The ConfigMap's resourceVersion ("" when it does not exist yet)."""
        found = self._cluster.get(_CONFIGMAP, self._namespace, self._name)
        return "" if found is None else str((found.get("metadata") or {}).get("resourceVersion") or "")
