"""The engine against test servers with the real upstream CRDs: converge, no-op, change, prune, faults."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest

from reconciler.cluster.base import Cluster
from reconciler.cluster.kinds import known_kind
from reconciler.engine import ApplyOptions, Target, reconcile
from reconciler.errors import NoAnswer
from reconciler.fleet import targets
from reconciler.objects import Manifest
from reconciler.source.directory import DirectorySource
from reconciler.spec.document import Spec
from reconciler.spec.load import load
from tests.engine.conftest import Fleet, writes
from tests.spec.conftest import REPO, copy_platform

ENVIRONMENTS = ["dev", "staging", "prod-onprem", "prod-cloud"]


@pytest.fixture(scope="module")
def bundled() -> Spec:
    return load(DirectorySource(REPO))


def _names(server_objects: list[dict[str, object]]) -> set[str]:
    return {o["metadata"]["name"] for o in server_objects}  # type: ignore[index]


def _applied_copy(tmp_path: Path, make_fleet: Callable[[Spec, str], Fleet], env: str) -> tuple[Path, Fleet]:
    """A writable copy of the bundled platform, already applied to one environment's test servers."""
    repo = copy_platform(tmp_path / "repo")
    fleet = make_fleet(load(DirectorySource(repo)), env)
    assert all(r.ok for r in fleet.reconcile())
    return repo, fleet


def _live(fleet: Fleet, cluster: str, kind: str, api_version: str, namespace: str) -> list[dict[str, object]]:
    ref = known_kind(api_version, kind)
    assert ref is not None
    [spec] = [c for c in fleet.spec.environments[fleet.environment].model.spec.clusters if c.name == cluster]
    return fleet.connect(spec).list(ref, namespace)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_bundled_platform_applies_cleanly_and_a_second_apply_writes_nothing(
    env: str, bundled: Spec, make_fleet: Callable[[Spec, str], Fleet]
) -> None:
    fleet = make_fleet(bundled, env)
    first = fleet.reconcile()
    assert [r.error for r in first] == [None] * len(first)
    expected = {t.cluster: len(t.manifests) for t in targets(bundled, env, "r1")}
    for result in first:
        created = [c for c in result.changes if c.action == "created"]
        assert len(created) == expected[result.target.cluster]
    fleet.reset_requests()

    second = fleet.reconcile(revision="r2")

    assert all(r.ok and not r.plan.has_changes for r in second)  # type: ignore[union-attr]
    for name, server in fleet.servers.items():
        assert writes(server) == [], name
        assert server.errors == []


def test_one_changed_component_makes_exactly_its_writes(
    tmp_path: Path, make_fleet: Callable[[Spec, str], Fleet]
) -> None:
    repo, fleet = _applied_copy(tmp_path, make_fleet, "prod-cloud")
    env_file = repo / "environments" / "prod-cloud.yaml"
    env_file.write_text(env_file.read_text().replace("replicas: {min: 4, max: 16}", "replicas: {min: 5, max: 16}"))
    fleet.reset_requests()

    results = fleet.reconcile(load(DirectorySource(repo)), revision="r2")

    assert all(r.ok for r in results)
    for server in fleet.servers.values():
        [write] = writes(server)
        assert (write.verb, write.resource, write.name) == ("patch", "inferenceservices.serving.kserve.io", "fraud-detector")


def test_deleting_a_component_prunes_exactly_its_objects(
    tmp_path: Path, make_fleet: Callable[[Spec, str], Fleet]
) -> None:
    repo, fleet = _applied_copy(tmp_path, make_fleet, "dev")
    (repo / "components" / "notebooks" / "analytics.yaml").unlink()
    (repo / "components" / "schedules" / "batch-scoring-hourly.yaml").unlink()
    env_file = repo / "environments" / "prod-onprem.yaml"  # drop the pin and override of the deleted notebook
    env_file.write_text(env_file.read_text().replace("    notebooks/analytics: v1.9.2\n", "")
                        .replace("    notebooks/analytics:\n      stopped: true\n", ""))
    fleet.reset_requests()

    [result] = fleet.reconcile(load(DirectorySource(repo)), revision="r2")

    assert result.ok, result.error
    pruned = sorted(str(c.key) for c in result.changes if c.action == "pruned")
    skipped = sorted(str(c.key) for c in result.changes if c.action == "skipped")
    assert pruned == ["Notebook/ml-dev/analytics", "ScheduledWorkflow/ml-dev/batch-scoring-hourly"]
    assert skipped == ["PersistentVolumeClaim/ml-dev/analytics-scratch", "PersistentVolumeClaim/ml-dev/analytics-workspace"]
    deletes = [w for w in writes(fleet.servers["local"]) if w.verb == "delete"]
    assert sorted((d.resource, d.name) for d in deletes) == [
        ("notebooks.kubeflow.org", "analytics"), ("scheduledworkflows.kubeflow.org", "batch-scoring-hourly")]
    assert all(c.action in ("unchanged", "pruned", "skipped") for c in result.changes)


