"""deploy/: every manifest parses, kustomize lists it, the Deployment is locked down, RBAC is least privilege."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.cluster.kinds import KNOWN_KINDS
from reconciler.kinds import PROTECTED_KINDS, RENDERED_KINDS
from reconciler.render import render_environment
from reconciler.source.directory import DirectorySource
from reconciler.spec.load import load

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
# Written besides what render produces: inventory ConfigMaps, Events, the leader Lease.
STORED_KINDS = {("v1", "ConfigMap"), ("v1", "Event")}
WRITE_VERBS = {"get", "create", "patch"}
FORBIDDEN_VERBS = {"*", "escalate", "bind", "impersonate", "deletecollection"}


def documents(name: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((DEPLOY / name).read_text()) if d is not None]


@cache
def objects() -> list[dict[str, Any]]:
    kustomization = documents("kustomization.yaml")[0]
    return [doc for name in kustomization["resources"] for doc in documents(name)]


def one(kind: str, name: str | None = None) -> dict[str, Any]:
    (found,) = [o for o in objects() if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]
    return found


@cache
def rendered_kinds() -> frozenset[tuple[str, str]]:
    """(apiVersion, kind) of every object the bundled platform renders, over all environments."""
    spec = load(DirectorySource(ROOT))
    return frozenset((str(r.manifest["apiVersion"]), str(r.manifest["kind"]))
                     for env in spec.environments
                     for rendered in render_environment(spec, env, "test").values() for r in rendered)


def grants(rules: list[dict[str, Any]]) -> dict[tuple[str, str], set[str]]:
    """(group, resource) -> verbs, over every rule."""
    out: dict[tuple[str, str], set[str]] = {}
    for rule in rules:
        for group in rule.get("apiGroups", []):
            for resource in rule.get("resources", []):
                out.setdefault((group, resource), set()).update(rule["verbs"])
    return out


def all_rules() -> Iterator[dict[str, Any]]:
    for obj in objects():
        if obj["kind"] in ("ClusterRole", "Role"):
            yield from obj["rules"]


def test_every_file_parses_and_the_kustomization_lists_every_manifest() -> None:
    manifests = sorted(p.name for p in DEPLOY.glob("*.yaml") if p.name != "kustomization.yaml")
    kustomization = documents("kustomization.yaml")[0]
    assert sorted(kustomization["resources"]) == manifests
    for name in manifests:
        for doc in documents(name):
            assert {"apiVersion", "kind", "metadata"} <= doc.keys(), name
    assert (DEPLOY / "Containerfile").is_file()


def test_namespaced_objects_live_in_the_daemon_namespace() -> None:
    namespace = one("Namespace")["metadata"]["name"]
    assert documents("kustomization.yaml")[0]["namespace"] == namespace
    for obj in objects():
        if obj["kind"] not in ("Namespace", "ClusterRole", "ClusterRoleBinding"):
            assert obj["metadata"]["namespace"] == namespace, obj["kind"]


def test_deployment_security_and_probes() -> None:
    deployment = one("Deployment")
    assert deployment["spec"]["replicas"] == 2
    pod = deployment["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == one("ServiceAccount")["metadata"]["name"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    (container,) = pod["containers"]
    sc = container["securityContext"]
    assert sc["runAsNonRoot"] is True and sc["readOnlyRootFilesystem"] is True
    assert sc["allowPrivilegeEscalation"] is False and sc.get("privileged", False) is False
    assert sc["capabilities"] == {"drop": ["ALL"]}
    assert sc["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    for kind in ("requests", "limits"):
        assert {"cpu", "memory"} <= container["resources"][kind].keys()
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    assert "emptyDir" in volumes[mounts["/tmp"]["name"]]
    assert "emptyDir" in volumes[mounts["/var/lib/platformctl"]["name"]]
    for volume in volumes.values():  # secrets and keys are read-only files, never variables
        if "secret" in volume or "configMap" in volume:
            (mount,) = [m for m in container["volumeMounts"] if m["name"] == volume["name"]]
            assert mount["readOnly"] is True, volume["name"]
    assert volumes["webhook"]["secret"].get("optional", False) is False
    assert volumes["kubeconfigs"]["secret"]["optional"] is True
    assert "configMap" in volumes["verification-keys"]
    env = {e["name"] for e in container["env"]}
    assert {"PLATFORMCTL_WEBHOOK_SECRET_FILE", "PLATFORMCTL_LEASE_NAME", "PLATFORMCTL_LEASE_NAMESPACE"} <= env
    assert not any("valueFrom" in e and "secretKeyRef" in e["valueFrom"] for e in container["env"])
    config = documents("kustomization.yaml")[0]["configMapGenerator"][0]["literals"]
    keys = {literal.split("=", 1)[0] for literal in config}
    assert {"PLATFORMCTL_REPO", "PLATFORMCTL_BRANCH", "PLATFORMCTL_INTERVAL", "PLATFORMCTL_ENVIRONMENTS"} <= keys


def test_service_exposes_metrics_and_webhook_on_the_container_port() -> None:
    service = one("Service")
    container = one("Deployment")["spec"]["template"]["spec"]["containers"][0]
    port_names = {p["name"] for p in container["ports"]}
    ports = {p["name"]: p for p in service["spec"]["ports"]}
    assert {"http-metrics", "webhook"} <= ports.keys()
    assert all(p["targetPort"] in port_names for p in ports.values())
    assert service["spec"]["selector"].items() <= \
        one("Deployment")["spec"]["template"]["metadata"]["labels"].items()


def test_rbac_covers_every_kind_the_daemon_writes() -> None:
    cluster_role = grants(one("ClusterRole")["rules"])
    known = {(k.api_version, k.kind): k for k in KNOWN_KINDS}
    written = rendered_kinds() | STORED_KINDS
    assert {kind for _v, kind in rendered_kinds()} >= {"Namespace", "Notebook", "InferenceService"}
    for api_version, kind in sorted(written):
        ref = known.get((api_version, kind))
        assert ref is not None, f"{kind} is written but not in KNOWN_KINDS"
        verbs = cluster_role.get((ref.group, ref.plural), set())
        if kind == "Event":
            needed = {"create", "patch"}
        elif not ref.namespaced:
            needed = set(WRITE_VERBS)  # cluster-scoped (our Namespace): read by name, never listed (see below)
        else:
            needed = WRITE_VERBS | {"list"}  # the engine LISTs each kind it owns
            if (api_version, kind) not in STORED_KINDS and kind not in PROTECTED_KINDS:
                needed |= {"delete"}  # pruning
        assert needed <= verbs, f"{kind}: {sorted(needed - verbs)} missing"


def test_rbac_grants_nothing_else() -> None:
    """Only kinds we write (the bundled platform's, or any kind the renderer emits): no secrets, no wildcard,
    no delete of protected kinds, no cluster-wide leases."""
    written = rendered_kinds() | STORED_KINDS | frozenset(RENDERED_KINDS)
    plurals = {(k.group, k.plural) for k in KNOWN_KINDS if (k.api_version, k.kind) in written}
    plurals |= {("events.k8s.io", "events")}
    cluster_role = grants(one("ClusterRole")["rules"])
    assert set(cluster_role) <= plurals, sorted(set(cluster_role) - plurals)
    for rule in all_rules():
        assert "*" not in rule.get("apiGroups", []) and "*" not in rule.get("resources", [])
        assert not FORBIDDEN_VERBS & set(rule["verbs"])
        assert "nonResourceURLs" not in rule
    assert not any(resource in ("secrets", "pods", "pods/exec") for _g, resource in cluster_role)
    for (group, resource), verbs in cluster_role.items():
        kinds = [k.kind for k in KNOWN_KINDS if (k.group, k.plural) == (group, resource)]
        if any(kind in PROTECTED_KINDS for kind in kinds):
            assert "delete" not in verbs, resource


def _managed_environments() -> list[str]:
    literals = documents("kustomization.yaml")[0]["configMapGenerator"][0]["literals"]
    [value] = [item.split("=", 1)[1] for item in literals if item.startswith("PLATFORMCTL_ENVIRONMENTS=")]
    return value.split(",")


def test_cluster_scoped_kinds_are_listed_and_watched_only_by_the_names_the_daemon_reads() -> None:
    """list/watch on Namespaces and Profiles only for the objects the deployed environments render (what
    the watch cache watches by name), each inside the operator policy's namespaces: never every one."""
    spec = load(DirectorySource(ROOT))
    rendered: dict[str, set[str]] = {"namespaces": set(), "profiles": set()}
    for environment in _managed_environments():
        for found in render_environment(spec, environment, "test").values():
            for r in found:
                plural = {"Namespace": "namespaces", "Profile": "profiles"}.get(str(r.manifest["kind"]))
                if plural:
                    rendered[plural].add(str(r.manifest["metadata"]["name"]))
    policy = yaml.safe_load((DEPLOY / "policy" / "operator-policy.yaml").read_text())
    allowed = {n for env in policy["spec"]["environments"].values() for n in env["namespaces"]}
    cluster_scoped = {(k.group, k.plural) for k in KNOWN_KINDS if not k.namespaced}
    named: dict[str, set[str]] = {}
    for rule in one("ClusterRole")["rules"]:
        resources = {(g, r) for g in rule["apiGroups"] for r in rule["resources"]}
        if {"list", "watch"} & set(rule["verbs"]) and resources & cluster_scoped:
            assert rule.get("resourceNames"), rule  # a list of every namespace would show the whole cluster
            assert set(rule["verbs"]) == {"list", "watch"} and len(resources) == 1, rule
            [(_group, plural)] = resources
            named.setdefault(plural, set()).update(rule["resourceNames"])
    assert named == rendered == {"namespaces": {"ml-prod", "risk"}, "profiles": {"risk"}}
    assert named["namespaces"] | named["profiles"] <= allowed


def test_leader_election_is_a_role_in_the_daemon_namespace() -> None:
    role = one("Role")
    assert grants(role["rules"]) == {("coordination.k8s.io", "leases"): {"get", "create", "update", "patch"},
                                     ("", "configmaps"): {"get", "create", "patch"}}  # the push relay
    named = [r for r in role["rules"] if {"get", "update", "patch"} & set(r["verbs"])]
    lease = next(e["value"] for e in one("Deployment")["spec"]["template"]["spec"]["containers"][0]["env"]
                 if e["name"] == "PLATFORMCTL_LEASE_NAME")
    assert all(r.get("resourceNames") == [lease if "leases" in r["resources"] else f"{lease}-push"] for r in named)
    binding = one("RoleBinding")
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    assert binding["subjects"][0]["name"] == one("ServiceAccount")["metadata"]["name"]
    cluster_binding = one("ClusterRoleBinding")
    assert cluster_binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                                          "name": one("ClusterRole")["metadata"]["name"]}


