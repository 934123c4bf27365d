"""The dashboard's pages and routes over real sockets: escaping, CSP, partial pages with ETags, the JSON
documents (scrubbed), static assets, unknown targets, and the read token (probes stay open)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from reconciler.observability.dashboard import PAGE_CSP
from reconciler.observability.http import Endpoints
from reconciler.observability.metrics import Metrics
from reconciler.observability.pages import component_live, health_counts, overview_live

HOSTILE = "<script>alert('x')</script>\"'&"
ESCAPED = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&quot;&#x27;&amp;"
TOKEN = b"s3cret-read-token"


def _overview() -> dict[str, Any]:
    return {
        "revision": "3f2c" * 10, "leader": True, "ready": True, "source": {"branch": "main"},
        "environments": [{"name": "prod-cloud", "clusters": [
            {"name": "gke-eu", "sync": "Synced", "health": "Degraded", "revision": "3f2c" * 10,
             "lastError": "fetch https://bot:ghp_" + "a" * 36 + "@github.com/acme/ml failed",
             "components": [{"name": HOSTILE, "sync": "Synced", "health": "Degraded", "message": HOSTILE},
                            {"name": "serving/ok", "sync": "Synced", "health": "Healthy", "message": ""}]},
        ]}],
        "reconciles": [{"environment": "prod-cloud", "cluster": "gke-eu", "at": "2025-01-01T00:00:00Z",
                        "revision": "3f2c" * 10, "reason": "revision", "outcome": "failed", "changed": 1,
                        "counts": {"configured": 1, "failed": 1}, "error": HOSTILE}],
    }


def _component() -> dict[str, Any]:
    return {"environment": "prod-cloud", "cluster": "gke-eu", "name": HOSTILE, "revision": "3f2c" * 10,
            "component": {"health": "Degraded", "message": HOSTILE, "sync": "Synced"},
            "lastDiff": {"at": "2025-01-01T00:00:00Z", "revision": "3f2c" * 10, "objects": [
                {"object": "InferenceService/ml/x", "action": "update", "diff": f"-  a: 1\n+  a: {HOSTILE}\n"}]},
            "objects": [{"object": "InferenceService/ml/x", "health": "Degraded", "message": HOSTILE,
                         "manifest": {"kind": "Secret", "metadata": {"name": "x"}, "data": {"password": "aHVudGVyMg=="}}}],
            "events": [{"at": "2025-01-01T00:00:00Z", "type": "Warning", "reason": "ApplyFailed",
                        "object": "InferenceService/ml/x", "message": HOSTILE}],
            "healthHistory": [{"at": "2025-01-01T00:00:00Z", "status": "Degraded", "message": HOSTILE,
                               "revision": "3f2c" * 10}],
            "lastFailure": {"at": "2025-01-01T00:00:00Z", "revision": "3f2c" * 10, "error": "1 failed",
                            "objects": [{"object": "InferenceService/ml/x", "action": "failed", "message": HOSTILE}]}}


class Source:
    """A stand-in for the daemon's dashboard."""

    def __init__(self) -> None:
        self.doc = _overview()

    def overview(self) -> Mapping[str, Any]:
        return self.doc

    def cluster(self, environment: str, cluster: str) -> Mapping[str, Any] | None:
        if (environment, cluster) != ("prod-cloud", "gke-eu"):
            return None
        return {"environment": environment, "cluster": self.doc["environments"][0]["clusters"][0],
                "reconciles": self.doc["reconciles"]}

    def component(self, environment: str, cluster: str, name: str) -> Mapping[str, Any] | None:
        return _component() if name == HOSTILE else None


@pytest.fixture
def source() -> Source:
    return Source()


def serve(source: Source, token: bytes | None = None) -> Endpoints:
    return Endpoints("127.0.0.1", 0, metrics=Metrics(), ready=lambda: True, status=lambda: source.doc,
                     on_push=lambda ref: None, webhook_secret=b"hook", dashboard=source, read_token=token)


@pytest.fixture
def ep(source: Source) -> Iterator[Endpoints]:
    with serve(source) as endpoints:
        yield endpoints


