"""What only a real kube-apiserver can show: its identity, an empty plan after applying the bundled
platform, refused changes caught at plan time, and RBAC with exactly the rights deploy/ grants."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.cluster.kube.cluster import INVENTORY_KEY, KubeCluster
from reconciler.cluster.kube.options import KubeOptions
from reconciler.cluster.inventory_codec import decode_inventory, encode_inventory
from reconciler.errors import Forbidden
from reconciler.inventory import Inventory
from reconciler.objects import ObjectKey
from tests.engine.conftest import writes
from kubeserver import kubeconfig
from tests.realkube.binaries import binary
from tests.realkube.cluster import RealCluster
from tests.review.conftest import init_repo
from tests.spec.conftest import copy_platform

REPO = Path(__file__).resolve().parents[2]
CONTEXT = "onprem-gpu-prod"  # prod-onprem's only cluster (environments/prod-onprem.yaml)
NOTEBOOK = "components/notebooks/research-gpu.yaml"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return copy_platform(tmp_path / "platform")


def kubectl(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([binary("kubectl"), f"--kubeconfig={config}", *args], capture_output=True, text=True,
                          timeout=60, check=False)


def test_kubectl_version_reports_a_real_kube_apiserver(real_cluster: RealCluster, tmp_path: Path) -> None:
    done = kubectl(real_cluster.direct_kubeconfig(tmp_path / "config"), "version", "-o", "json")
    assert done.returncode == 0, done.stderr
    server = json.loads(done.stdout)["serverVersion"]
    assert server["gitVersion"].startswith("v1.") and int(server["minor"]) >= 34
    assert server["platform"] == "linux/amd64"


def test_a_plan_right_after_applying_the_bundled_platform_is_empty_and_a_workspace_resize_is_refused(
        real_cluster: RealCluster, repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig.write(tmp_path / "config", {CONTEXT: real_cluster})))
    assert main(["apply", "--env", "prod-onprem", str(repo), "--yes"]) == 0, capsys.readouterr()
    capsys.readouterr()

    # Whatever the server defaulted or canonicalised, nothing shows as a change.
    assert main(["plan", "--env", "prod-onprem", str(repo)]) == 0
    out = capsys.readouterr().out
    assert "0 to create, 0 to update, 0 to prune" in out

    notebook = repo / NOTEBOOK
    line = notebook.read_text().splitlines().index("    size: 50Gi") + 1
    notebook.write_text(notebook.read_text().replace("size: 50Gi", "size: 40Gi"))
    real_cluster.reset_requests()
    assert main(["plan", "--env", "prod-onprem", str(repo)]) == 1
    printed = capsys.readouterr()
    text = printed.out + printed.err
    assert "PersistentVolumeClaim/ml-prod/research-gpu-workspace" in text
    assert f"{NOTEBOOK}:{line}:" in text and "replace" in text
    assert writes(real_cluster) == []  # refused before anything reached the server, dry runs included


def _as_deployed_service_account(cluster: RealCluster, tmp_path: Path) -> str:
    """Apply deploy/'s Namespace, ServiceAccount and RBAC with kubectl; a token of that account."""
    admin = cluster.direct_kubeconfig(tmp_path / "admin")
    for name in ("namespace.yaml", "serviceaccount.yaml", "rbac.yaml"):
        done = kubectl(admin, "apply", "--server-side", "-f", str(REPO / "deploy" / name))
        assert done.returncode == 0, done.stderr
    request = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {"expirationSeconds": 3600}}
    answer = cluster.apiserver.call(
        "POST", "/api/v1/namespaces/platformctl-system/serviceaccounts/platformctl/token", request)
    return str(answer["status"]["token"])


