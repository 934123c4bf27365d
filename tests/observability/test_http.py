"""Endpoints over real sockets on 127.0.0.1 port 0: probes, metrics, status page, push webhook."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from reconciler.observability.http import MAX_WEBHOOK_BYTES, Endpoints
from reconciler.observability.metrics import Metrics

SECRET = b"It's a Secret to Everybody"
PUSH = json.dumps({"ref": "refs/heads/main", "after": "3f2c" * 10, "repository": {"full_name": "acme/ml"}}).encode()


@dataclass
class State:
    ready: bool = False
    pushes: list[str] = field(default_factory=list)
    doc: dict[str, Any] = field(default_factory=dict)
    fail_push: bool = False
    fail_status: bool = False

    def on_push(self, ref: str) -> None:
        if self.fail_push:
            raise RuntimeError("trigger is closed")
        self.pushes.append(ref)

    def status(self) -> Mapping[str, Any]:
        if self.fail_status:
            raise RuntimeError("no status")
        return self.doc


@pytest.fixture
def state() -> State:
    return State()


def serve(state: State, secret: bytes | None = SECRET, **kwargs: Any) -> Endpoints:
    metrics = Metrics()
    metrics.leader(True)
    return Endpoints("127.0.0.1", 0, metrics=metrics, ready=lambda: state.ready, status=state.status,
                     on_push=state.on_push, webhook_secret=secret, **kwargs)


@pytest.fixture
def ep(state: State) -> Iterator[Endpoints]:
    with serve(state) as endpoints:
        yield endpoints


def get(ep: Endpoints, path: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(ep.url + path, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def post(ep: Endpoints, body: bytes, *, event: str | None = "push", signature: str | None = "auto",
         content_type: str = "application/json", path: str = "/webhook") -> tuple[int, bytes]:
    headers = {"Content-Type": content_type}
    if event is not None:
        headers["X-GitHub-Event"] = event
    if signature == "auto":
        signature = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    request = urllib.request.Request(ep.url + path, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


# --- probes and metrics ---------------------------------------------------------------
def test_port_zero_gets_a_real_port_and_stop_closes_it(state: State) -> None:
    endpoints = serve(state)
    endpoints.start()
    port = endpoints.port
    assert port != 0
    assert get(endpoints, "/healthz")[0] == 200
    endpoints.stop()
    endpoints.stop()  # idempotent
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)


def test_healthz_and_readyz_follow_ready(ep: Endpoints, state: State) -> None:
    assert get(ep, "/healthz")[::2] == (200, b"ok\n")
    assert get(ep, "/readyz")[0] == 503
    state.ready = True
    assert get(ep, "/readyz")[::2] == (200, b"ready\n")


def test_a_failing_readiness_check_is_not_ready(state: State) -> None:
    def broken() -> bool:
        raise RuntimeError("boom")

    with Endpoints("127.0.0.1", 0, metrics=Metrics(), ready=broken, status=state.status, on_push=state.on_push,
                   webhook_secret=None) as endpoints:
        assert get(endpoints, "/readyz")[0] == 503
        assert get(endpoints, "/healthz")[0] == 200


def test_metrics_exposition(ep: Endpoints) -> None:
    code, headers, body = get(ep, "/metrics")
    assert code == 200
    assert headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert b"platformctl_leader 1.0" in body


def test_unknown_paths_and_wrong_methods(ep: Endpoints) -> None:
    assert get(ep, "/nope")[0] == 404
    code, headers, _ = get(ep, "/webhook")
    assert (code, headers["Allow"]) == (405, "POST")
    assert post(ep, b"{}", path="/metrics")[0] == 405
    assert post(ep, b"{}", path="/elsewhere")[0] == 404


# --- status page ----------------------------------------------------------------------
HOSTILE = "<script>alert('x')</script>"


def status_doc() -> dict[str, Any]:
    return {
        "revision": "3f2c" * 10, "leader": True, "ready": True, "sourceError": None,
        "environments": [{"name": "prod-cloud", "clusters": [
            {"name": "gke-eu", "sync": "Synced", "health": "Degraded", "revision": "3f2c" * 10,
             "lastReconcile": "2025-01-01T12:00:00Z",
             "lastError": "fetch https://bot:ghp_" + "a" * 36 + "@github.com/acme/ml failed",
             "components": [{"name": "serving/fraud-detector", "sync": "OutOfSync", "health": "Degraded",
                             "message": HOSTILE}]},
            {"name": "gke-us", "sync": "Unknown", "health": "Unknown", "lastError": "cluster unreachable"},
        ]}],
    }


def test_status_page_shows_every_cluster_and_component_escaped(ep: Endpoints, state: State) -> None:
    state.doc = status_doc()
    code, headers, body = get(ep, "/")
    page = body.decode()
    assert code == 200 and headers["Content-Type"].startswith("text/html")
    assert "script-src" not in headers["Content-Security-Policy"] and "default-src 'none'" in headers[
        "Content-Security-Policy"]
    assert HOSTILE not in page and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    for text in ("prod-cloud", "gke-eu", "gke-us", "serving/fraud-detector", "OutOfSync", "cluster unreachable",
                 "3f2c3f2c3f2c", 'class="h-degraded"'):
        assert text in page, text
    assert "ghp_" not in page


def test_status_json_is_the_same_document_scrubbed(ep: Endpoints, state: State) -> None:
    state.doc = status_doc()
    code, headers, body = get(ep, "/status.json")
    doc = json.loads(body)
    assert code == 200 and headers["Content-Type"] == "application/json"
    cluster = doc["environments"][0]["clusters"][0]
    assert cluster["components"][0]["message"] == HOSTILE  # JSON, not HTML: escaping is the reader's job
    assert "ghp_" not in cluster["lastError"] and "***@github.com" in cluster["lastError"]


def test_status_page_accepts_mappings_and_empty_documents(ep: Endpoints, state: State) -> None:
    state.doc = {"environments": {"dev": {"clusters": {"local": {"health": "Healthy", "sync": "Synced"}}}}}
    page = get(ep, "/")[2].decode()
    assert "dev" in page and "local" in page and 'class="h-healthy"' in page
    state.doc = {}
    assert "No environments reconciled yet." in get(ep, "/")[2].decode()


def test_a_failing_status_answers_500(ep: Endpoints, state: State) -> None:
    state.fail_status = True
    assert get(ep, "/")[0] == 500
    assert get(ep, "/status.json")[0] == 500
    assert get(ep, "/healthz")[0] == 200


# --- webhook --------------------------------------------------------------------------
def test_signed_push_calls_on_push_and_answers_202(ep: Endpoints, state: State) -> None:
    assert post(ep, PUSH) == (202, b"accepted\n")
    assert state.pushes == ["refs/heads/main"]


def test_wrong_or_missing_signature_is_401(ep: Endpoints, state: State) -> None:
    other = "sha256=" + hmac.new(b"another secret", PUSH, hashlib.sha256).hexdigest()
    for signature in (other, None, "", "sha256=", "sha1=" + hashlib.sha1(PUSH).hexdigest(), "sha256=zz\u00e9"):
        assert post(ep, PUSH, signature=signature)[0] == 401, signature
    tampered = PUSH.replace(b"main", b"evil")
    good_for_original = "sha256=" + hmac.new(SECRET, PUSH, hashlib.sha256).hexdigest()
    assert post(ep, tampered, signature=good_for_original)[0] == 401
    assert state.pushes == []


def test_ping_answers_200_and_is_authenticated_too(ep: Endpoints, state: State) -> None:
    ping = json.dumps({"zen": "Keep it logically awesome.", "hook_id": 1}).encode()
    assert post(ep, ping, event="ping") == (200, b"pong\n")
    assert post(ep, ping, event="ping", signature=None)[0] == 401
    assert state.pushes == []


def test_malformed_payloads_are_400(ep: Endpoints, state: State) -> None:
    for body in (b"{not json", b"[1, 2]", b'{"after": "abc"}', b'{"ref": 7}', b'{"ref": "main"}',
                 b"\xff\xfe", b"[" * 100_000):
        assert post(ep, body)[0] == 400, body[:20]
    assert post(ep, PUSH, event=None)[0] == 400
    assert state.pushes == []


def test_other_events_are_accepted_and_ignored(ep: Endpoints, state: State) -> None:
    assert post(ep, b'{"action": "opened"}', event="pull_request") == (202, b"event ignored\n")
    assert state.pushes == []


def test_form_encoded_payloads_like_githubs_default(ep: Endpoints, state: State) -> None:
    body = urllib.parse.urlencode({"payload": PUSH.decode()}).encode()
    assert post(ep, body, content_type="application/x-www-form-urlencoded")[0] == 202
    assert state.pushes == ["refs/heads/main"]


def test_oversized_bodies_are_413_before_being_read(state: State) -> None:
    assert MAX_WEBHOOK_BYTES == 1_048_576
    with serve(state) as endpoints:
        conn = http.client.HTTPConnection("127.0.0.1", endpoints.port, timeout=5)
        conn.putrequest("POST", "/webhook")
        conn.putheader("X-GitHub-Event", "push")
        conn.putheader("Content-Length", str(MAX_WEBHOOK_BYTES + 1))
        conn.endheaders()  # the body is never sent: the answer must not wait for it
        response = conn.getresponse()
        assert response.status == 413
        conn.close()
    with serve(state, max_body=64) as endpoints:
        assert post(endpoints, PUSH)[0] == 413
    assert state.pushes == []


def test_bad_or_missing_content_length(ep: Endpoints) -> None:
    for headers in ({"Content-Length": "-5"}, {"Content-Length": "lots"}, {"Transfer-Encoding": "chunked"}, {}):
        conn = http.client.HTTPConnection("127.0.0.1", ep.port, timeout=5)
        conn.putrequest("POST", "/webhook", skip_accept_encoding=True)
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.endheaders()
        assert conn.getresponse().status in (400, 411), headers
        conn.close()


def test_without_a_secret_unsigned_pushes_are_accepted(state: State) -> None:
    with serve(state, secret=None) as endpoints:
        assert post(endpoints, PUSH, signature=None)[0] == 202
    assert state.pushes == ["refs/heads/main"]


def test_an_empty_secret_is_refused(state: State) -> None:
    with pytest.raises(ValueError, match="empty"):
        serve(state, secret=b"")


def test_a_failing_push_handler_answers_500_and_the_server_keeps_serving(ep: Endpoints, state: State) -> None:
    state.fail_push = True
    assert post(ep, PUSH)[0] == 500
    state.fail_push = False
    assert post(ep, PUSH)[0] == 202


def post_with(ep: Endpoints, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(ep.url + "/webhook", data=body, method="POST",
                                     headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_gitlab_pushes_are_authenticated_by_their_token(ep: Endpoints, state: State) -> None:
    token = SECRET.decode()
    assert post_with(ep, PUSH, {"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": token}) == (202, b"accepted\n")
    assert post_with(ep, PUSH, {"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": "guess"}) == (
        401, b"bad or missing X-Gitlab-Token\n")
    assert post_with(ep, PUSH, {"X-Gitlab-Event": "Push Hook"})[0] == 401
    assert post_with(ep, b'{"object_kind": "merge_request"}',
                     {"X-Gitlab-Event": "Merge Request Hook", "X-Gitlab-Token": token}) == (202, b"event ignored\n")
    assert state.pushes == ["refs/heads/main"]


@pytest.mark.parametrize("prefix", ["Gitea", "Forgejo"])
def test_gitea_and_forgejo_pushes_are_authenticated_by_their_hmac(ep: Endpoints, state: State, prefix: str) -> None:
    good = hmac.new(SECRET, PUSH, hashlib.sha256).hexdigest()
    event = {f"X-{prefix}-Event": "push"}
    assert post_with(ep, PUSH, {**event, f"X-{prefix}-Signature": good}) == (202, b"accepted\n")
    tampered = PUSH.replace(b"main", b"evil")
    assert post_with(ep, tampered, {**event, f"X-{prefix}-Signature": good})[0] == 401
    assert post_with(ep, PUSH, {**event, f"X-{prefix}-Signature": "sha256=" + good})[0] == 401  # that is GitHub's form
    assert post_with(ep, PUSH, event) == (401, b"bad or missing X-Gitea-Signature\n")
    assert state.pushes == ["refs/heads/main"]


def test_a_forges_headers_do_not_unlock_another_forges_check(ep: Endpoints, state: State) -> None:
    github_signature = "sha256=" + hmac.new(SECRET, PUSH, hashlib.sha256).hexdigest()
    # GitLab's event header with GitHub's signature: judged as GitLab, whose token is missing.
    assert post_with(ep, PUSH, {"X-Gitlab-Event": "Push Hook", "X-Hub-Signature-256": github_signature})[0] == 401
    assert state.pushes == []
