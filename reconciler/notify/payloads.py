"""An alert as each provider's HTTP request (pure): generic JSON, Slack message, GitHub/GitLab commit status."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass, field
from typing import Any

from reconciler.notify.alert import Alert, AlertKind
from reconciler.notify.settings import ProviderSettings

SOURCE = "platformctl"
USER_AGENT = "platformctl-notifier"
MAX_DETAILS = 20
MAX_LINE = 500
GITHUB_DESCRIPTION = 140
"""GitHub refuses a commit status description longer than this."""
_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")


@dataclass(frozen=True)
class HttpRequest:
    """One POST to send."""

    url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def request_for(provider: ProviderSettings, alert: Alert, timestamp: str) -> HttpRequest | None:
    """The request announcing ``alert`` to ``provider``; None when the provider cannot carry it (a commit
    status needs a commit, and drift is about a cluster, not a commit)."""
    kind = provider.model.type
    if kind == "webhook":
        return _signed(provider, _json(webhook_body(alert, timestamp, provider.model.status_page)))
    if kind == "slack":
        return HttpRequest(provider.url, _json(slack_body(alert, provider.model.status_page)),
                           _headers())
    if alert.kind is AlertKind.DRIFT or alert.revision is None or not _SHA.match(alert.revision):
        return None
    body = commit_status(kind, alert, provider.model.context, provider.model.status_page)
    auth = {"Authorization": f"Bearer {provider.token}", "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28"} if kind == "github" else {"PRIVATE-TOKEN": provider.token}
    return HttpRequest(provider.url + alert.revision, _json(body), {**_headers(), **auth})


def webhook_body(alert: Alert, timestamp: str, link: str | None = None) -> dict[str, Any]:
    """The generic JSON payload (one object per alert)."""
    return {
        "kind": alert.kind.value,
        "severity": "error" if alert.error else "info",
        "title": alert.title(),
        "message": _clip(alert.message, MAX_LINE * 4),
        "environment": alert.environment or None,
        "cluster": alert.cluster or None,
        "component": alert.component or None,
        "revision": alert.revision,
        "details": [_clip(d, MAX_LINE) for d in alert.details[:MAX_DETAILS]],
        "timestamp": timestamp,
        "reportingController": SOURCE,
        "link": link,
    }


def slack_body(alert: Alert, link: str | None = None) -> dict[str, Any]:
    """A Slack-compatible incoming-webhook message (``text`` plus one attachment)."""
    lines = [_clip(alert.message, MAX_LINE * 4), *(f"• {_clip(d, MAX_LINE)}" for d in alert.details[:MAX_DETAILS])]
    fields = [{"title": t, "value": v, "short": True} for t, v in (
        ("Environment", alert.environment), ("Cluster", alert.cluster), ("Component", alert.component),
        ("Revision", (alert.revision or "")[:12])) if v]
    attachment: dict[str, Any] = {"color": "danger" if alert.error else "good", "title": alert.title(),
                                  "text": "\n".join(lines), "fields": fields, "footer": SOURCE}
    if link:
        attachment["title_link"] = link
    return {"text": alert.title(), "attachments": [attachment]}


def commit_status(forge: str, alert: Alert, context: str, link: str | None = None) -> dict[str, Any]:
    """GitHub's or GitLab's commit status body: failure (failed) for a problem, success once recovered."""
    name = "/".join(p for p in (context, alert.environment, alert.cluster) if p) if alert.environment \
        else f"{context}/source"
    description = _clip(f"{alert.kind.value}: {alert.message}", GITHUB_DESCRIPTION)
    if forge == "github":
        body: dict[str, Any] = {"state": "failure" if alert.error else "success", "context": name,
                                "description": description}
    else:
        body = {"state": "failed" if alert.error else "success", "name": name, "description": description}
    if link:
        body["target_url"] = link
    return body


def signature(secret: bytes, body: bytes) -> str:
    """The X-Platformctl-Signature value: ``sha256=`` and the HMAC-SHA256 of the body, in hex."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def _signed(provider: ProviderSettings, body: bytes) -> HttpRequest:
    headers = _headers()
    if provider.secret:
        headers["X-Platformctl-Signature"] = signature(provider.secret, body)
    return HttpRequest(provider.url, body, headers)


def _headers() -> dict[str, str]:
    return {"Content-Type": "application/json", "User-Agent": USER_AGENT}


def _json(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True).encode()


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"
