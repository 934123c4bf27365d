"""The daemon announces: alerts at a local webhook receiver, Kubernetes Events on the test servers.

Wired the way ``platformctl run`` wires it (``build_service`` reads the notifications file), with a
manual clock for the daemon's own deadlines; the notifier sends on its own threads for real.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kubeserver.server import KubeServer
from reconciler.daemon import DaemonConfig, ManualClock
from reconciler.daemon.service import Service, build_service
from tests.daemon.conftest import WAIT, Repo, bump_fraud
from tests.engine.conftest import Fleet
from tests.notify.receiver import Receiver, receiving
from tests.waiting import until

INVENTORY = "platformctl-inventory-prod-cloud"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from receiving()


@pytest.fixture
def service(repo: Repo, fleet: Fleet, receiver: Receiver, tmp_path: Path) -> Iterator[Service]:
    notifications = tmp_path / "operator" / "notifications.yaml"
    notifications.parent.mkdir()
    (notifications.parent / "hook-key").write_text("s3cret\n")
    notifications.write_text(f"""\
apiVersion: platformctl.dev/v1alpha1
kind: Notifications
spec:
  providers:
    - name: receiver
      type: webhook
      url: {receiver.url}/platformctl
      secretFile: hook-key
""")
    config = DaemonConfig(repo=str(repo.path), environments=("prod-cloud",), listen=None, lease="none",
                          poll_interval=30.0, drift_interval=60.0, drift_watch=False, notifications=notifications,
                          state_dir=tmp_path / "state")
    built = build_service(config, connect=fleet.connect, clock=ManualClock(), endpoints=False)
    yield built
    built.daemon.shutdown()


def step(service: Service) -> None:
    service.daemon.step()
    assert service.daemon.wait_idle(WAIT)


def events(server: KubeServer, namespace: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{server.url}/api/v1/namespaces/{namespace}/events", timeout=10) as answer:  # noqa: S310
        return list(json.load(answer)["items"])


def reasons(server: KubeServer, namespace: str, reason: str) -> list[dict[str, Any]]:
    return [e for e in events(server, namespace) if e["reason"] == reason]


def test_a_failed_sync_is_announced_within_seconds_and_its_recovery_too(
        service: Service, repo: Repo, fleet: Fleet, receiver: Receiver) -> None:
    head = repo.head()
    fleet.servers["gke-us"].faults.fail(403, verb="patch", resource="inferenceservices", times=None,
                                        message="admission denied by test")
    step(service)

    got = receiver.wait_for(1, timeout=10.0)  # the notifier's thread posts at once: well within seconds
    assert len(got) == 1, [r.json() for r in got]
    alert = got[0].json()
    assert (alert["kind"], alert["environment"], alert["cluster"], alert["revision"]) == (
        "sync-failed", "prod-cloud", "gke-us", head)
    assert "admission denied by test" in json.dumps(alert)
    assert got[0].path == "/platformctl" and got[0].headers["X-Platformctl-Signature"].startswith("sha256=")

    # Events on the objects the healthy cluster got, and a Warning on the one the other refused.
    eu, us = fleet.servers["gke-eu"], fleet.servers["gke-us"]
    assert until(lambda: len(reasons(eu, "ml-serving", "Created")) >= 3, WAIT)
    created = {e["involvedObject"]["name"]: e for e in reasons(eu, "ml-serving", "Created")}
    fraud = created["fraud-detector"]
    assert fraud["type"] == "Normal" and fraud["source"] == {"component": "platformctl"}
    assert fraud["involvedObject"]["kind"] == "InferenceService" and head[:12] in fraud["message"]
    assert until(lambda: bool(reasons(us, "ml-serving", "ApplyFailed")), WAIT)
    failed = reasons(us, "ml-serving", "ApplyFailed")[0]
    assert failed["type"] == "Warning" and "admission denied by test" in failed["message"]

    # The retry fails the same way: the Warning's count goes up, and the alert is not sent again.
    service.daemon.clock.advance(5)  # type: ignore[attr-defined]
    step(service)
    assert service.daemon.target("prod-cloud", "gke-us").failures == 2
    assert until(lambda: {e["count"] for e in reasons(us, "ml-serving", "ApplyFailed")} == {2}, WAIT)
    assert len(reasons(us, "ml-serving", "ApplyFailed")) == 3  # one per refused InferenceService
    text = service.daemon.metrics.render()[0].decode()
    assert 'platformctl_notifications_dropped_total{provider="receiver",reason="deduplicated"} 1.0' in text

    # Healed: the retry succeeds and the recovery is announced (once).
    us.faults.clear()
    service.daemon.clock.advance(400)  # type: ignore[attr-defined]
    step(service)
    got = receiver.wait_for(2, timeout=10.0)
    assert [r.json()["kind"] for r in got] == ["sync-failed", "recovered"]
    assert got[1].json()["cluster"] == "gke-us"


def test_a_rejected_revision_is_announced_and_recorded_on_each_inventory_then_its_fix(
        service: Service, repo: Repo, fleet: Fleet, receiver: Receiver) -> None:
    step(service)
    good = repo.head()
    bad = repo.commit("typo", {"environments/prod-cloud.yaml": lambda t: t.replace("  namespace: ml-serving",
                                                                                   "  namespce: ml-serving")})
    service.daemon.trigger.fire("test")
    step(service)

    [alert] = [r.json() for r in receiver.wait_for(1, timeout=10.0)]
    assert (alert["kind"], alert["revision"], alert["environment"]) == ("revision-rejected", bad, None)
    assert good[:12] in alert["message"]
    assert alert["details"][0].startswith("environments/prod-cloud.yaml:14:3: unknown key 'namespce'")
    for server in fleet.servers.values():
        assert until(lambda s=server: bool(reasons(s, "ml-serving", "RevisionRejected")), WAIT)  # type: ignore[misc]
        [event] = reasons(server, "ml-serving", "RevisionRejected")
        assert event["involvedObject"] == {"apiVersion": "v1", "kind": "ConfigMap", "name": INVENTORY,
                                           "namespace": "ml-serving"}
        assert event["type"] == "Warning" and "environments/prod-cloud.yaml:14:3" in event["message"]

    fixed = repo.commit("fraud-detector: 5", bump_fraud() | {
        "environments/prod-cloud.yaml": lambda t: t.replace("  namespce: ml-serving", "  namespace: ml-serving")
        .replace("min: 4, max: 16", "min: 5, max: 16")})
    service.daemon.trigger.fire("test")
    step(service)
    got = [r.json() for r in receiver.wait_for(2, timeout=10.0)]
    assert [(a["kind"], a["revision"]) for a in got] == [("revision-rejected", bad), ("recovered", fixed)]
    # Configured Events carry the new revision
    eu = fleet.servers["gke-eu"]
    assert until(lambda: any(fixed[:12] in e["message"] for e in reasons(eu, "ml-serving", "Configured")), WAIT)


def test_notifications_and_events_are_daemon_settings() -> None:
    from reconciler.daemon.config import build_config

    config = build_config({"notifications": "/etc/n.yaml"}, {"PLATFORMCTL_EVENTS": "false"})
    assert (config.notifications, config.events) == (Path("/etc/n.yaml"), False)
    assert build_config({}, {"PLATFORMCTL_NOTIFICATIONS": "/x.yaml"}).notifications == Path("/x.yaml")
    assert build_config({}, {}).events is True and build_config({}, {}).notifications is None


def test_run_once_announces_a_rejected_revision_before_it_exits(repo: Repo, receiver: Receiver, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from reconciler.cli import main

    bad = repo.commit("typo", {"platform.yaml": lambda t: t.replace("kind: Platform", "kind: Platfrom")})
    notifications = tmp_path / "notifications.yaml"
    notifications.write_text("apiVersion: platformctl.dev/v1alpha1\nkind: Notifications\nspec:\n  providers:\n"
                             f"    - {{name: local, type: webhook, url: '{receiver.url}'}}\n")
    code = main(["run", "--once", "--repo", str(repo.path), "--lease", "none", "--listen", "off", "--no-watch",
                 "--state-dir", str(tmp_path / "state"), "--notifications", str(notifications)])
    assert code == 1, capsys.readouterr()
    [alert] = [r.json() for r in receiver.received]  # delivered before the command returned
    assert (alert["kind"], alert["revision"]) == ("revision-rejected", bad)