def test_the_rights_deploy_grants_suffice_and_nothing_more_is_granted(
        real_cluster: RealCluster, repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    token = _as_deployed_service_account(real_cluster, tmp_path)
    config = real_cluster.apiserver.kubeconfig(tmp_path / "sa", context=CONTEXT, token=token,
                                               server=real_cluster.url)
    monkeypatch.setenv("KUBECONFIG", str(config))

    assert main(["apply", "--env", "prod-onprem", str(repo), "--yes"]) == 0, capsys.readouterr()
    capsys.readouterr()
    assert main(["plan", "--env", "prod-onprem", str(repo)]) == 0
    assert "0 to create, 0 to update, 0 to prune" in capsys.readouterr().out
    assert not [r for r in real_cluster.requests if r.code == 403]

    # A namespace editor writes kinds into the inventory that the account may not list (a ClusterRole,
    # Secrets): they are reported, never read cluster-wide, and the reconcile still goes through.
    path = "/api/v1/namespaces/ml-prod/configmaps/platformctl-inventory-prod-onprem"
    stored = decode_inventory(real_cluster.apiserver.call("GET", path)["data"][INVENTORY_KEY], "test")
    planted = (ObjectKey("rbac.authorization.k8s.io", "ClusterRole", "", "cluster-admin"),
               ObjectKey("", "Secret", "ml-prod", "db-credentials"))
    tampered = Inventory(stored.environment, stored.revision, (*stored.objects, *planted),
                         {**stored.api_versions, "rbac.authorization.k8s.io/ClusterRole": "rbac.authorization.k8s.io/v1",
                          "/Secret": "v1"})
    real_cluster.apiserver.call("PATCH", f"{path}?fieldManager=kubectl-edit",
                                {"data": {INVENTORY_KEY: encode_inventory(tampered)}},
                                content_type="application/merge-patch+json")
    real_cluster.reset_requests()
    assert main(["apply", "--env", "prod-onprem", str(repo), "--yes", "--prune"]) == 0, capsys.readouterr()
    out = capsys.readouterr().out
    assert "ClusterRole/cluster-admin refused (not platformctl's to delete" in out
    assert "Secret/ml-prod/db-credentials refused (not platformctl's to delete" in out
    assert not [r for r in real_cluster.requests if r.verb == "delete"]

    with KubeCluster(CONTEXT, kubeconfig=str(config), options=KubeOptions(qps=0)) as cluster:
        with pytest.raises(Forbidden) as reading:
            cluster.get(cluster.kind("v1", "Secret"), "ml-prod", "anything")
        assert 'cannot get resource "secrets"' in reading.value.message
        assert "system:serviceaccount:platformctl-system:platformctl" in reading.value.message
        deployment = {"apiVersion": "apps/v1", "kind": "Deployment",
                      "metadata": {"name": "not-ours", "namespace": "ml-prod"},
                      "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {
                          "metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c", "image": "x"}]}}}}
        with pytest.raises(Forbidden) as writing:
            cluster.apply(deployment)
        assert str(writing.value).startswith("Deployment/ml-prod/not-ours: ")
        assert 'cannot patch resource "deployments"' in writing.value.message


def test_promotion_is_gated_on_health_read_from_real_clusters(
        real_cluster_factory: Callable[..., RealCluster], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "repo"
    git_repo = init_repo(path)
    clusters = {"onprem-staging": real_cluster_factory("onprem-staging"),
                "gke-eu-staging": real_cluster_factory("gke-staging")}  # staging's two contexts
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig.write(tmp_path / "config", clusters)))
    assert main(["apply", "--env", "staging", str(path), "--yes"]) == 0, capsys.readouterr()
    capsys.readouterr()

    args = ["promote", "-C", str(path), "fraud-detector", "--from", "staging", "--to", "prod-cloud",
            "--require-healthy", "--dry-run"]
    assert main(args) == 1  # applied, but no KServe controller has reported on it
    assert capsys.readouterr().err.startswith(
        "refused: not healthy in staging: serving/fraud-detector is Progressing on staging/gke-staging: ")

    serving = clusters["gke-eu-staging"]
    live = serving.get_object("serving.kserve.io", "inferenceservices", "fraud-detector", "ml-staging")
    assert live is not None
    status = {"status": {"observedGeneration": live["metadata"]["generation"],
                         "url": "http://fraud-detector.ml-staging.example.com",
                         "conditions": [{"type": "Ready", "status": "True",
                                         "lastTransitionTime": "2026-12-06T00:00:00Z"}]}}
    serving.apiserver.call("PATCH", "/apis/serving.kserve.io/v1beta1/namespaces/ml-staging/inferenceservices/"
                           "fraud-detector/status", status, content_type="application/merge-patch+json")
    assert main(args) == 0
    assert capsys.readouterr().out.startswith("dry run: would commit on branch promote/prod-cloud/fraud-detector")
    assert git_repo.head.commit.hexsha == git_repo.heads.main.commit.hexsha
