"""A broken kubeconfig says what is broken, never "cluster unreachable"."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.cluster.kube.cluster import KubeCluster
from reconciler.errors import ClusterError
from tests.cluster.conftest import FakeTime, kube_options
from tests.spec.conftest import copy_platform
from kubeserver.server import KubeServer

_EXEC_KUBECONFIG = """apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}
users:
- name: gke-user
  user:
    exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: no-such-auth-plugin-16}
contexts:
- {name: gke-eu-prod, context: {cluster: c, user: gke-user}}
- {name: gke-us-prod, context: {cluster: c, user: gke-user}}
current-context: gke-eu-prod
"""


def test_a_missing_credential_plugin_is_named_not_reported_as_unreachable(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    repo = copy_platform(tmp_path / "r")
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(_EXEC_KUBECONFIG)
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    assert main(["plan", "--env", "prod-cloud", str(repo)]) == 1
    captured = capsys.readouterr()
    assert captured.out.count("user gke-user gets its credentials by running 'no-such-auth-plugin-16', which is "
                              "not installed or not on PATH") == 2  # both clusters
    assert "cannot reach" not in captured.out and "No such file" not in captured.err


def test_refused_credentials_say_so(kube_server: KubeServer, kube_config: Path, kube_namespace: str,
                                   fake_time: FakeTime) -> None:
    with KubeCluster("gke-eu", kubeconfig=str(kube_config), options=kube_options(fake_time)) as cluster:
        kube_server.faults.fail(401, verb="list", times=2)
        with pytest.raises(ClusterError) as caught:
            cluster.list(cluster.kind("v1", "ConfigMap"), kube_namespace)
    assert caught.value.status == 401
    assert "cluster gke-eu refused the kubeconfig's credentials" in str(caught.value)
    assert "expired token or certificate, or the wrong user?" in str(caught.value)