def test_an_object_copying_our_labels_is_not_ours(
    tmp_path: Path, make_fleet: Callable[[Spec, str], Fleet]
) -> None:
    repo = copy_platform(tmp_path / "repo")
    spec = load(DirectorySource(repo))
    fleet = make_fleet(spec, "prod-cloud")
    fleet.reconcile()
    [target] = [t for t in targets(spec, "prod-cloud", "r1") if t.cluster == "gke-eu"]
    copycat = next(m for m in target.manifests if m["kind"] == "InferenceService")
    impostor = {**copycat, "metadata": {**copycat["metadata"], "name": "someone-elses-model"}}
    cluster = fleet.connect(spec.environments["prod-cloud"].model.spec.clusters[0])
    cluster.apply(impostor)

    results = fleet.reconcile(revision="r2")

    assert all(r.ok for r in results)
    ref = known_kind("serving.kserve.io/v1beta1", "InferenceService")
    assert ref is not None
    assert cluster.get(ref, "ml-serving", "someone-elses-model") is not None
    assert not any(c.action == "pruned" for r in results for c in r.changes)


def test_flaky_writes_converge_to_the_same_state(bundled: Spec, make_fleet: Callable[[Spec, str], Fleet]) -> None:
    calm = make_fleet(bundled, "dev")
    calm.reconcile()
    stormy = make_fleet(bundled, "dev")
    for server in stormy.servers.values():
        server.faults.fail_rate(0.20, 500, verb="patch", seed=11)
        server.faults.fail_rate(0.05, 429, verb="patch", seed=12)

    results = stormy.reconcile()

    assert all(r.ok for r in results), [r.error for r in results]
    for kind, version in [("Notebook", "kubeflow.org/v1"), ("InferenceService", "serving.kserve.io/v1beta1"),
                          ("ScheduledWorkflow", "kubeflow.org/v1beta1"), ("PersistentVolumeClaim", "v1")]:
        assert _names(_live(stormy, "local", kind, version, "ml-dev")) == _names(_live(calm, "local", kind, version, "ml-dev"))
    for server in stormy.servers.values():
        server.faults.clear()
        server.reset_requests()
    again = stormy.reconcile(revision="r2")
    assert all(r.ok and not r.plan.has_changes for r in again)  # type: ignore[union-attr]


class _SilentDryRuns:
    """Reads answered; every dry run gets no answer (the cluster went away after it was read, or its
    reads came from a watch cache)."""

    def __init__(self, inner: Cluster) -> None:
        self.inner = inner

    def apply(self, manifest: Manifest, *, dry_run: bool = False, force: bool = True) -> Manifest:
        if dry_run:
            raise NoAnswer("cannot reach cluster gke-eu: connection refused", key="an object")
        return self.inner.apply(manifest, dry_run=dry_run, force=force)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_a_dry_run_without_an_answer_is_the_cluster_unreachable_not_a_rejection(
        bundled: Spec, make_fleet: Callable[[Spec, str], Fleet]) -> None:
    fleet = make_fleet(bundled, "prod-cloud")
    [target, _other] = targets(bundled, "prod-cloud", "r1")
    cluster: Cluster = fleet.connect(bundled.environments["prod-cloud"].model.spec.clusters[0])

    result = reconcile(cast(Cluster, _SilentDryRuns(cluster)), target, ApplyOptions())

    assert result.error == "cannot reach cluster gke-eu: connection refused"
    assert not [c for c in result.changes if c.action == "failed"]  # nothing was rejected
    assert writes(fleet.servers["gke-eu"]) == []


def test_one_invalid_object_means_nothing_written(bundled: Spec, make_fleet: Callable[[Spec, str], Fleet]) -> None:
    fleet = make_fleet(bundled, "prod-cloud")
    [target, _other] = targets(bundled, "prod-cloud", "r1")
    broken = [dict(m) for m in target.manifests]
    isvc = next(i for i, m in enumerate(broken) if m["kind"] == "InferenceService")
    broken[isvc] = {**broken[isvc], "spec": {"predictor": {"scaleMetric": "qps", "model": {"modelFormat": {"name": "x"}}}}}
    cluster: Cluster = fleet.connect(bundled.environments["prod-cloud"].model.spec.clusters[0])
    fleet.servers["gke-eu"].reset_requests()

    result = reconcile(cluster, Target(target.environment, target.cluster, target.namespace, "r1", broken),
                       ApplyOptions())

    assert result.error is not None and "rejected by the cluster's dry run" in result.error
    [failure] = [c for c in result.changes if c.action == "failed"]
    assert str(failure.key) == f"InferenceService/ml-serving/{broken[isvc]['metadata']['name']}"
    assert "scaleMetric" in failure.message and "qps" in failure.message
    non_namespace = [w for w in writes(fleet.servers["gke-eu"]) if w.resource != "namespaces"]
    assert non_namespace == []


def test_a_field_removed_from_git_is_removed_from_the_cluster(
    tmp_path: Path, make_fleet: Callable[[Spec, str], Fleet]
) -> None:
    repo, fleet = _applied_copy(tmp_path, make_fleet, "prod-cloud")
    env_file = repo / "environments" / "prod-cloud.yaml"
    env_file.write_text(env_file.read_text().replace("      canary: {trafficPercent: 10}\n", ""))

    results = fleet.reconcile(load(DirectorySource(repo)), revision="r2")

    assert all(r.ok for r in results)
    [isvc] = [o for o in _live(fleet, "gke-eu", "InferenceService", "serving.kserve.io/v1beta1", "ml-serving")
              if o["metadata"]["name"] == "fraud-detector"]  # type: ignore[index]
    assert "canaryTrafficPercent" not in isvc["spec"]["predictor"]  # type: ignore[index]
