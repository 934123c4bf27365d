"""The dashboard in a real browser (Debian's chromium, headless): a daemon reconciles prod-cloud on two test
API servers, the fraud detector turns Degraded on one of them; the overview shows it, the filter box finds
it, a click opens its page with the message and the diff, and the page follows the daemon without a reload.

``DASHBOARD_SCREENSHOTS=docs`` also saves the overview and the component page as the README's screenshots
(``make screenshots``).
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.observability.http import Endpoints
from tests.browser import chromium
from tests.daemon.conftest import Harness, Repo, bump_fraud, merge_patch
from tests.engine.conftest import Fleet

pytestmark = pytest.mark.browser

TOKEN = "dashboard-read-token-0123456789"
SERVING = "/apis/serving.kserve.io/v1beta1/namespaces/ml-serving/inferenceservices"
HOSTILE = ('Revision "fraud-detector-predictor-00002" failed: <ModelMissing> model not found in '
           's3://models/fraud/7 & no retries left')
"""A message as a controller writes it, with something like markup in it: parsed as HTML, ``<ModelMissing>``
would vanish (cluster and repository text is untrusted; tests/observability/test_dashboard.py has the scripts)."""


def _ready(status: str, reason: str = "", message: str = "", generation: int = 1) -> dict[str, Any]:
    condition = {"type": "Ready", "status": status, "reason": reason, "message": message,
                 "lastTransitionTime": "2025-01-01T12:00:00Z"}
    return {"status": {"conditions": [condition], "observedGeneration": generation}}


def _get(url: str, token: str | None) -> int:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - loopback
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_a_degraded_component_is_found_and_opened_with_its_message_and_diff(
        repo: Repo, fleet: Fleet, make_daemon: Callable[..., Harness], tmp_path: Path) -> None:
    h = make_daemon(repo, fleet.connect)
    h.step()
    eu = fleet.servers["gke-eu"]
    merge_patch(eu, f"{SERVING}/fraud-detector/status", _ready("False", "RevisionFailed", HOSTILE), manager="kserve")
    new = repo.commit("fraud-detector: 5 replicas at least", bump_fraud())
    h.daemon.trigger.fire("test")
    h.step()  # applies the new revision; the live read before it finds the failing status

    endpoints = Endpoints("127.0.0.1", 0, metrics=h.metrics, ready=h.daemon.ready, status=h.daemon.status,
                          on_push=h.daemon.on_push, webhook_secret=None, dashboard=h.daemon.dashboard,
                          read_token=TOKEN.encode())
    shots = Path(os.environ["DASHBOARD_SCREENSHOTS"]) if os.environ.get("DASHBOARD_SCREENSHOTS") else None
    with endpoints:
        url = endpoints.url
        assert _get(f"{url}/", None) == 401 and _get(f"{url}/status.json", None) == 401
        assert _get(f"{url}/metrics", "wrong") == 401 and _get(f"{url}/healthz", None) == 200
        with chromium(tmp_path / "profile", headers={"Authorization": f"Bearer {TOKEN}"}) as browser:
            page = browser.new_page()
            dialogs: list[str] = []
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            errors: list[str] = []
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

            page.goto(f"{url}/")
            tile = page.locator("a.tile", has_text="gke-eu")
            assert "h-degraded" in (tile.get_attribute("class") or "")
            assert "1 Degraded" in tile.inner_text()
            assert "h-degraded" not in (page.locator("a.tile", has_text="gke-us").get_attribute("class") or "")
            if shots:
                page.screenshot(path=str(shots / "dashboard.png"))

            page.fill("#filter", "degraded fraud")
            rows = page.locator("table.components tbody tr:visible")
            rows.first.wait_for()
            assert rows.count() == 1 and "gke-eu" in rows.first.inner_text()
            assert tile.is_visible() and page.locator("a.tile", has_text="gke-us").is_hidden()
            rows.first.get_by_role("link", name="serving/fraud-detector").click()

            page.wait_for_url("**/component?**")
            assert page.locator("#health").inner_text() == "Degraded"
            message = page.locator("#message").inner_text()
            assert HOSTILE in message  # shown as text, never as markup
            diff = page.locator("#diff").inner_text()
            lines = [line.strip() for line in diff.splitlines()]
            assert new[:12] in diff and "+    minReplicas: 5" in lines and "-    minReplicas: 4" in lines, diff
            assert page.locator("#diff .d-add", has_text="minReplicas: 5").count() == 1
            assert page.locator("#events").get_by_text("Configured").count() >= 1
            assert page.locator("#health-history").get_by_text(new[:12]).count() >= 1
            if shots:
                page.screenshot(path=str(shots / "dashboard-component.png"))

            # live: the predictor recovers; the page follows without a reload
            page.evaluate("window.notReloaded = true")
            merge_patch(eu, f"{SERVING}/fraud-detector/status", _ready("True", generation=2), manager="kserve")
            report = h.tick(61)  # the drift check reads the recovered status
            assert ("prod-cloud", "gke-eu", "drift") in report.submitted
            page.locator("#health", has_text="Healthy").wait_for(timeout=15_000)
            assert page.evaluate("window.notReloaded") is True
            assert page.locator("#health-history tbody tr").count() >= 2
            assert dialogs == [] and errors == [], (dialogs, errors)


def test_a_browser_without_the_header_signs_in_and_stays_live(
        repo: Repo, fleet: Fleet, make_daemon: Callable[..., Harness], tmp_path: Path) -> None:
    h = make_daemon(repo, fleet.connect)
    h.step()
    endpoints = Endpoints("127.0.0.1", 0, metrics=h.metrics, ready=h.daemon.ready, status=h.daemon.status,
                          on_push=h.daemon.on_push, webhook_secret=None, dashboard=h.daemon.dashboard,
                          read_token=TOKEN.encode())
    with endpoints, chromium(tmp_path / "profile") as browser:
        page = browser.new_page()
        page.goto(f"{endpoints.url}/cluster?env=prod-cloud&cluster=gke-us")
        assert page.locator("a.tile").count() == 0 and page.locator("h1").inner_text() == "Sign in"
        page.fill("#token", "not it")
        page.click("button[type=submit]")
        assert page.get_by_text("That is not the read token.").is_visible()
        page.fill("#token", TOKEN)
        page.click("button[type=submit]")
        page.wait_for_url("**/cluster?env=prod-cloud&cluster=gke-us")
        assert page.locator("h1").inner_text() == "prod-cloud / gke-us"
        page.locator("#live-state", has_text="live ·").wait_for(timeout=15_000)  # the script's fetches are signed in too
