"""Issue 13, scenarios 1 and 2: the operator decides where an environment may write.

1. Tenant escape: an environment in kube-system, or in another environment's namespace on the
   same cluster, is refused by validate (file:line:col), apply and the daemon, before any request.
2. Places named by the spec: ``directory:`` outside the repository and a kubeconfig ``path:``
   outside the operator's kubeconfig directory are refused; nothing is written, no request is sent.
A legitimate setup the operator's policy allows still works against a real kube-apiserver.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.cli import main
from kubeserver import kubeconfig
from tests.realkube.cluster import RealCluster
from tests.review.conftest import commit_all, edit, init_repo

PROD = "environments/prod-onprem.yaml"
CONTEXT = "onprem-gpu-prod"  # prod-onprem's only cluster


def run_once(repo: Path, env: str, *extra: str) -> int:
    """The daemon, one pass, as the Deployment runs it (no lease)."""
    return main(["run", "--repo", str(repo), "--env", env, "--once", "--lease", "none", "--listen", "off", *extra])


def line_of(path: Path, text: str) -> int:
    return path.read_text().splitlines().index(text) + 1


@pytest.mark.realkube
def test_an_environment_in_kube_system_is_refused_everywhere_and_nothing_reaches_the_cluster(
        real_cluster: RealCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "platform"
    git_repo = init_repo(repo)
    edit(repo / PROD, "  namespace: ml-prod\n", "  namespace: kube-system\n")
    commit_all(git_repo, "prod-onprem: into kube-system")
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig.write(tmp_path / "config", {CONTEXT: real_cluster})))
    before = real_cluster.get_object("", "namespaces", "kube-system")
    assert before is not None
    real_cluster.reset_requests()
    where = f"{PROD}:{line_of(repo / PROD, '  namespace: kube-system')}:3: namespace 'kube-system' is reserved"

    assert main(["validate", str(repo)]) == 1
    assert where in capsys.readouterr().err
    assert main(["apply", "--env", "prod-onprem", str(repo), "--yes"]) == 1
    assert where in capsys.readouterr().err
    assert run_once(repo, "prod-onprem") == 1
    err = capsys.readouterr().err
    assert "rejected (policy)" in err and where in err

    assert real_cluster.requests == []  # refused before any request, reads included
    after = real_cluster.get_object("", "namespaces", "kube-system")
    assert after is not None and after["metadata"].get("labels") == before["metadata"].get("labels")
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]


@pytest.mark.realkube
def test_a_second_environment_in_stagings_namespace_is_refused_and_staging_is_untouched(
        real_cluster_factory: Callable[..., RealCluster], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "platform"
    git_repo = init_repo(repo)
    clusters = {"onprem-staging": real_cluster_factory("onprem-staging"),
                "gke-eu-staging": real_cluster_factory("gke-staging")}
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig.write(tmp_path / "config", clusters)))
    assert main(["apply", "--env", "staging", str(repo), "--yes"]) == 0, capsys.readouterr()
    capsys.readouterr()
    serving = clusters["gke-eu-staging"]
    staged = serving.get_object("serving.kserve.io", "inferenceservices", "fraud-detector", "ml-staging")
    assert staged is not None

    # prod-cloud's first cluster now names staging's serving context and namespace
    cloud = repo / "environments/prod-cloud.yaml"
    edit(cloud, "kubeconfig: {context: gke-eu-prod}", "kubeconfig: {context: gke-eu-staging}")
    edit(cloud, "  namespace: ml-serving\n", "  namespace: ml-staging\n")
    commit_all(git_repo, "prod-cloud: serve from staging's namespace")
    for cluster in clusters.values():
        cluster.reset_requests()
    where = f"environments/prod-cloud.yaml:{line_of(cloud, '  namespace: ml-staging')}:3: namespace 'ml-staging' on " \
            "context 'gke-eu-staging'"

    assert main(["validate", str(repo)]) == 1
    err = capsys.readouterr().err
    assert where in err and "is also written by environment 'staging' cluster 'gke-staging'" in err
    assert f"environments/staging.yaml:{line_of(repo / 'environments/staging.yaml', '  namespace: ml-staging')}:3" \
           in err  # both sides are told
    assert main(["apply", "--env", "prod-cloud", str(repo), "--yes", "--prune"]) == 1
    assert where in capsys.readouterr().err
    assert run_once(repo, "prod-cloud") == 1
    assert where in capsys.readouterr().err

    assert [r for c in clusters.values() for r in c.requests] == []
    now = serving.get_object("serving.kserve.io", "inferenceservices", "fraud-detector", "ml-staging")
    assert now is not None and now["metadata"]["resourceVersion"] == staged["metadata"]["resourceVersion"]


@pytest.mark.parametrize("directory", ["../../escape", "ABSOLUTE"])
def test_a_directory_outside_the_repository_is_refused_and_nothing_is_written_there(
        tmp_path: Path, directory: str, capsys: pytest.CaptureFixture[str]) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    repo = outside / "deeper" / "platform"
    git_repo = init_repo(repo)
    target = str(outside / "abs") if directory == "ABSOLUTE" else directory
    dev = repo / "environments/dev.yaml"
    edit(dev, "directory: .platformctl/clusters/dev", f"directory: '{target}'")
    commit_all(git_repo, "dev: somewhere else")
    where = f"environments/dev.yaml:{line_of(dev, f'      directory: {chr(39)}{target}{chr(39)}')}:7: directory"

    assert main(["validate", str(repo)]) == 1
    assert where in capsys.readouterr().err
    assert main(["apply", "--env", "dev", str(repo), "--yes"]) == 1
    assert where in capsys.readouterr().err
    assert run_once(repo, "dev") == 1
    assert where in capsys.readouterr().err
    assert sorted(p.name for p in outside.iterdir()) == ["deeper"]  # no escape/, no abs/
    assert sorted(p.name for p in (outside / "deeper").iterdir()) == ["platform"]


@pytest.mark.realkube
def test_a_kubeconfig_path_outside_the_operators_directory_reaches_no_cluster(
        real_cluster_factory: Callable[..., RealCluster], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    allowed, foreign = real_cluster_factory("allowed"), real_cluster_factory("foreign")
    (tmp_path / "kube").mkdir()
    kubeconfig.write(tmp_path / "kube" / "prod", {CONTEXT: allowed})
    other = kubeconfig.write(tmp_path / "elsewhere" / "config", {CONTEXT: foreign})
    (tmp_path / "kube" / "sneaky").symlink_to(other)
    policy = tmp_path / "policy.yaml"
    policy.write_text("kind: OperatorPolicy\nspec: {kubeconfigDir: kube}\n")
    repo = tmp_path / "platform"
    git_repo = init_repo(repo)
    prod = repo / PROD
    original = prod.read_text()

    for path, why in [(str(other), "resolves to"), ("../elsewhere/config", "steps out with '..'"),
                      ("sneaky", "resolves to")]:
        prod.write_text(original.replace(f"kubeconfig: {{context: {CONTEXT}}}",
                                         f"kubeconfig: {{context: {CONTEXT}, path: '{path}'}}"))
        commit_all(git_repo, f"prod-onprem: kubeconfig {path}")
        assert main(["validate", str(repo), "--policy", str(policy)]) == 1
        assert f"{PROD}:11:" in (err := capsys.readouterr().err) and why in err, err
        assert main(["apply", "--env", "prod-onprem", str(repo), "--yes", "--policy", str(policy)]) == 1
        assert why in capsys.readouterr().err
        assert run_once(repo, "prod-onprem", "--policy", str(policy)) == 1
        assert "rejected (policy)" in capsys.readouterr().err

    # without an operator policy a kubeconfig path is refused outright, naming what to set
    assert main(["apply", "--env", "prod-onprem", str(repo), "--yes"]) == 1
    assert "set spec.kubeconfigDir in the operator policy" in capsys.readouterr().err
    assert foreign.requests == [] and allowed.requests == []


@pytest.mark.realkube
def test_what_the_operator_allows_is_applied(real_cluster: RealCluster, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    ops = tmp_path / "ops"
    (ops / "kubeconfigs").mkdir(parents=True)
    kubeconfig.write(ops / "kubeconfigs" / "onprem", {CONTEXT: real_cluster})
    policy = ops / "policy.yaml"
    policy.write_text("""apiVersion: platformctl.dev/v1alpha1
