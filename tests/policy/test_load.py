"""Reading the operator policy file: located errors; where the policy comes from."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import SpecErrors
from reconciler.policy.enforcement import DEFAULT_ORIGIN
from reconciler.policy.load import parse_policy, read_policy
from reconciler.policy.resolve import enforcement, own_namespace, policy_path


def test_unknown_keys_are_located_with_a_suggestion() -> None:
    text = b"apiVersion: platformctl.dev/v1alpha1\nkind: OperatorPolicy\nspec:\n  kubeconfigDri: /k\n"
    with pytest.raises(SpecErrors) as caught:
        parse_policy(text, "p.yaml")
    assert str(caught.value).startswith("p.yaml:4:3: unknown key 'kubeconfigDri' in spec; did you mean 'kubeconfigDir'")


def test_wrong_kind_and_bad_yaml_are_errors() -> None:
    with pytest.raises(SpecErrors, match=r"p.yaml:1:1: kind is 'Environment'; expected OperatorPolicy"):
        parse_policy(b"kind: Environment\n", "p.yaml")
    with pytest.raises(SpecErrors, match=r"p.yaml:\d+:\d+: invalid YAML"):
        parse_policy(b"kind: [\n", "p.yaml")


def test_a_missing_file_is_an_error_never_no_policy(tmp_path: Path) -> None:
    with pytest.raises(SpecErrors, match="cannot read the operator policy"):
        read_policy(tmp_path / "nope.yaml")
    with pytest.raises(SpecErrors):
        enforcement(tmp_path, None, {"PLATFORMCTL_POLICY": str(tmp_path / "nope.yaml")})


def test_flag_then_variable_then_user_config_then_defaults(tmp_path: Path) -> None:
    home = tmp_path / "xdg"
    assert policy_path(None, {"XDG_CONFIG_HOME": str(home)}) is None
    (home / "platformctl").mkdir(parents=True)
    (home / "platformctl" / "policy.yaml").write_text("kind: OperatorPolicy\n")
    assert policy_path(None, {"XDG_CONFIG_HOME": str(home)}) == home / "platformctl" / "policy.yaml"
    assert policy_path(None, {"XDG_CONFIG_HOME": str(home), "PLATFORMCTL_POLICY": "v.yaml"}) == Path("v.yaml")
    assert policy_path(Path("f.yaml"), {"PLATFORMCTL_POLICY": "v.yaml"}) == Path("f.yaml")
    assert enforcement(tmp_path, None, {"XDG_CONFIG_HOME": str(tmp_path / "none")}).origin == DEFAULT_ORIGIN


def test_relative_places_are_relative_to_the_policy_file_and_the_repository(tmp_path: Path) -> None:
    (tmp_path / "ops").mkdir()
    (tmp_path / "ops" / "policy.yaml").write_text("kind: OperatorPolicy\nspec: {kubeconfigDir: kube, directoryRoot: "
                                                  "clusters}\n")
    enforced = enforcement(tmp_path / "repo", tmp_path / "ops" / "policy.yaml", {})
    assert enforced.kubeconfig_dir == tmp_path / "ops" / "kube"
    assert enforced.directory_root == tmp_path / "repo" / "clusters"


def test_the_daemons_namespace(tmp_path: Path) -> None:
    account = tmp_path / "namespace"
    assert own_namespace("flag", {"POD_NAMESPACE": "pod"}, account) == "flag"
    assert own_namespace(None, {"POD_NAMESPACE": "pod"}, account) == "pod"
    assert own_namespace(None, {}, account) is None
    account.write_text("from-sa\n")
    assert own_namespace(None, {}, account) == "from-sa"


def test_the_deployed_policy_loads_and_admits_the_environment_the_daemon_manages() -> None:
    from reconciler.policy.check import check
    from reconciler.policy.enforcement import Enforcement
    from reconciler.source.directory import DirectorySource
    from reconciler.spec.load import load

    root = Path(__file__).resolve().parents[2]
    policy = read_policy(root / "deploy" / "policy" / "operator-policy.yaml")
    assert policy.spec.kubeconfig_dir == "/etc/platformctl/kubeconfigs"
    enforced = Enforcement.of(policy, "deploy/operator-policy.yaml", root, own_namespaces=("platformctl-system",))
    spec = load(DirectorySource(root))
    assert check(spec, enforced, ("prod-onprem",)) == []
    assert any("has no rule" in e.message for e in check(spec, enforced, ("staging",)))