def test_containerfile_runs_as_non_root_and_starts_the_daemon() -> None:
    text = (DEPLOY / "Containerfile").read_text()
    assert "python:3.11-slim@sha256:" in text and "FROM ${BASE}" in text
    assert "pip install" in text and "USER 10001" in text
    assert text.rstrip().endswith('ENTRYPOINT ["platformctl", "run"]')
    pod = one("Deployment")["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsUser"] == 10001


def kustomize(directory: Path) -> list[dict[str, Any]]:
    """``kubectl kustomize`` of a directory, with the kubectl `make kube-binaries` builds from upstream."""
    from tests.realkube.binaries import binary

    result = subprocess.run([binary("kubectl"), "kustomize", str(directory)], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return [d for d in yaml.safe_load_all(result.stdout) if d]


@pytest.mark.realkube
def test_kubectl_kustomize_renders() -> None:
    built = kustomize(DEPLOY)
    config, policy = sorted((d for d in built if d["kind"] == "ConfigMap"), key=lambda d: d["metadata"]["name"])
    assert config["metadata"]["name"].startswith("platformctl-config-")
    assert policy["metadata"]["name"].startswith("platformctl-policy-") and "policy.yaml" in policy["data"]
    deployment = next(d for d in built if d["kind"] == "Deployment")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["envFrom"][0]["configMapRef"]["name"] == config["metadata"]["name"]
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    assert volumes["policy"]["configMap"]["name"] == policy["metadata"]["name"]  # a new policy rolls the pods
    assert container["image"] == "ghcr.io/acme/platformctl:0.1.0"
    assert len(built) == len(objects()) + 2


def test_every_platformctl_variable_is_one_the_daemon_reads() -> None:
    config = pytest.importorskip("reconciler.daemon.config")
    known = set(config.ENVIRONMENT.values()) | {"PLATFORMCTL_WEBHOOK_SECRET_FILE", "PLATFORMCTL_WEBHOOK_SECRET"}
    container = one("Deployment")["spec"]["template"]["spec"]["containers"][0]
    literals = documents("kustomization.yaml")[0]["configMapGenerator"][0]["literals"]
    names = {e["name"] for e in container["env"]} | {literal.split("=", 1)[0] for literal in literals}
    text = (DEPLOY / "kustomization.yaml").read_text()
    commented = [line.split("- ", 1)[1].split("=", 1)[0] for line in text.splitlines()
                 if line.strip().startswith("# - PLATFORMCTL_")]
    unknown = {n for n in names | set(commented) if n.startswith("PLATFORMCTL_")} - known
    assert not unknown, sorted(unknown)


@pytest.mark.realkube
def test_the_sharding_component_runs_three_replicas_in_shards_with_lease_rights_only(tmp_path: Path) -> None:
    overlay = tmp_path / "overlay"  # an operator's own overlay: the base plus the component
    overlay.mkdir()
    relative = os.path.relpath(DEPLOY, overlay)
    (overlay / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        f"resources: [{relative}]\ncomponents: [{relative}/components/sharding]\n")
    built = kustomize(overlay)
    assert len(built) == len(objects()) + 2 + 2  # the base, its two generated ConfigMaps, a Role and its binding
    deployment = next(d for d in built if d["kind"] == "Deployment")
    assert deployment["spec"]["replicas"] == 3
    config = next(d for d in built if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("platformctl-config"))
    assert config["data"]["PLATFORMCTL_SHARDS"] == "8" and config["data"]["PLATFORMCTL_BRANCH"] == "main"
    role = next(d for d in built if d["kind"] == "Role" and d["metadata"]["name"] == "platformctl-shards")
    assert role["metadata"]["namespace"] == "platformctl-system"
    assert grants(role["rules"]) == {("coordination.k8s.io", "leases"): {"get", "list", "create", "update", "patch"}}
    binding = next(d for d in built if d["kind"] == "RoleBinding" and d["metadata"]["name"] == "platformctl-shards")
    assert binding["roleRef"]["name"] == "platformctl-shards"
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "platformctl", "namespace": "platformctl-system"}]

