"""A commit whose change the cluster would refuse (an object needs replacement) is reported at its spec
line and waits for the next commit: the daemon never retries it in a loop."""

from __future__ import annotations

import html
from collections.abc import Callable

from reconciler.observability.statuspage import status_html
from reconciler.source.directory import DirectorySource
from reconciler.spec.document import Spec
from reconciler.spec.load import load
from tests.daemon.conftest import Harness, Repo, replicas
from tests.engine.conftest import WRITE_VERBS, Fleet

NOTEBOOK = "components/notebooks/research-gpu.yaml"
KEY = ("prod-onprem", "onprem-gpu")


def _memory(fleet: Fleet) -> str:
    found = fleet.servers["onprem-gpu"].get_object("kubeflow.org", "notebooks", "research-gpu", "ml-prod")
    assert found is not None
    return str(found["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"])


def test_a_change_needing_replacement_waits_for_a_fixing_commit(
    repo: Repo, make_fleet: Callable[[Spec, str], Fleet], make_daemon: Callable[..., Harness]
) -> None:
    fleet = make_fleet(load(DirectorySource(repo.path)), "prod-onprem")
    server = fleet.servers["onprem-gpu"]
    h = make_daemon(repo, fleet.connect, environments=("prod-onprem",))
    assert h.step().submitted == [("prod-onprem", "onprem-gpu", "revision")]
    assert h.daemon.target(*KEY).error is None

    shrink = repo.commit("research-gpu: smaller workspace, less memory", {NOTEBOOK: lambda t: replicas(
        replicas(t, "size: 50Gi", "size: 40Gi"), "memory: 32Gi", "memory: 16Gi")})
    server.reset_requests()
    assert h.tick(30).submitted == [("prod-onprem", "onprem-gpu", "revision")]

    state = h.daemon.target(*KEY)
    assert state.blocked == shrink and state.error is not None and "need replacement" in state.error
    [located] = state.spec_errors
    assert located.startswith(f"{NOTEBOOK}:18:5: PersistentVolumeClaim/ml-prod/research-gpu-workspace on cluster "
                              "onprem-gpu needs replacement: spec.resources.requests.storage 50Gi -> 40Gi: cannot shrink")
    [cluster] = h.daemon.status()["environments"][0]["clusters"]
    assert cluster["blockedRevision"] == shrink and cluster["specErrors"] == [located]
    assert cluster["nextRetry"] is None and cluster["sync"] == "OutOfSync"
    assert html.escape(located, quote=True) in status_html(h.daemon.status())  # on the status page too
    metrics = h.metrics.render()[0].decode()
    assert 'platformctl_objects_needing_replacement{cluster="onprem-gpu",environment="prod-onprem"} 1.0' in metrics
    assert [r for r in server.requests if r.verb in WRITE_VERBS] == [] and _memory(fleet) == "32Gi"

    # Backoff, drift checks, polls: for half an hour nothing reconciles the refused revision again.
    lists = server.count("list")
    for _ in range(60):
        assert h.tick(30).submitted == []
    assert server.count("list") == lists

    fixed = repo.commit("research-gpu: keep the workspace size", {NOTEBOOK: lambda t: replicas(
        t, "size: 40Gi", "size: 50Gi")})
    assert h.tick(30).submitted == [("prod-onprem", "onprem-gpu", "revision")]
    state = h.daemon.target(*KEY)
    assert (state.error, state.blocked, state.spec_errors, state.applied) == (None, None, [], fixed)
    assert _memory(fleet) == "16Gi"
    metrics = h.metrics.render()[0].decode()
    assert 'platformctl_objects_needing_replacement{cluster="onprem-gpu",environment="prod-onprem"} 0.0' in metrics
