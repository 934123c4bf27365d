"""The operator policy checks: namespaces, connections, places, sharing (pure given the Enforcement)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import SpecError
from reconciler.policy.check import check
from reconciler.policy.enforcement import DEFAULT_ORIGIN, Enforcement
from reconciler.policy.load import parse_policy
from reconciler.policy.model import OperatorPolicy
from tests.policy.conftest import environment, load_platform


def defaults(root: Path, **kwargs: object) -> Enforcement:
    return Enforcement.of(OperatorPolicy(), DEFAULT_ORIGIN, root, **kwargs)  # type: ignore[arg-type]


def policy(root: Path, text: str, policy_dir: Path | None = None) -> Enforcement:
    return Enforcement.of(parse_policy(text.encode(), "policy.yaml"), "the operator policy policy.yaml", root,
                          policy_dir=policy_dir or root)


def lines(errors: list[SpecError]) -> list[str]:
    return [str(e) for e in errors]


@pytest.mark.parametrize("namespace", ["kube-system", "kube-public", "kube-node-lease", "kube-anything", "default"])
def test_system_namespaces_are_refused_by_default_at_their_line(tmp_path: Path, namespace: str) -> None:
    spec = load_platform(tmp_path, {"dev": environment("dev", namespace, "[{name: a, directory: c/a}]")})
    (error,) = check(spec, defaults(tmp_path))
    assert (error.path, error.line, error.col) == ("environments/dev.yaml", 7, 3)
    assert f"namespace '{namespace}' is reserved" in error.message


def test_the_daemons_own_namespace_is_reserved(tmp_path: Path) -> None:
    spec = load_platform(tmp_path, {"dev": environment("dev", "platformctl-system", "[{name: a, directory: c/a}]")})
    assert check(spec, defaults(tmp_path)) == []
    (error,) = check(spec, defaults(tmp_path, own_namespaces=("platformctl-system",)))
    assert "reserved" in error.message


def test_a_clusters_namespace_override_is_located_at_the_override(tmp_path: Path) -> None:
    spec = load_platform(tmp_path, {"dev": environment(
        "dev", "ml-dev", "[{name: a, directory: c/a}, {name: b, directory: c/b, namespace: kube-system}]")})
    (error,) = check(spec, defaults(tmp_path))
    assert error.line == 6 and "kube-system" in error.message


def test_two_environments_sharing_a_namespace_on_one_cluster_are_refused_both_ways(tmp_path: Path) -> None:
    spec = load_platform(tmp_path, {
        "staging": environment("staging", "ml", "[{name: a, kubeconfig: {context: shared}}]"),
        "rogue": environment("rogue", "ml", "[{name: b, kubeconfig: {context: shared}}]"),
    })
    errors = check(spec, defaults(tmp_path))
    assert sorted(e.path for e in errors) == ["environments/rogue.yaml", "environments/staging.yaml"]
    assert all("namespace 'ml' on context 'shared'" in e.message for e in errors)
    # checking one environment still sees the other's namespace
    assert [e.path for e in check(spec, defaults(tmp_path), ("rogue",))] == ["environments/rogue.yaml"]


def test_the_same_namespace_on_different_clusters_is_fine(tmp_path: Path) -> None:
    spec = load_platform(tmp_path, {
        "a": environment("a", "ml", "[{name: x, kubeconfig: {context: one}}, {name: y, directory: c/y}]"),
        "b": environment("b", "ml", "[{name: x, kubeconfig: {context: two}}, {name: y, directory: c/z}]"),
    })
    assert check(spec, defaults(tmp_path)) == []


def test_one_directory_named_two_ways_is_one_cluster(tmp_path: Path) -> None:
    spec = load_platform(tmp_path, {
        "a": environment("a", "ml", "[{name: x, directory: c/y}]"),
        "b": environment("b", "ml", "[{name: x, directory: ./c/./y/}]"),
    })
    assert len(check(spec, defaults(tmp_path))) == 2


@pytest.mark.parametrize(("directory", "message"), [
    ("../../x", "steps out with '..'"), ("c/../../x", "steps out with '..'"), ("/tmp/x", "is an absolute path"),
])
def test_directories_outside_the_repository_are_refused(tmp_path: Path, directory: str, message: str) -> None:
    spec = load_platform(tmp_path / "repo", {"dev": environment("dev", "ml", f"[{{name: a, directory: '{directory}'}}]")})
    (error,) = check(spec, defaults(tmp_path / "repo"))
    assert message in error.message and error.line == 6


def test_a_symlink_out_of_the_repository_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    spec = load_platform(root, {"dev": environment("dev", "ml", "[{name: a, directory: link/x}]")})
    (tmp_path / "elsewhere").mkdir()
    (root / "link").symlink_to(tmp_path / "elsewhere")
    (error,) = check(spec, defaults(root))
    assert "outside" in error.message and "symbolic link" in error.message


def test_a_kubeconfig_path_needs_a_configured_directory(tmp_path: Path) -> None:
    spec = load_platform(tmp_path, {"dev": environment("dev", "ml", "[{name: a, kubeconfig: {context: c, path: k}}]")})
    (error,) = check(spec, defaults(tmp_path))
    assert "no kubeconfig directory is configured" in error.message
    assert "kubeconfigDir" in error.hint and "--policy" in error.hint
    assert (error.line, error.col) == (6, 49)


def test_kubeconfig_paths_resolve_under_the_policys_directory(tmp_path: Path) -> None:
    (tmp_path / "kube").mkdir()
    (tmp_path / "kube" / "prod").write_text("{}")
    (tmp_path / "other").write_text("{}")
    (tmp_path / "kube" / "sneaky").symlink_to(tmp_path / "other")
    enforced = policy(tmp_path, "kind: OperatorPolicy\nspec: {kubeconfigDir: kube}\n")
    for path, refused in [("prod", False), (str(tmp_path / "kube" / "prod"), False), (str(tmp_path / "other"), True),
                          ("../other", True), ("sneaky", True)]:
        spec = load_platform(tmp_path / "repo", {"dev": environment(
            "dev", "ml", f"[{{name: a, kubeconfig: {{context: c, path: '{path}'}}}}]")})
        assert bool(check(spec, enforced)) is refused, path


def test_rules_per_environment_with_a_fallback(tmp_path: Path) -> None:
    enforced = policy(tmp_path, """