kind: OperatorPolicy
metadata: {name: acme}
spec:
  kubeconfigDir: kubeconfigs
  environments:
    prod-onprem: {contexts: [onprem-*], namespaces: [ml-prod, risk], teams: [risk], inCluster: false,
                  directories: []}
    "*": {contexts: [], namespaces: [ml-*]}
""")
    repo = tmp_path / "platform"
    init_repo(repo)
    edit(repo / PROD, f"kubeconfig: {{context: {CONTEXT}}}", f"kubeconfig: {{context: {CONTEXT}, path: onprem}}")

    assert main(["apply", "--env", "prod-onprem", str(repo), "--yes", "--policy", str(policy)]) == 0, \
        capsys.readouterr()
    capsys.readouterr()
    assert real_cluster.get_object("kubeflow.org", "notebooks", "research-gpu", "ml-prod") is not None
    assert main(["plan", "--env", "prod-onprem", str(repo), "--policy", str(policy)]) == 0
    assert "0 to create, 0 to update, 0 to prune" in capsys.readouterr().out

    # the same policy refuses what it does not list: staging's contexts are not allowed ("*": no contexts)
    assert main(["validate", str(repo), "--policy", str(policy)]) == 1
    err = capsys.readouterr().err
    assert "context 'onprem-staging' is not allowed for environment 'staging'" in err
    assert f"by the operator policy {policy}" in err
