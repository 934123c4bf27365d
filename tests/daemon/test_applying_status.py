"""During a long apply the status says which revision is being applied and how far it is, not "Synced" at the old one."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from reconciler.cluster.base import Cluster
from reconciler.daemon.status import Applying, TargetState
from reconciler.objects import Manifest
from reconciler.observability.statuspage import status_html
from reconciler.spec.models import Cluster as ClusterSpec
from tests.daemon.conftest import WAIT, Harness, Repo, replicas
from tests.engine.conftest import Fleet


class _Gate:
    """A cluster whose write of the recsys-ranker InferenceService waits until released (once armed).

    The engine writes one rank's objects at once and records their outcomes in plan order (by name):
    fraud-detector's is recorded while recsys-ranker's write is held.
    """

    def __init__(self, inner: Cluster) -> None:
        self.inner = inner
        self.armed = False
        self.reached = threading.Event()
        self.release = threading.Event()

    def apply(self, manifest: Manifest, *, dry_run: bool = False, force: bool = True) -> Manifest:
        if (self.armed and not dry_run and manifest.get("kind") == "InferenceService"
                and manifest["metadata"]["name"] == "recsys-ranker"):
            self.reached.set()
            assert self.release.wait(3 * WAIT)  # longer than any wait of the test: the test fails first
        return self.inner.apply(manifest, dry_run=dry_run, force=force)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _cluster_doc(h: Harness, cluster: str) -> dict[str, Any]:
    [env] = h.daemon.status()["environments"]
    [doc] = [c for c in env["clusters"] if c["name"] == cluster]
    return doc  # type: ignore[no-any-return]


def test_the_status_shows_the_revision_being_applied_and_its_progress(
        repo: Repo, fleet: Fleet, make_daemon: Callable[..., Harness]) -> None:
    gates: dict[str, _Gate] = {}

    def connect(spec: ClusterSpec) -> Cluster:
        gate = _Gate(fleet.connect(spec))
        gates[spec.name] = gate
        return gate  # type: ignore[return-value]

    h = make_daemon(repo, connect)
    h.step()
    old = repo.head()
    assert _cluster_doc(h, "gke-eu")["sync"] == "Synced" and _cluster_doc(h, "gke-eu")["applying"] is None

    gates["gke-eu"].armed = True
    new = repo.commit("fraud-detector and recsys-ranker: more replicas", {
        "environments/prod-cloud.yaml": lambda t: replicas(replicas(t, "min: 4, max: 16", "min: 5, max: 16"),
                                                           "min: 2, max: 6", "min: 3, max: 6")})
    h.daemon.trigger.fire("test")
    h.daemon.step()  # no wait: gke-eu's apply is held at recsys-ranker's write
    assert gates["gke-eu"].reached.wait(WAIT)
    assert h.daemon.wait_until(lambda: (_cluster_doc(h, "gke-eu")["applying"] or {}).get("done") == 1, WAIT)

    during = _cluster_doc(h, "gke-eu")
    assert during["sync"] == "Applying"
    assert during["applying"]["revision"] == new and during["applying"]["total"] == 2
    assert during["revision"] == old  # what is fully applied is still the old revision
    page = status_html(h.daemon.status())
    assert f"applying <code>{new[:12]}</code> (1/2 objects)" in page

    gates["gke-eu"].release.set()
    assert h.daemon.wait_idle(WAIT)
    after = _cluster_doc(h, "gke-eu")
    assert (after["sync"], after["applying"], after["revision"]) == ("Synced", None, new)
    assert "applying <code>" not in status_html(h.daemon.status())


def test_an_apply_stuck_on_a_cluster_that_stopped_answering_shows_unknown_not_applying() -> None:
    since = datetime(2025, 1, 1, tzinfo=timezone.utc)
    state = TargetState("prod-cloud", "gke-us", applying=Applying("r2", 0, 3, since))
    assert state.sync() == "Applying"

    state.reachable = False  # e.g. planned from the watch cache, then hung in its first dry run

    assert state.sync() == "Unknown"
    assert state.applying is not None  # the document still says which revision is in flight