def get(ep: Endpoints, path: str, headers: Mapping[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(ep.url + path, headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - loopback
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_the_overview_escapes_everything_and_allows_no_inline_code(ep: Endpoints) -> None:
    code, headers, body = get(ep, "/")
    page = body.decode()
    assert code == 200 and headers["Content-Type"].startswith("text/html")
    assert headers["Content-Security-Policy"] == PAGE_CSP and "unsafe-inline" not in PAGE_CSP
    assert "script-src 'self'" in PAGE_CSP and "frame-ancestors 'none'" in PAGE_CSP
    assert HOSTILE not in page and ESCAPED in page
    assert "<script>" not in page.replace('<script src="/static/dashboard.js" defer></script>', "")
    assert " style=" not in page and "<style" not in page and " on" not in page.split("<main", 1)[0].lower().replace(
        "content=", "")
    assert "ghp_" not in page
    assert 'class="tile h-degraded"' in page and "1 Degraded" in page and "1 Healthy" in page
    assert 'href="/component?env=prod-cloud&amp;cluster=gke-eu&amp;name=%3Cscript%3E' in page


def test_the_component_page_shows_message_diff_objects_events_and_history_escaped() -> None:
    live = component_live(_component())
    assert HOSTILE not in live and live.count(ESCAPED) >= 6
    assert '<span class="d-add">+  a: ' in live and '<span class="d-del">-  a: 1</span>' in live
    for section in ('id="diff"', 'id="objects"', 'id="events"', 'id="health-history"', 'id="message"',
                    'id="failure"'):
        assert section in live, section


def test_secret_values_of_rendered_objects_are_masked_on_the_page(ep: Endpoints) -> None:
    path = "/component?" + urllib.parse.urlencode({"env": "prod-cloud", "cluster": "gke-eu", "name": HOSTILE})
    body = get(ep, path)[2].decode()
    assert "aHVudGVyMg==" not in body and "password" in body


def test_a_partial_page_has_an_etag_and_is_not_sent_again_while_unchanged(ep: Endpoints, source: Source) -> None:
    code, headers, body = get(ep, "/?partial=1")
    assert code == 200 and not body.startswith(b"<!doctype") and b"Environments" in body
    tag = headers["ETag"]
    assert get(ep, "/?partial=1", {"If-None-Match": tag})[:1] == (304,)
    source.doc["environments"][0]["clusters"][0]["health"] = "Healthy"
    code, headers, _ = get(ep, "/?partial=1", {"If-None-Match": tag})
    assert code == 200 and headers["ETag"] != tag


def test_the_documents_behind_the_pages_are_served_as_json_scrubbed(ep: Endpoints) -> None:
    code, headers, body = get(ep, "/api/overview.json")
    doc = json.loads(body)
    assert code == 200 and headers["Content-Type"] == "application/json"
    assert doc["reconciles"][0]["error"] == HOSTILE  # JSON, not HTML
    assert "ghp_" not in body.decode()
    assert json.loads(get(ep, "/api/cluster.json?env=prod-cloud&cluster=gke-eu")[2])["cluster"]["name"] == "gke-eu"
    assert get(ep, "/api/cluster.json?env=prod-cloud&cluster=nope")[0] == 404


def test_unknown_targets_and_components_are_404_pages(ep: Endpoints) -> None:
    code, _, body = get(ep, "/cluster?env=prod-cloud&cluster=%3Cb%3E")
    assert code == 404 and b"cluster prod-cloud/&lt;b&gt; is not known" in body
    assert get(ep, "/component?env=prod-cloud&cluster=gke-eu&name=serving/gone")[0] == 404


def test_static_assets_are_served_and_pages_are_get_only(ep: Endpoints) -> None:
    code, headers, body = get(ep, "/static/dashboard.js")
    assert code == 200 and headers["Content-Type"].startswith("text/javascript") and b"DOMParser" in body
    assert get(ep, "/static/dashboard.css")[1]["Content-Type"].startswith("text/css")
    assert get(ep, "/static/other.js")[0] == 404
    request = urllib.request.Request(ep.url + "/cluster", data=b"x", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)  # noqa: S310
    assert refused.value.code == 405


def test_the_old_status_page_stays_at_status(ep: Endpoints) -> None:
    code, headers, body = get(ep, "/status")
    assert code == 200 and b"<table>" in body and "script-src" not in headers["Content-Security-Policy"]


def test_with_a_read_token_every_read_but_the_probes_needs_it(source: Source) -> None:
    with serve(source, TOKEN) as ep:
        for path in ("/", "/cluster?env=prod-cloud&cluster=gke-eu", "/api/overview.json", "/status.json",
                     "/status", "/metrics", "/api/component.json", "/nope"):
            code, headers, body = get(ep, path)
            assert code == 401 and headers["WWW-Authenticate"] == 'Bearer realm="platformctl"', path
            assert b"Degraded" not in body and b"3f2c" not in body  # nothing of the status, at most a sign-in form
            assert get(ep, path, {"Authorization": "Bearer wrong"})[0] == 401
            assert get(ep, path, {"Authorization": "Basic " + TOKEN.decode()})[0] == 401
        for path in ("/", "/status.json", "/metrics", "/api/overview.json"):
            assert get(ep, path, {"Authorization": f"Bearer {TOKEN.decode()}"})[0] == 200, path
        assert get(ep, "/healthz")[0] == 200 and get(ep, "/readyz")[0] == 200
        assert get(ep, "/static/dashboard.css")[0] == 200  # the sign-in page's style; nothing of the platform


def post_form(ep: Endpoints, path: str, fields: Mapping[str, str],
              headers: Mapping[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    request = urllib.request.Request(ep.url + path, data=urllib.parse.urlencode(fields).encode(), method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})})
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_a_browser_signs_in_with_the_token_and_gets_a_session_cookie(source: Source) -> None:
    with serve(source, TOKEN) as ep:
        code, headers, body = get(ep, "/cluster?env=prod-cloud&cluster=gke-eu")
        assert code == 401 and b'<form method="post" action="/login">' in body and b"prod-cloud</" not in body
        assert "script-src" not in headers["Content-Security-Policy"] and "form-action 'self'" in headers[
            "Content-Security-Policy"]
        assert b'name="next" value="/cluster?env=prod-cloud&amp;cluster=gke-eu"' in body
        assert get(ep, "/login")[0] == 200

        code, headers, body = post_form(ep, "/login", {"token": "wrong", "next": "/"})
        assert code == 401 and b"not the read token" in body and "Set-Cookie" not in headers
        code, headers, _ = post_form(ep, "/login", {"token": TOKEN.decode(), "next": "/cluster?env=prod-cloud"})
        assert code == 303 and headers["Location"] == "/cluster?env=prod-cloud"
        cookie = headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie
        assert TOKEN.decode() not in cookie
        session = cookie.split(";", 1)[0]
        assert get(ep, "/", {"Cookie": session})[0] == 200
        assert get(ep, "/api/overview.json", {"Cookie": f"other=1; {session}"})[0] == 200
        assert get(ep, "/", {"Cookie": session[:-2] + "00"})[0] == 401

        behind_tls = post_form(ep, "/login", {"token": TOKEN.decode(), "next": "//evil.example/x"},
                               {"X-Forwarded-Proto": "https"})[1]
        assert behind_tls["Location"] == "/" and "; Secure" in behind_tls["Set-Cookie"]


def test_without_a_read_token_there_is_no_sign_in(ep: Endpoints) -> None:
    assert get(ep, "/login")[0] == 404
    assert post_form(ep, "/login", {"token": "x"})[0] == 404


def test_an_empty_read_token_is_refused(source: Source) -> None:
    with pytest.raises(ValueError, match="read token is empty"):
        serve(source, b"")


def test_health_counts_put_unknown_states_under_unknown() -> None:
    counts = health_counts([{"health": "Healthy"}, {"health": "Weird"}, {"name": "x"}, {"health": "Degraded"}])
    assert counts == {"Healthy": 1, "Progressing": 0, "Degraded": 1, "Missing": 0, "Suspended": 0, "Unknown": 2}


def test_an_empty_overview_says_so() -> None:
    assert "No environments reconciled yet." in overview_live({})
