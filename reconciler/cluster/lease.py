"""Leases for leader election: the record, the store protocol, and a ``coordination.k8s.io/v1`` Lease store.

A store reads the record and writes it conditionally: ``create`` fails when the lease exists,
``update`` fails when the record changed since it was read (the ``resourceVersion``
precondition). Both failures are ``LeaseConflict``: another replica won the race. The Kube
store speaks through a KubeCluster's own transport (its rate limit, retries and credentials);
it sends plain JSON and imports nothing from the Kubernetes client itself.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from reconciler.cluster.base import KindRef
from reconciler.cluster.kinds import resource_path
from reconciler.cluster.kube_errors import error_for
from reconciler.errors import ClusterError
from reconciler.objects import ObjectKey

if TYPE_CHECKING:  # the record and the protocol must not pull in the Kubernetes client
    from reconciler.cluster.kube import KubeCluster

LEASE_KIND = KindRef("coordination.k8s.io/v1", "Lease", "leases", True)


@dataclass(frozen=True, slots=True)
class LeaseRecord:
    """Who holds the lease, for how long, and the store's version of the record."""

    holder: str
    """``holderIdentity``; empty when released."""
    duration: int
    """``leaseDurationSeconds``."""
    acquire_time: datetime | None = None
    renew_time: datetime | None = None
    transitions: int = 0
    """``leaseTransitions``: how often the holder changed."""
    version: str = ""
    """``resourceVersion`` as read; the precondition of the next update."""


class LeaseConflict(Exception):
    """The lease changed (or appeared) since it was read: another replica got there first."""


class LeaseStore(Protocol):
    """Conditional reads and writes of one lease."""

    description: str

    def get(self) -> LeaseRecord | None:
        """The current record, or None when there is no lease yet."""
        ...

    def create(self, record: LeaseRecord) -> LeaseRecord:
        """Create the lease; LeaseConflict when it exists already."""
        ...

    def update(self, record: LeaseRecord) -> LeaseRecord:
        """Replace the lease if its version is still ``record.version``; LeaseConflict otherwise."""
        ...


def format_micro_time(moment: datetime | None) -> str | None:
    """Kubernetes MicroTime: ``2006-01-02T15:04:05.000000Z``."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_micro_time(text: object) -> datetime | None:
    """A MicroTime (or Time) string as an aware datetime; None when absent or unreadable."""
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def lease_manifest(record: LeaseRecord, namespace: str, name: str) -> dict[str, Any]:
    """The Lease object for a record (with its resourceVersion when it has one)."""
    metadata: dict[str, Any] = {"name": name, "namespace": namespace,
                                "labels": {"app.kubernetes.io/managed-by": "platformctl"}}
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

    def __init__(self, cluster: KubeCluster, namespace: str, name: str) -> None:
        self._cluster = cluster
        self._namespace = namespace
        self._name = name
        self._key = ObjectKey("coordination.k8s.io", "Lease", namespace, name)
        self.description = f"Lease {namespace}/{name} on cluster {cluster.name}"

    def get(self) -> LeaseRecord | None:
        """GET the Lease (None on 404)."""
        found = self._cluster.get(LEASE_KIND, self._namespace, self._name)
        return None if found is None else record_of(found)

    def create(self, record: LeaseRecord) -> LeaseRecord:
        """POST the Lease; 409 AlreadyExists is a LeaseConflict."""
        body = lease_manifest(dataclasses.replace(record, version=""), self._namespace, self._name)
        return self._send("POST", resource_path(LEASE_KIND, self._namespace), "create", body)

    def update(self, record: LeaseRecord) -> LeaseRecord:
        """PUT the Lease with the read resourceVersion; 409 Conflict is a LeaseConflict."""
        if not record.version:
            raise ValueError("an update needs the resourceVersion that was read")
        body = lease_manifest(record, self._namespace, self._name)
        return self._send("PUT", resource_path(LEASE_KIND, self._namespace, self._name), "update", body)

    def _send(self, method: str, path: str, verb: str, body: dict[str, Any]) -> LeaseRecord:
        # The transport is KubeCluster's own (same module family): one rate limit and one
        # credential set per cluster, and no second Kubernetes client.
        transport = self._cluster._transport  # noqa: SLF001
        response = transport.request(method, path, verb=verb, body=body, content_type="application/json",
                                     key=self._key, kind=LEASE_KIND)
        if response.status == 409:
            raise LeaseConflict(f"{self.description} changed since it was read")
        if response.status >= 300:
            raise error_for(response.status, response.headers, response.raw, key=self._key, kind=LEASE_KIND,
                            cluster=self._cluster.name)
        stored = json.loads(response.raw)
        if not isinstance(stored, dict):
            raise ClusterError(f"{self.description}: the server answered without an object")
        return record_of(stored)


_CONFIGMAP = KindRef("v1", "ConfigMap", "configmaps", True)


class KubePushRelay:
    """The push relay of the Lease store: a ConfigMap ``<lease name>-push`` beside the Lease.

    A standby server-side applies ``data: {ref, by, at}``; the leader GETs it on every lease
    tick and compares its resourceVersion (see ``reconciler.daemon.pushrelay``).
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
