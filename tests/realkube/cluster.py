"""RealCluster: one real kube-apiserver behind a FaultProxy, with the test-facing API of KubeServer.

Tests written against `kubeserver.server.KubeServer` (url, faults, request log,
write_kubeconfig, install_crds, get_object, namespaces) run unchanged against it. Between
tests a cluster is reset by deleting, straight from etcd, every key its tests added; the
apiserver's watch cache follows etcd, so the next test sees a clean cluster in milliseconds
without waiting for namespace finalization.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from kubeserver import kubeconfig
from kubeserver.faults import RequestRecord
from kubeserver.server import load_crds
from tests.realkube.apiserver import ADMIN_TOKEN, ApiError, ApiServer
from tests.realkube.controllers import start_controllers
from tests.realkube.etcd import Etcd
from tests.realkube.proxy import FaultProxy

SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
# Keys the apiserver itself writes after it reports ready (identity leases, APF and RBAC
# bootstrap, IP ranges): never deleted by a reset even if they appeared after the baseline.
_KEEP_PREFIXES = ("leases/kube-system/", "flowschemas/", "prioritylevelconfigurations/", "ranges/",
                  "apiregistration.k8s.io/", "masterleases/", "services/", "clusterroles/system:",
                  "clusterrolebindings/system:", "roles/kube-system/", "rolebindings/kube-system/",
                  "configmaps/kube-system/", "configmaps/kube-public/",
                  *(f"namespaces/{n}" for n in SYSTEM_NAMESPACES))


class RealCluster:
    """A real apiserver (TLS, RBAC) on a shared etcd, reached through a recording fault proxy."""

    def __init__(self, name: str, etcd: Etcd, directory: Path, **apiserver: Any) -> None:
        self.name = name
        self.etcd = etcd
        self.apiserver = ApiServer(name, etcd, directory, **apiserver)
        self.controllers = start_controllers(self.apiserver, directory)
        self.proxy = FaultProxy("127.0.0.1", self.apiserver.port, self.apiserver.ssl_context, ADMIN_TOKEN)
        self.errors: list[str] = []  # KubeServer compatibility: a real server's bugs are not ours to list
        self.token = ADMIN_TOKEN
        self.crds: list[str] = []
        self._baseline: frozenset[str] = frozenset()
        self.mark_baseline()

    # --- KubeServer-compatible surface ------------------------------------------------
    @property
    def url(self) -> str:
        """The proxy's plain-HTTP URL (what kubeconfigs written by tests point at)."""
        return self.proxy.url

    @property
    def port(self) -> int:
        """The proxy's port."""
        return self.proxy.port

    @property
    def faults(self) -> Any:
        return self.proxy.faults

    @property
    def requests(self) -> list[RequestRecord]:
        return self.proxy.log.records()

    def count(self, verb: str | None = None, resource: str | None = None) -> int:
        return self.proxy.log.count(verb, resource)

    def counts(self) -> dict[tuple[str, str], int]:
        return self.proxy.log.counts()

    def reset_requests(self) -> None:
        self.proxy.log.reset()

    def set_latency(self, rtt: float = 0.0, commit: float = 0.0) -> None:
        self.proxy.set_latency(rtt, commit)

    def write_kubeconfig(self, path: Path, *, context: str | None = None) -> Path:
        """A kubeconfig through the proxy (plain HTTP on loopback, admin token)."""
        return kubeconfig.write(path, {context or self.name: self})

    def direct_kubeconfig(self, path: Path, *, context: str | None = None, token: str = ADMIN_TOKEN) -> Path:
        """A kubeconfig straight to the apiserver (TLS verified), bypassing the proxy."""
        return self.apiserver.kubeconfig(path, context=context, token=token)

    def create_namespace(self, name: str) -> None:
        self.apiserver.call("POST", "/api/v1/namespaces",
                            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}, ok=(201, 409))

    def delete_namespace(self, name: str) -> None:
        """Remove a namespace and everything in it at once (from etcd; no finalization wait)."""
        prefix = f"{self.apiserver.prefix}/"
        doomed = [k for k in self.etcd.keys(prefix) if _in_namespace(k[len(prefix):], name)]
        self.etcd.delete(doomed)

    def get_object(self, group: str, plural: str, name: str, namespace: str = "") -> dict[str, Any] | None:
        """GET as the admin (not through the proxy, not logged); None when absent."""
        base = f"/apis/{group}/{self._version(group, plural)}" if group else "/api/v1"
        path = f"{base}/namespaces/{namespace}/{plural}/{name}" if namespace else f"{base}/{plural}/{name}"
        try:
            return self.apiserver.call("GET", path)
        except ApiError as err:
            if err.code == 404:
                return None
            raise

    def _version(self, group: str, plural: str) -> str:
        found = self.apiserver.call("GET", f"/apis/{group}")
        preferred: str = found["preferredVersion"]["version"]
        for version in [preferred] + [v["version"] for v in found["versions"]]:
            listing = self.apiserver.call("GET", f"/apis/{group}/{version}")
            if any(r["name"] == plural for r in listing["resources"]):
                return version
        return preferred

    def install_crds(self, crds: Iterable[Mapping[str, Any]] | None = None) -> list[str]:
        """Create CRDs (default: every one in reconciler/data/crds) and wait until they are served."""
        docs = list(crds if crds is not None else load_crds())
        for crd in docs:
            self.apiserver.call("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", dict(crd),
                                ok=(201, 409))
        for crd in docs:
            self._wait_served(crd)
        names = [str(crd["metadata"]["name"]) for crd in docs]
        self.crds = sorted(set(self.crds) | set(names))
        return names

    def _wait_served(self, crd: Mapping[str, Any], timeout: float = 60.0) -> None:
        name, spec = crd["metadata"]["name"], crd["spec"]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            live = self.apiserver.call("GET", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}")
            established = any(c["type"] == "Established" and c["status"] == "True"
                              for c in (live.get("status") or {}).get("conditions") or [])
            if established and all(self._discovered(spec["group"], v["name"], spec["names"]["plural"])
                                   for v in spec["versions"] if v.get("served", True)):
                return
            time.sleep(0.05)
        raise TimeoutError(f"CRD {name} not served after {timeout} s")

    def _discovered(self, group: str, version: str, plural: str) -> bool:
        code, raw = self.apiserver.raw("GET", f"/apis/{group}/{version}")
        return code == 200 and any(r["name"] == plural for r in json.loads(raw)["resources"])

    # --- between tests ----------------------------------------------------------------
    def mark_baseline(self) -> None:
        """Remember every key now in etcd: `reset()` keeps exactly these (and the apiserver's own)."""
        self._baseline = frozenset(self.etcd.keys(f"{self.apiserver.prefix}/"))

    def reset(self) -> None:
        """Back to the baseline: faults healed, request log cleared, every added key deleted."""
        self.proxy.faults.clear()
        self.proxy.set_latency()
        prefix = f"{self.apiserver.prefix}/"
        doomed = [k for k in self.etcd.keys(prefix)
                  if k not in self._baseline and not k[len(prefix):].startswith(_KEEP_PREFIXES)]
        self.etcd.delete(doomed)
        self.reset_requests()

    def stop(self) -> None:
        self.proxy.stop()
        self.controllers.stop()
        self.apiserver.stop()


def _in_namespace(key: str, namespace: str) -> bool:
    """Whether an etcd key (after the cluster prefix) is the namespace or an object in it."""
    parts = key.split("/")  # [group,] resource, namespace, name
    if parts[:2] == ["namespaces", namespace]:
        return True
    return (len(parts) == 3 and parts[1] == namespace) or (len(parts) == 4 and parts[2] == namespace)
