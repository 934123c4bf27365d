"""kubectl against the server: a cheap fidelity check (skipped where kubectl is absent)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from kubeserver.server import KubeServer

KUBECTL = shutil.which("kubectl")

MANIFEST = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: web
  namespace: {ns}
data:
  replicas: "1"
---
apiVersion: kubeflow.org/v1
kind: Profile
metadata:
  name: {ns}-owner
spec:
  owner:
    kind: User
    name: alice@example.com
"""


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")
def test_kubectl_apply_get_delete(kube_server: KubeServer, kube_crds, kube_namespace: str, tmp_path: Path) -> None:
    config = kube_server.write_kubeconfig(tmp_path / "config")
    manifest = tmp_path / "objects.yaml"
    manifest.write_text(MANIFEST.format(ns=kube_namespace))

    def kubectl(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(KUBECTL), "--kubeconfig", str(config), "--cache-dir", str(tmp_path / "cache"), *args],
            capture_output=True, text=True, timeout=60, check=False)

    applied = kubectl("apply", "--server-side", "-f", str(manifest))
    assert applied.returncode == 0, applied.stderr
    assert "configmap/web serverside-applied" in applied.stdout
    got = kubectl("get", "configmaps", "-n", kube_namespace)
    assert got.returncode == 0, got.stderr
    assert got.stdout.split()[:4] == ["NAME", "DATA", "AGE", "web"]
    yaml_out = kubectl("get", "configmap", "web", "-n", kube_namespace, "-o", "jsonpath={.data.replicas}")
    assert yaml_out.stdout == "1"
    manifest.write_text(MANIFEST.format(ns=kube_namespace).replace('"1"', '"2"'))
    conflict = kubectl("apply", "--server-side", "--field-manager", "other", "-f", str(manifest))
    assert conflict.returncode != 0 and 'conflict with "kubectl"' in conflict.stderr
    deleted = kubectl("delete", "-f", str(manifest))
    assert deleted.returncode == 0, deleted.stderr
    assert 'configmap "web" deleted' in deleted.stdout
    missing = kubectl("get", "configmap", "web", "-n", kube_namespace)
    assert missing.returncode == 1 and 'configmaps "web" not found' in missing.stderr