kind: OperatorPolicy
spec:
  environments:
    prod: {contexts: [prod-*], namespaces: [ml-prod], inCluster: false, directories: []}
    "*": {contexts: [dev-*], namespaces: [ml-*]}
""")
    spec = load_platform(tmp_path / "repo", {
        "prod": environment("prod", "ml-other", "[{name: a, kubeconfig: {context: dev-1}}, {name: b, inCluster: true},"
                                                " {name: c, directory: x}]"),
        "dev": environment("dev", "ml-dev", "[{name: a, kubeconfig: {context: dev-1}}]"),
    })
    found = lines(check(spec, enforced))
    assert len(found) == 6, found
    assert any("context 'dev-1' is not allowed for environment 'prod'" in e for e in found)
    assert any("may not use the in-cluster connection" in e for e in found)
    assert any("directory 'x' is not allowed" in e for e in found)
    assert sum("namespace 'ml-other' is not allowed" in e for e in found) == 3  # one per cluster


def test_an_environment_without_a_rule_is_refused_when_rules_are_listed(tmp_path: Path) -> None:
    enforced = policy(tmp_path, "kind: OperatorPolicy\nspec: {environments: {prod: {}}}\n")
    spec = load_platform(tmp_path, {"dev": environment("dev", "ml", "[{name: a, kubeconfig: {context: x}}]")})
    (error,) = check(spec, enforced)
    assert "has no rule in the operator policy policy.yaml" in error.message and error.line == 4
    assert check(spec, enforced, ("prod",)) == []


def test_a_legitimate_setup_passes(tmp_path: Path) -> None:
    (tmp_path / "kube").mkdir()
    enforced = policy(tmp_path, "kind: OperatorPolicy\nspec:\n  kubeconfigDir: kube\n  reservedNamespaces: []\n")
    spec = load_platform(tmp_path / "repo", {
        "dev": environment("dev", "default", "[{name: a, directory: .platformctl/clusters/dev}]"),
        "prod": environment("prod", "ml-prod", "[{name: a, kubeconfig: {context: p, path: prod}}, "
                                               "{name: b, inCluster: true}]"),
    })
    assert check(spec, enforced) == []
