"""An alert as each provider's request (pure)."""

from __future__ import annotations

import hashlib
import hmac
import json

from reconciler.notify.alert import Alert, AlertKind
from reconciler.notify.model import Provider
from reconciler.notify.payloads import GITHUB_DESCRIPTION, request_for
from reconciler.notify.settings import ProviderSettings

SHA = "0123456789abcdef0123456789abcdef01234567"
FAILED = Alert(AlertKind.SYNC_FAILED, "reconcile of prod on eu failed: 1 object failed", SHA, "prod", "eu",
               details=("InferenceService/ml/fraud: admission webhook denied",))
NOW = "2026-12-06T12:00:00Z"


def provider(type_: str, url: str = "https://hooks.example/x", **extra: object) -> ProviderSettings:
    fields: dict[str, object] = {"name": "p", "type": type_, **extra}
    if type_ in ("webhook", "slack"):
        fields["url"] = url
        return ProviderSettings(Provider.model_validate(fields), url, secret=b"key" if type_ == "webhook" else b"")
    fields.update(tokenFile="token", repository="acme/platform")
    return ProviderSettings(Provider.model_validate(fields), url, token="t0ken")


def test_the_generic_webhook_gets_one_json_object_signed_with_the_secret() -> None:
    request = request_for(provider("webhook", statusPage="https://ops.example/status"), FAILED, NOW)
    assert request is not None
    assert request.url == "https://hooks.example/x"
    assert json.loads(request.body) == {
        "kind": "sync-failed", "severity": "error", "title": f"[sync-failed] prod/eu at {SHA[:12]}",
        "message": FAILED.message, "environment": "prod", "cluster": "eu", "component": None, "revision": SHA,
        "details": ["InferenceService/ml/fraud: admission webhook denied"], "timestamp": NOW,
        "reportingController": "platformctl", "link": "https://ops.example/status"}
    expected = "sha256=" + hmac.new(b"key", request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-Platformctl-Signature"] == expected
    assert request.headers["Content-Type"] == "application/json"


def test_slack_gets_text_and_a_coloured_attachment() -> None:
    request = request_for(provider("slack"), FAILED, NOW)
    assert request is not None
    body = json.loads(request.body)
    assert body["text"] == f"[sync-failed] prod/eu at {SHA[:12]}"
    attachment = body["attachments"][0]
    assert attachment["color"] == "danger"
    assert "• InferenceService/ml/fraud: admission webhook denied" in attachment["text"]
    assert {"title": "Cluster", "value": "eu", "short": True} in attachment["fields"]
    recovered = request_for(provider("slack"), Alert(AlertKind.RECOVERED, "ok", SHA, "prod", "eu"), NOW)
    assert recovered is not None and json.loads(recovered.body)["attachments"][0]["color"] == "good"


def test_github_gets_a_commit_status_on_the_revision_with_a_bearer_token() -> None:
    request = request_for(provider("github", "https://api.github.com/repos/acme/platform/statuses/"), FAILED, NOW)
    assert request is not None
    assert request.url == f"https://api.github.com/repos/acme/platform/statuses/{SHA}"
    assert request.headers["Authorization"] == "Bearer t0ken"
    body = json.loads(request.body)
    assert body["state"] == "failure" and body["context"] == "platformctl/prod/eu"
    assert body["description"].startswith("sync-failed: reconcile of prod on eu failed")
    long = Alert(AlertKind.SYNC_FAILED, "x" * 500, SHA, "prod", "eu")
    request = request_for(provider("github"), long, NOW)
    assert request is not None and len(json.loads(request.body)["description"]) == GITHUB_DESCRIPTION
    ok = request_for(provider("github"), Alert(AlertKind.RECOVERED, "fine", SHA, "prod", "eu"), NOW)
    assert ok is not None and json.loads(ok.body)["state"] == "success"


def test_gitlab_gets_its_own_states_and_token_header() -> None:
    request = request_for(provider("gitlab", "https://gitlab.example/api/v4/projects/42/statuses/"), FAILED, NOW)
    assert request is not None
    assert request.url.endswith(f"/projects/42/statuses/{SHA}")
    assert request.headers["PRIVATE-TOKEN"] == "t0ken"
    body = json.loads(request.body)
    assert (body["state"], body["name"]) == ("failed", "platformctl/prod/eu")
    rejected = Alert(AlertKind.REVISION_REJECTED, "bad", SHA)
    request = request_for(provider("gitlab"), rejected, NOW)
    assert request is not None and json.loads(request.body)["name"] == "platformctl/source"


def test_a_commit_status_needs_a_commit_and_is_not_sent_for_drift() -> None:
    assert request_for(provider("github"), Alert(AlertKind.SYNC_FAILED, "x", None, "prod", "eu"), NOW) is None
    assert request_for(provider("github"), Alert(AlertKind.SYNC_FAILED, "x", "dirty", "prod", "eu"), NOW) is None
    assert request_for(provider("github"), Alert(AlertKind.DRIFT, "x", SHA, "prod", "eu"), NOW) is None
    assert request_for(provider("webhook"), Alert(AlertKind.DRIFT, "x", SHA, "prod", "eu"), NOW) is not None
