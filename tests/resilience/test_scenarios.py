"""Resilience scenarios against the test API server: faults, scale of reads, crashes, ownership, tenancy."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.cluster.base import Cluster, KindRef
from reconciler.cluster.kinds import known_kind
from reconciler.cluster.kube.cluster import KubeCluster
from reconciler.cluster.kube.options import KubeOptions
from reconciler.component_status import status_rows
from reconciler.engine import ApplyOptions, Result, Target, reconcile
from reconciler.fleet import targets
from reconciler.health import Status
from reconciler.objects import Manifest, ObjectKey
from reconciler.observability.metrics import Metrics
from reconciler.spec.document import Spec
from tests.engine.conftest import Fleet, writes
from kubeserver import kubeconfig
from kubeserver.server import KubeServer
from tests.resilience.conftest import FakeClock


def _target(spec: Spec, env: str = "dev", revision: str = "r1") -> Target:
    [target] = targets(spec, env, revision)
    return Target(target.environment, "c1", "ml-dev", revision, target.manifests)


def _cluster(server: KubeServer, tmp_path: Path, **options: Any) -> KubeCluster:
    config = kubeconfig.write(tmp_path / f"config-{server.name}", {server.name: server})
    opts = KubeOptions(**{"sleep": lambda _s: None, "qps": 0, "burst": 0, **options})
    return KubeCluster(server.name, kubeconfig=str(config), context=server.name, options=opts)


@pytest.fixture
def server(kube_cluster_factory: Callable[..., KubeServer]) -> KubeServer:
    made = kube_cluster_factory("c1")
    made.install_crds()
    return made


def test_flaky_writes_converge_without_duplicates_and_with_bounded_extra_requests(
    server: KubeServer, tmp_path: Path, generated: Callable[[int], Spec]
) -> None:
    target = _target(generated(60))
    server.faults.fail_rate(0.20, 500, verb="patch", seed=3)
    server.faults.fail_rate(0.05, 429, verb="patch", seed=4)

    result = reconcile(_cluster(server, tmp_path), target)

    assert result.ok, result.error
    patches = [r for r in server.requests if r.verb == "patch"]
    needed = 2 * len(target.manifests) + 1  # dry-run + apply per object, plus the inventory
    assert len(patches) <= needed * 1.6  # about 25% fail and are retried; bounded
    server.faults.clear()
    for kind in ("notebooks", "inferenceservices", "experiments", "scheduledworkflows"):
        ref = next(k for k in _kinds() if k.plural == kind)
        names = [o["metadata"]["name"] for o in _cluster(server, tmp_path).list(ref, "ml-dev")]
        assert len(names) == len(set(names)) == sum(1 for m in target.manifests if m["kind"] == ref.kind)


def _kinds() -> list[KindRef]:
    from reconciler.cluster.kinds import KNOWN_KINDS

    return list(KNOWN_KINDS)


@pytest.mark.parametrize("size", [40, 160])
def test_a_no_op_reconcile_is_free_and_its_reads_do_not_grow(
    size: int, server: KubeServer, tmp_path: Path, generated: Callable[[int], Spec]
) -> None:
    target = _target(generated(size))
    cluster = _cluster(server, tmp_path)
    assert reconcile(cluster, target).ok
    server.reset_requests()

    result = reconcile(cluster, Target(target.environment, target.cluster, target.namespace, "r2", target.manifests))

    assert result.ok and result.plan is not None and not result.plan.has_changes
    assert writes(server) == []
    kinds = {(m["apiVersion"], m["kind"]) for m in target.manifests}
    reads = [r for r in server.requests if r.verb in ("get", "list")]
    # one GET of the inventory, one GET of the namespace, one LIST per namespaced kind
    assert len(reads) == 1 + 1 + (len(kinds) - 1)


def test_the_client_side_rate_limit_holds_under_a_large_cold_apply(
    server: KubeServer, tmp_path: Path, generated: Callable[[int], Spec]
) -> None:
    target = _target(generated(120))
    clock = FakeClock()
    cluster = _cluster(server, tmp_path, qps=20.0, burst=10, clock=clock, sleep=clock.sleep)

    result = reconcile(cluster, target, ApplyOptions(concurrency=1))

    assert result.ok
    requests = sum(cluster.request_counts().values())
    elapsed = clock.now - 1000.0
    assert requests > 200
    assert elapsed >= (requests - 10) / 20.0 * 0.99  # never faster than 20 requests/s after the burst
    assert cluster.throttled_seconds == pytest.approx(elapsed, rel=0.01)
    metrics = Metrics()
    metrics.throttled("c1", cluster.throttled_seconds)
    metrics.api_requests("c1", cluster.request_counts())
    exposition = metrics.render()[0].decode()
    assert f'platformctl_client_throttled_seconds_total{{cluster="c1"}} {cluster.throttled_seconds}' in exposition
    assert f'platformctl_api_requests_total{{cluster="c1",verb="patch"}} {float(cluster.request_counts()["patch"])}' \
        in exposition


def test_the_automatic_limit_gives_way_to_the_servers_priority_and_fairness(
    server: KubeServer, tmp_path: Path, generated: Callable[[int], Spec]
) -> None:
    target = _target(generated(120))
    clock = FakeClock()
    cluster = _cluster(server, tmp_path, qps=20.0, burst=10, defer_to_flow_control=True, clock=clock,
                       sleep=clock.sleep)
    server.faults.throttle(retry_after=1, times=3)  # APF sheds some load: the client must wait as told

    result = reconcile(cluster, target, ApplyOptions(concurrency=1))

    assert result.ok, result.error
    assert sum(cluster.request_counts().values()) > 200
    assert cluster.throttled_seconds == 0.0  # the client-side bucket was lifted after the first answer
    assert cluster.retries == 3 and clock.now - 1000.0 == pytest.approx(3.0)  # Retry-After honoured
    metrics = Metrics()
    metrics.rate_limit("c1", cluster.rate_limit)
    assert 'platformctl_client_rate_limit_qps{cluster="c1"} 0.0' in metrics.render()[0].decode()


def test_mass_deletion_is_refused_until_explicitly_allowed(
    server: KubeServer, tmp_path: Path, generated: Callable[[int], Spec]
) -> None:
    target = _target(generated(40))
    cluster = _cluster(server, tmp_path)
    assert reconcile(cluster, target).ok
    namespace_only = Target(target.environment, target.cluster, target.namespace, "r2",
                            [m for m in target.manifests if m["kind"] == "Namespace"])
    gutted = Target(target.environment, target.cluster, target.namespace, "r2",
                    target.manifests[: len(target.manifests) // 3])
    server.reset_requests()

    everything = reconcile(cluster, namespace_only, ApplyOptions(max_prune_fraction=1.0))
    refused = reconcile(cluster, gutted, ApplyOptions(max_prune_fraction=0.3))

    assert everything.error is not None and "deletes everything platformctl owns" in everything.error
    assert refused.error is not None and "deletion budget of 30%" in refused.error
    assert writes(server) == []
    allowed = reconcile(cluster, gutted, ApplyOptions(max_prune_fraction=0.3, allow_mass_prune=True))
    assert allowed.ok
    assert sum(1 for c in allowed.changes if c.action == "pruned") > 10


def test_an_object_another_owner_also_applies_is_never_pruned(
    server: KubeServer, tmp_path: Path, generated: Callable[[int], Spec]
) -> None:
    target = _target(generated(12))
    cluster = _cluster(server, tmp_path)
    assert reconcile(cluster, target).ok
    isvc = next(m for m in target.manifests if m["kind"] == "InferenceService")
    shared = {"apiVersion": isvc["apiVersion"], "kind": isvc["kind"],
              "metadata": {"name": isvc["metadata"]["name"], "namespace": "ml-dev", "labels": {"team": "other"}}}
    other_team = kubeconfig.dynamic_client(tmp_path / "config-c1", "c1")
    resource = other_team.resources.get(api_version=isvc["apiVersion"], kind="InferenceService")
    resource.server_side_apply(body=shared, namespace="ml-dev", field_manager="team-b", force_conflicts=True)
    without = Target(target.environment, target.cluster, target.namespace, "r2",
                     [m for m in target.manifests if m is not isvc])

    result = reconcile(cluster, without, ApplyOptions(allow_mass_prune=True))

    assert result.ok
    [skip] = [c for c in result.changes if c.key == ObjectKey.of(isvc)]
    assert skip.action == "skipped" and "team-b" in skip.message
    ref = known_kind("serving.kserve.io/v1beta1", "InferenceService")
    assert ref is not None and cluster.get(ref, "ml-dev", isvc["metadata"]["name"]) is not None


def _annotated(manifest: Manifest, value: str) -> Manifest:
    metadata = manifest["metadata"]
    return {**manifest, "metadata": {**metadata, "annotations": {**metadata.get("annotations", {}),
                                                                  "example.com/touched": value}}}


class _Crash(BaseException):
    """Stands in for the process being killed: nothing in the engine catches it."""


class CrashingCluster:
    """Delegates to a real cluster and dies before the n-th write."""

    def __init__(self, inner: Cluster, writes_before_crash: int) -> None:
        self.inner, self.left, self.name = inner, writes_before_crash, inner.name

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.inner, attr)

    def _maybe_crash(self) -> None:
        if self.left <= 0:
            raise _Crash()
        self.left -= 1

    def apply(self, manifest: Manifest, *, dry_run: bool = False, force: bool = True) -> Manifest:
        if not dry_run:
            self._maybe_crash()
        return self.inner.apply(manifest, dry_run=dry_run, force=force)

    def delete(self, kind: KindRef, namespace: str | None, name: str, *, dry_run: bool = False) -> bool:
        if not dry_run:
            self._maybe_crash()
        return self.inner.delete(kind, namespace, name, dry_run=dry_run)

    def write_inventory(self, inventory: Any, namespace: str) -> None:
        self._maybe_crash()
        self.inner.write_inventory(inventory, namespace)


@pytest.mark.parametrize("crash_after", [0, 1, 3, 7, 12, 20, 26])
def test_a_crash_at_any_point_of_an_apply_converges_on_restart_and_loses_nothing(
    crash_after: int, server: KubeServer, tmp_path: Path, generated: Callable[[int], Spec]
) -> None:
    spec = generated(24)
    old = _target(spec, revision="r1")
    cluster = _cluster(server, tmp_path)
    assert reconcile(cluster, old).ok
    rng = random.Random(crash_after)
    prunable = [m for m in old.manifests if m["kind"] not in ("Namespace", "PersistentVolumeClaim")]
    dropped = {ObjectKey.of(m) for m in rng.sample(prunable, 5)}
    touched = [_annotated(m, "r2") for m in old.manifests if ObjectKey.of(m) not in dropped]
    new = Target(old.environment, old.cluster, old.namespace, "r2", touched)  # every object changes

    with pytest.raises(_Crash):
        reconcile(CrashingCluster(cluster, crash_after), new, ApplyOptions(allow_mass_prune=True))  # type: ignore[arg-type]
    restarted = reconcile(_cluster(server, tmp_path), new, ApplyOptions(allow_mass_prune=True))

    assert restarted.ok, restarted.error
    live_keys = set(restarted.live)
    assert {ObjectKey.of(m) for m in new.manifests} <= live_keys
    assert not (dropped & live_keys), "an object Git dropped survived the crash"
    inventory = cluster.read_inventory("dev", "ml-dev")
    assert inventory is not None and inventory.keys() == {ObjectKey.of(m) for m in new.manifests}


def test_one_of_three_clusters_black_holed(
    kube_cluster_factory: Callable[..., KubeServer], tmp_path: Path, generated: Callable[[int], Spec]
) -> None:
    spec = generated(20)
    servers = {name: kube_cluster_factory(name) for name in ("a", "b", "c")}
    for made in servers.values():
        made.install_crds()
    config = kubeconfig.write(tmp_path / "config", servers)
    [base] = targets(spec, "dev", "r1")
    def options(name: str) -> KubeOptions:
        # the black-holed cluster gives up after 2 s; the healthy ones are never cut short on a loaded machine
        timeout = 2.0 if name == "c" else 30.0
        return KubeOptions(sleep=lambda _s: None, read_timeout=timeout, connect_timeout=timeout, max_retries=0,
                           qps=0, burst=0)

    def run_all() -> list[Result]:
        out = []
        for name in servers:
            cluster = KubeCluster(name, kubeconfig=str(config), context=name, options=options(name))
            out.append(reconcile(cluster, Target("dev", name, "ml-dev", "r1", base.manifests)))
        return out

    servers["c"].faults.partition("hang")
    first = run_all()
    assert [r.ok for r in first] == [True, True, False]
    rows = status_rows(first)
    dead = [r for r in rows if r.cluster == "c"]
    assert [r.health.status for r in dead] == [Status.UNKNOWN] and "unreachable" in dead[0].health.message
    assert all(r.health.status is not Status.UNKNOWN for r in rows if r.cluster != "c")

    servers["c"].faults.heal()
    servers["c"].reset_requests()
    [_a, _b, recovered] = run_all()
    assert recovered.ok
    # (reads of the first run that hung are answered at heal() and logged then, marked "hang")
    gets_and_lists = [r for r in servers["c"].requests if r.verb in ("get", "list") and r.fault != "hang"]
    assert len(gets_and_lists) <= 14  # re-sync reads one LIST per kind, not one request per object


def test_tenancy_is_enforced_before_any_api_call(server: KubeServer, tmp_path: Path,
                                                  generated: Callable[[int], Spec]) -> None:
    target = _target(generated(8))
    foreign = dict(target.manifests[-1])
    foreign["metadata"] = {**foreign["metadata"], "namespace": "team-b"}
    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "metadata": {"name": "evil.example.com"}, "spec": {}}
    server.reset_requests()

    result = reconcile(_cluster(server, tmp_path),
                       Target("dev", "c1", "ml-dev", "r1", [*target.manifests, foreign, crd]))

    assert result.error is not None and result.error.startswith("refused before contacting the cluster")
    assert "namespace 'team-b' belongs to another environment" in result.error
    assert "cluster-scoped CustomResourceDefinition" in result.error
    assert server.requests == []
