"""Teams: the Team kind, which components belong to a team, where teams are hosted, team GPU quotas, and
the operator policy's bounds on teams and the cloud identities their Profiles bind."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import SpecError, SpecErrors
from reconciler.policy.check import check as policy_check
from reconciler.policy.enforcement import DEFAULT_ORIGIN, Enforcement
from reconciler.policy.load import parse_policy
from reconciler.policy.model import OperatorPolicy
from reconciler.render import render_cluster
from reconciler.source.directory import DirectorySource
from reconciler.spec.document import Spec
from reconciler.spec.load import load
from tests.policy.conftest import environment, write_platform

TEAM = """apiVersion: platformctl.dev/v1alpha1
kind: Team
metadata: {name: %(name)s}
spec:
  owner: lead@example.com
%(extra)s"""

LAB = """apiVersion: platformctl.dev/v1alpha1
kind: Notebook
metadata:
  name: lab
  team: %s
spec: {image: "registry.example/jupyter:1", version: "1"}
"""

AWS_ROLE = "arn:aws:iam::123456789012:role/risk-s3"


def repo(root: Path, *, teams: dict[str, str] | None = None, lab_team: str = "risk",
         environments: dict[str, str] | None = None) -> Path:
    """A tiny platform: notebook ``lab`` of team ``lab_team``, the given teams (name -> extra spec lines)."""
    envs = environments or {"dev": environment("dev", "ml-dev", "[{name: a, directory: c/a}]")}
    write_platform(root, envs)
    (root / "components" / "notebooks" / "lab.yaml").write_text(LAB % lab_team)
    (root / "components" / "teams").mkdir(parents=True, exist_ok=True)
    for name, extra in (teams if teams is not None else {"risk": ""}).items():
        (root / "components" / "teams" / f"{name}.yaml").write_text(TEAM % {"name": name, "extra": extra})
    return root


def errors(root: Path) -> list[str]:
    with pytest.raises(SpecErrors) as caught:
        load(DirectorySource(root))
    return [str(e) for e in caught.value.errors]


def policy(root: Path, text: str) -> Enforcement:
    return Enforcement.of(parse_policy(text.encode(), "policy.yaml"), "the operator policy policy.yaml", root,
                          policy_dir=root)


def messages(found: list[SpecError]) -> list[str]:
    return [str(e) for e in found]


def test_a_teams_components_render_into_its_namespace_next_to_its_namespace_and_profile(tmp_path: Path) -> None:
    spec = load(DirectorySource(repo(tmp_path, teams={"risk": "  namespace: risk-dev\n"})))
    objects = {(r.manifest["kind"], r.manifest["metadata"].get("namespace"), r.manifest["metadata"]["name"]): r.manifest
               for r in render_cluster(spec, "dev", "a", "r1")}
    assert ("Notebook", "risk-dev", "lab") in objects and ("Namespace", None, "ml-dev") in objects
    namespace = objects[("Namespace", None, "risk-dev")]
    assert namespace["metadata"]["annotations"]["owner"] == "lead@example.com"  # what the controller adopts
    profile = objects[("Profile", None, "risk-dev")]
    assert profile["apiVersion"] == "kubeflow.org/v1"
    assert profile["spec"] == {"owner": {"kind": "User", "name": "lead@example.com"}}  # nothing else unless set
    assert profile["metadata"]["labels"]["app.kubernetes.io/component"] == "teams"


def test_quota_and_plugins_are_rendered_as_written(tmp_path: Path) -> None:
    extra = ("  resourceQuota:\n    hard: {requests.nvidia.com/gpu: \"2\", memory: 2Gi, persistentvolumeclaims: 1}\n"
             "    scopes: [NotTerminating]\n"
             f"  plugins:\n    - kind: AwsIamForServiceAccount\n      spec: {{awsIamRole: '{AWS_ROLE}', annotateOnly: true}}\n"
             "    - kind: WorkloadIdentity\n      spec: {gcpServiceAccount: risk@acme-ml.iam.gserviceaccount.com}\n")
    spec = load(DirectorySource(repo(tmp_path, teams={"risk": extra})))
    [profile] = [r.manifest for r in render_cluster(spec, "dev", "a", "r1") if r.manifest["kind"] == "Profile"]
    assert profile["spec"]["resourceQuotaSpec"] == {
        "hard": {"requests.nvidia.com/gpu": "2", "memory": "2Gi", "persistentvolumeclaims": 1},
        "scopes": ["NotTerminating"]}
    assert profile["spec"]["plugins"] == [
        {"kind": "AwsIamForServiceAccount", "spec": {"awsIamRole": AWS_ROLE, "annotateOnly": True}},
        {"kind": "WorkloadIdentity", "spec": {"gcpServiceAccount": "risk@acme-ml.iam.gserviceaccount.com"}}]


@pytest.mark.parametrize(("extra", "where", "message"), [
    ("  plugins: [{kind: AwsIamForServiceAccount, spec: {awsIamRole: admin}}]\n", "team.yaml:6:52",
     "awsIamRole: 'admin' does not match the required format"),
    ("  plugins: [{kind: Vault, spec: {}}]\n", "team.yaml:6:", "Vault"),
    ("  resourceQuota: {hard: {requests.nvidia.com/gpu: lots}}\n", "team.yaml:6:", "not a Kubernetes quantity"),
])
def test_a_broken_team_is_located(tmp_path: Path, extra: str, where: str, message: str) -> None:
    root = repo(tmp_path, teams={"team": extra}, lab_team="team")
    found = [e for e in errors(root) if "components/teams/team.yaml" in e]
    assert found and found[0].startswith(f"components/teams/{where}") and message in found[0]


def test_an_unknown_team_is_refused_with_a_suggestion(tmp_path: Path) -> None:
    found = errors(repo(tmp_path, lab_team="rsik"))
    assert "components/notebooks/lab.yaml:5:3: team 'rsik' is not defined; did you mean 'risk'?" in found
    assert not any("does not host" in e for e in found)  # one error for one mistake


def test_a_component_runs_only_where_its_environment_hosts_its_team(tmp_path: Path) -> None:
    env = environment("dev", "ml-dev", "[{name: a, directory: c/a}]") + '  components: ["notebooks/*"]\n'
    found = errors(repo(tmp_path, environments={"dev": env}))
    assert any("environment 'dev' runs notebooks/lab, which belongs to team 'risk', but does not host that team "
               "there; add teams/risk to spec.components" in e for e in found)


def test_team_namespaces_are_distinct_from_each_other_and_the_environments(tmp_path: Path) -> None:
    found = errors(repo(tmp_path, teams={"risk": "  namespace: ml-dev\n", "recsys": "  namespace: shared\n",
                                         "search": "  namespace: shared\n"}))
    assert any(e.startswith("components/teams/risk.yaml:6:3: team 'risk' would own namespace 'ml-dev', which is "
                            "environment 'dev''s own") for e in found)
    assert any("teams 'recsys' and 'search' share namespace 'shared'" in e for e in found)


def test_a_team_cannot_belong_to_a_team(tmp_path: Path) -> None:
    root = repo(tmp_path)
    (root / "components" / "teams" / "risk.yaml").write_text(
        TEAM.replace("metadata: {name: %(name)s}", "metadata: {name: %(name)s, team: risk}")
        % {"name": "risk", "extra": ""})
    assert any("a team cannot belong to another team" in e for e in errors(root))


def test_a_teams_gpu_quota_bounds_its_components_together(tmp_path: Path) -> None:
    root = repo(tmp_path, teams={"risk": "  resourceQuota: {hard: {requests.nvidia.com/gpu: \"1\"}}\n"})
    lab = root / "components" / "notebooks" / "lab.yaml"
    lab.write_text(lab.read_text().replace('version: "1"}', 'version: "1", resources: {gpu: 2}}'))
    found = errors(root)
    assert ("components/teams/risk.yaml:6:26: team 'risk''s components in environment 'dev' request 2 GPUs, over "
            "the team's quota of 1 (notebooks/lab 2); lower GPU counts or replicas, or raise the team's "
            "requests.*/gpu quota") in found
    lab.write_text(lab.read_text().replace("gpu: 2", "gpu: 1"))
    load(DirectorySource(root))  # within the quota


def test_a_team_has_no_version_to_pin(tmp_path: Path) -> None:
    env = environment("dev", "ml-dev", "[{name: a, directory: c/a}]") + '  versions: {teams/risk: "2"}\n'
    found = errors(repo(tmp_path, environments={"dev": env}))
    assert any("teams/risk is a Team and has no version of its own; remove the pin" in e for e in found)


def test_an_environment_may_override_a_teams_namespace(tmp_path: Path) -> None:
    env = environment("dev", "ml-dev", "[{name: a, directory: c/a}]") + "  overrides: {teams/risk: {namespace: r-dev}}\n"
    spec = load(DirectorySource(repo(tmp_path, environments={"dev": env})))
    kinds = {(r.manifest["kind"], r.manifest["metadata"]["name"]) for r in render_cluster(spec, "dev", "a", "r1")}
    assert {("Namespace", "r-dev"), ("Profile", "r-dev")} <= kinds


# ---- operator policy -------------------------------------------------------------------------------

def loaded(root: Path) -> Spec:
    return load(DirectorySource(root))


def test_without_a_policy_teams_are_hosted_but_no_cloud_identity_is_granted(tmp_path: Path) -> None:
    extra = f"  plugins: [{{kind: AwsIamForServiceAccount, spec: {{awsIamRole: '{AWS_ROLE}'}}}}]\n"
    spec = loaded(repo(tmp_path, teams={"risk": extra}))
    found = messages(policy_check(spec, Enforcement.of(OperatorPolicy(), DEFAULT_ORIGIN, tmp_path)))
    assert found == [f"components/teams/risk.yaml:6:45: team 'risk' binds cloud identity {AWS_ROLE}, which "
                     "environment 'dev' may not grant (the default operator policy); ask the "
                     "operator to list it under teamIdentities, or remove the plugin"]


def test_the_operator_bounds_teams_their_namespaces_and_identities(tmp_path: Path) -> None:
    extra = f"  namespace: risk\n  plugins: [{{kind: AwsIamForServiceAccount, spec: {{awsIamRole: '{AWS_ROLE}'}}}}]\n"
    spec = loaded(repo(tmp_path, teams={"risk": extra}))
    allowed = policy(tmp_path, "kind: OperatorPolicy\nspec:\n  environments:\n    dev:\n      namespaces: [ml-dev, risk]\n"
                               "      teams: [risk]\n      teamIdentities: ['arn:aws:iam::123456789012:role/risk-*']\n")
    assert policy_check(spec, allowed) == []
    no_teams = policy(tmp_path, "kind: OperatorPolicy\nspec:\n  environments:\n    dev: {teams: []}\n")
    assert [m.split(": ", 1)[1] for m in messages(policy_check(spec, no_teams))] == [
        "environment 'dev' may not host team 'risk' (the operator policy policy.yaml); teams allowed: none"]
    narrow = policy(tmp_path, "kind: OperatorPolicy\nspec:\n  environments:\n    dev:\n      namespaces: [ml-*]\n"
                              "      teamIdentities: ['arn:aws:iam::*:role/other']\n")
    found = messages(policy_check(spec, narrow))
    assert any("team 'risk''s namespace 'risk' is not allowed for environment 'dev'" in m for m in found)
    assert any(f"binds cloud identity {AWS_ROLE}" in m for m in found)


def test_a_team_namespace_that_is_reserved_or_taken_by_another_environment_is_refused(tmp_path: Path) -> None:
    envs = {"dev": environment("dev", "ml-dev", "[{name: a, kubeconfig: {context: shared}}]"),
            "staging": environment("staging", "ml-staging", "[{name: b, kubeconfig: {context: shared}}]")}
    spec = loaded(repo(tmp_path, environments=envs))
    found = messages(policy_check(spec, Enforcement.of(OperatorPolicy(), DEFAULT_ORIGIN, tmp_path)))
    assert sorted(m.split(":")[0] for m in found) == ["environments/dev.yaml", "environments/staging.yaml"]
    assert all("namespace 'risk' (used by team 'risk') on context 'shared' of" in m and "team 'risk') cluster" in m
               for m in found)
    reserved = loaded(repo(tmp_path / "r", teams={"risk": "  namespace: kube-system\n"}))
    found = messages(policy_check(reserved, Enforcement.of(OperatorPolicy(), DEFAULT_ORIGIN, tmp_path / "r")))
    assert any("team 'risk''s namespace 'kube-system' is reserved" in m for m in found)


def test_the_validate_summary_lists_each_environments_teams_and_their_namespaces() -> None:
    from reconciler.report import summary
    from tests.spec.conftest import REPO

    hosted = {env["name"]: env["teams"] for env in summary(load(DirectorySource(REPO)))["environments"]}
    assert hosted == {"dev": {"risk": "risk"}, "staging": {"risk": "risk"}, "prod-onprem": {"risk": "risk"},
                      "prod-cloud": {}}
