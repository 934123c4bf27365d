"""The engine's tenancy check takes the cluster-scoped kinds the operator policy allows."""

from __future__ import annotations

from reconciler.tenancy import Scope, tenancy_violations

NAMESPACE = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ml"}}
PROFILE = {"apiVersion": "kubeflow.org/v1", "kind": "Profile", "metadata": {"name": "ml"}}
OTHER_NAMESPACE = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-system"}}


def test_by_default_only_its_own_namespace() -> None:
    assert tenancy_violations([NAMESPACE], Scope("ml")) == []
    (profile,) = tenancy_violations([PROFILE], Scope("ml"))
    assert "cluster-scoped Profile objects are outside this environment's policy" in profile
    (other,) = tenancy_violations([OTHER_NAMESPACE], Scope("ml"))
    assert "may only own its own namespace 'ml'" in other


def test_kinds_the_policy_allows_and_none_when_it_allows_none() -> None:
    assert tenancy_violations([NAMESPACE, PROFILE], Scope("ml", frozenset({"Namespace", "Profile"}))) == []
    assert len(tenancy_violations([OTHER_NAMESPACE], Scope("ml", frozenset({"Namespace", "Profile"})))) == 1
    assert len(tenancy_violations([NAMESPACE], Scope("ml", frozenset()))) == 1


def test_a_hosted_teams_namespace_and_profile_are_inside_and_other_profiles_are_not() -> None:
    scope = Scope("ml", teams=frozenset({"risk"}))
    team_ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "risk"}}
    team_profile = {"apiVersion": "kubeflow.org/v1", "kind": "Profile", "metadata": {"name": "risk"}}
    member = {"apiVersion": "kubeflow.org/v1", "kind": "Notebook", "metadata": {"name": "lab", "namespace": "risk"}}
    assert tenancy_violations([NAMESPACE, team_ns, team_profile, member], scope) == []
    assert scope.namespaces == ("ml", "risk")
    (other,) = tenancy_violations([{**team_profile, "metadata": {"name": "someone-else"}}], scope)
    assert "cluster-scoped Profile objects are outside this environment's policy" in other
    (elsewhere,) = tenancy_violations([{**member, "metadata": {"name": "lab", "namespace": "team-b"}}], scope)
    assert "namespace 'team-b' belongs to another environment (this one writes to 'ml', 'risk')" in elsewhere
