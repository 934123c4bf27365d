"""The daemon's HTTP endpoints on one small stdlib server (a thread per request, daemon threads).

=====================  =======================================================================
``GET /healthz``       200 ``ok`` while the process serves (liveness)
``GET /readyz``        200 when ``ready()`` is true, else 503 (readiness)
``GET /metrics``       Prometheus exposition of ``Metrics``
``GET /``              the dashboard (``dashboard``: its pages, documents and assets); without one, the
                       status page
``GET /status``        HTML status page from ``status()`` (environments x clusters x components)
``GET /status.json``   the same document as JSON
``POST /webhook``      push webhook of GitHub, GitLab or Gitea/Forgejo: ``on_push(ref)``, then 202
=====================  =======================================================================

Webhook (``forges`` tells the three apart): a push event calls ``on_push`` (GitHub's ``ping``
answers 200, other events 202 and are ignored), body JSON or form-encoded (``payload=``,
GitHub's default), at most 1 MiB (413). With a secret, the forge's proof (GitHub's
``X-Hub-Signature-256``, Gitea's ``X-Gitea-Signature``, GitLab's ``X-Gitlab-Token``) must match
(401), checked in constant time before the body is parsed. ``on_push`` runs on the request thread and must return fast:
hand the ref to a trigger that coalesces bursts and do the fetch elsewhere.

With a read token, every GET but ``/healthz``, ``/readyz``, the dashboard's static script and style
and the sign-in page ``/login`` needs ``Authorization: Bearer <token>`` or the session cookie that
``POST /login`` sets (``auth``; compared in constant time; 401 otherwise, a dashboard page answering
with the sign-in form), so the dashboard, the status and the metrics can be exposed; the webhook
keeps its own proof.

The status document goes through ``scrub`` (credentials in messages are masked) before it is
shown; no endpoint echoes a request's content back but the dashboard's filter words and the sign-in
page's path to return to (a local path only), both HTML-escaped.
"""

from __future__ import annotations

import errno
import json
import socket
import threading
import urllib.parse
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import structlog

from reconciler.errors import PlatformctlError
from reconciler.observability.auth import LOGIN_CSP, authorized, login_page, next_path, session_cookie, token_given
from reconciler.observability.dashboard import DashboardSource, answer, is_dashboard_path
from reconciler.observability.forges import identify
from reconciler.observability.logging import scrub
from reconciler.observability.metrics import Metrics
from reconciler.observability.statuspage import status_html

__all__ = ["Endpoints", "ListenError", "MAX_WEBHOOK_BYTES"]

MAX_WEBHOOK_BYTES = 1_048_576
"""Largest webhook body accepted (GitHub caps payloads at 25 MB; pushes are far smaller)."""
_LISTEN_HINTS = {
    errno.EADDRINUSE: "the port is already in use (another platformctl, or another program?)",
    errno.EACCES: "permission denied (ports below 1024 need privileges)",
    errno.EADDRNOTAVAIL: "this machine has no such address",
}


class ListenError(PlatformctlError):
    """The endpoints cannot listen where asked; the message says why and what to do."""


REQUEST_TIMEOUT = 10.0
"""Seconds a client may take to send a request before its connection is dropped."""

_log = structlog.get_logger(__name__)
_SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}
_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
_GET_PATHS = frozenset({"/", "/healthz", "/readyz", "/metrics", "/status", "/status.json"})
_OPEN_PATHS = frozenset({"/healthz", "/readyz", "/login", "/static/dashboard.css", "/static/dashboard.js",
                         "/static/favicon.svg"})
"""Open even with a read token: the probes (the kubelet sends none), the sign-in page and its assets."""
_SIGN_IN_PAGES = frozenset({"/", "/cluster", "/component"})
_LOGIN_HEADERS = {"Content-Security-Policy": LOGIN_CSP, "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"}


class Endpoints:
    """``/healthz``, ``/readyz``, ``/metrics``, the status page and the push webhook on one port.

    ``start()`` returns once the socket listens (``port`` is then the real port, also for 0);
    ``stop()`` closes it. Usable as a context manager.
    """

    def __init__(self, host: str, port: int, *, metrics: Metrics, ready: Callable[[], bool],
                 status: Callable[[], Mapping[str, Any]], on_push: Callable[[str], None],
                 webhook_secret: bytes | None, max_body: int = MAX_WEBHOOK_BYTES,
                 dashboard: DashboardSource | None = None, read_token: bytes | None = None) -> None:
        if webhook_secret is not None and not webhook_secret:
            raise ValueError("webhook secret is empty; give a random secret or None to accept unsigned pushes")
        if read_token is not None and not read_token:
            raise ValueError("read token is empty; give a random token or None for open reads")
        self.host = host
        self._port = port
        self.metrics = metrics
        self.ready = ready
        self.status = status
        self.on_push = on_push
        self.webhook_secret = webhook_secret
        self.max_body = max_body
        self.dashboard = dashboard
        self.read_token = read_token
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The listening port (the requested one before ``start()``)."""
        return self._server.server_address[1] if self._server is not None else self._port

    @property
    def url(self) -> str:
        """Base URL of the server, e.g. ``http://127.0.0.1:8080``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> None:
        """Bind, listen and serve on a daemon thread."""
        if self._server is not None:
            raise RuntimeError("endpoints already started")
        try:
            self._server = _Server(self)
        except OSError as exc:
            why = _LISTEN_HINTS.get(exc.errno or 0, exc.strerror or str(exc))
            raise ListenError(f"cannot listen on {self.host}:{self._port}: {why}; choose another address with "
                              f"--listen HOST:PORT (PLATFORMCTL_LISTEN), or --listen off for no endpoints") from None
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"platformctl-http-{self.port}", daemon=True)
        self._thread.start()
        if self.webhook_secret is None:
            _log.warning("webhook accepts unsigned pushes; set a webhook secret outside local use", port=self.port)
        _log.info("endpoints listening", url=self.url)

    def stop(self) -> None:
        """Stop serving and close the socket (requests in flight finish on their own threads)."""
        server, thread = self._server, self._thread
        self._server, self._thread = None, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join()

    def __enter__(self) -> Endpoints:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, endpoints: Endpoints) -> None:
        self.endpoints = endpoints
        if ":" in endpoints.host:
            self.address_family = socket.AF_INET6
        super().__init__((endpoints.host, endpoints._port), _Handler)  # noqa: SLF001


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = REQUEST_TIMEOUT
    server_version = "platformctl"
    sys_version = ""

    # --- GET --------------------------------------------------------------------------
    def do_GET(self) -> None:  # noqa: N802 - the stdlib's naming
        split = urllib.parse.urlsplit(self.path)
        path = split.path
        ep = self.server.endpoints
        if path not in _OPEN_PATHS and not authorized(ep.read_token, self.headers.get("Authorization"),
                                                               self.headers.get("Cookie")):
            challenge = {"WWW-Authenticate": 'Bearer realm="platformctl"'}
            if ep.dashboard is not None and path in _SIGN_IN_PAGES:
                self._send(401, login_page(next_path=self.path), "text/html; charset=utf-8",
                           {**_LOGIN_HEADERS, **challenge})
            else:
                self._send(401, b"unauthorized: send Authorization: Bearer <read token>\n", headers=challenge)
            return
        if path == "/login":
            if ep.read_token is None or ep.dashboard is None:
                self._send(404, b"not found\n")
            else:
                self._send(200, login_page(), "text/html; charset=utf-8", _LOGIN_HEADERS)
            return
        if ep.dashboard is not None and is_dashboard_path(path):
            query = urllib.parse.parse_qs(split.query, max_num_fields=16)
            dashboard = ep.dashboard
            ok, found = self._safely(lambda: answer(dashboard, path, query, self.headers.get("If-None-Match")),
                                     "dashboard failed")
            if not ok:
                self._send(500, b"dashboard unavailable\n")
            else:
                self._send(found.code, found.body, found.content_type, found.headers)
        elif path == "/healthz":
            self._send(200, b"ok\n")
        elif path == "/readyz":
            ok, ready = self._safely(ep.ready, "readiness check failed")
            if ok and ready:
                self._send(200, b"ready\n")
            else:
                self._send(503, b"not ready\n")
        elif path == "/metrics":
            body, content_type = ep.metrics.render()
            self._send(200, body, content_type)
        elif path in ("/", "/status", "/status.json"):
            ok, doc = self._safely(ep.status, "status failed")
            if not ok or not isinstance(doc, Mapping):
                self._send(500, b"status unavailable\n")
            elif path != "/status.json":
                page = status_html(scrub(doc)).encode()
                self._send(200, page, "text/html; charset=utf-8", {"Content-Security-Policy": _PAGE_CSP})
            else:
                text = json.dumps(scrub(doc), indent=2, default=str) + "\n"
                self._send(200, text.encode(), "application/json")
        elif path == "/webhook":
            self._send(405, b"use POST\n", headers={"Allow": "POST"})
        else:
            self._send(404, b"not found\n")

    # --- POST /webhook ----------------------------------------------------------------
    def do_POST(self) -> None:  # noqa: N802
        path = urllib.parse.urlsplit(self.path).path
        if path == "/login":
            self._login()
            return
        if path != "/webhook":
            if path in _GET_PATHS or is_dashboard_path(path):
                self._send(405, b"use GET\n", headers={"Allow": "GET"})
            else:
                self._send(404, b"not found\n")
            return
        ep = self.server.endpoints
        body = self._body(ep.max_body)
        if body is None:
            return
        forge = identify(self.headers)
        if ep.webhook_secret is not None and not forge.authentic(ep.webhook_secret, body, self.headers):
            _log.warning("webhook rejected: bad or missing signature", client=self.client_address[0],
                         forge=forge.name)
            self._send(401, f"bad or missing {forge.credential}\n".encode())
            return
        event = forge.event(self.headers)
        if event in forge.ping_events:
            self._send(200, b"pong\n")
            return
        if not event:
            self._send(400, f"missing {forge.event_headers[0]}\n".encode())
            return
        if event not in forge.push_events:
            self._send(202, b"event ignored\n")
            return
        payload = _payload(body, self.headers.get("Content-Type", ""))
        ref = payload.get("ref") if payload is not None else None
        if not isinstance(ref, str) or not ref.startswith("refs/") or len(ref) > 255:
            self._send(400, b"malformed push payload: want a JSON object with a 'ref' like refs/heads/main\n")
            return
        after = payload.get("after") if payload is not None else None
        _log.info("webhook push", forge=forge.name, ref=ref, after=after if isinstance(after, str) else None,
                  delivery=(self.headers.get("X-GitHub-Delivery") or self.headers.get("X-Gitea-Delivery")
                            or self.headers.get("X-Gitlab-Event-UUID") or "")[:64])
        ok, _ = self._safely(lambda: ep.on_push(ref), "push handler failed")
        if not ok:
            self._send(500, b"push handler failed\n")
            return
        self._send(202, b"accepted\n")

    def _login(self) -> None:
        """``POST /login``: the sign-in form's token; a good one gets the session cookie and goes on."""
        ep = self.server.endpoints
        if ep.read_token is None or ep.dashboard is None:
            self._send(404, b"not found\n")
            return
        body = self._body(8192)
        if body is None:
            return
        if not token_given(ep.read_token, body):
            _log.warning("dashboard sign-in refused", client=self.client_address[0])
            self._send(401, login_page(failed=True, next_path=next_path(body)), "text/html; charset=utf-8",
                       _LOGIN_HEADERS)
            return
        secure = self.headers.get("X-Forwarded-Proto", "").strip().lower() == "https"
        self._send(303, b"signed in\n", headers={"Location": next_path(body),
                                                  "Set-Cookie": session_cookie(ep.read_token, secure=secure)})

    def _body(self, limit: int) -> bytes | None:
        """The request body, or None after answering 411/400/413."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self._send(411, b"send Content-Length\n", close=True)
            return None
        raw = self.headers.get("Content-Length")
        if raw is None:
            self._send(411, b"send Content-Length\n", close=True)
            return None
        try:
            length = int(raw)
        except ValueError:
            length = -1
        if length < 0:
            self._send(400, b"bad Content-Length\n", close=True)
            return None
        if length > limit:
            self._send(413, f"body over {limit} bytes\n".encode(), close=True)
            return None
        try:
            body = self.rfile.read(length)
        except OSError:  # the client stalled past the timeout or went away: nobody to answer
            self.close_connection = True
            return None
        return body

    # --- helpers ----------------------------------------------------------------------
    def _safely(self, func: Callable[[], Any], what: str) -> tuple[bool, Any]:
        """(True, result), or (False, None) after logging the exception: a callback's bug never kills the server."""
        try:
            return True, func()
        except Exception:
            _log.exception(what, path=urllib.parse.urlsplit(self.path).path)
            return False, None

    def _send(self, code: int, body: bytes, content_type: str = "text/plain; charset=utf-8",
              headers: Mapping[str, str] | None = None, *, close: bool = False) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in {**_SECURITY_HEADERS, **(headers or {})}.items():
            self.send_header(name, value)
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        _log.debug("http request", client=self.client_address[0], line=format % args)


def _payload(body: bytes, content_type: str) -> dict[str, Any] | None:
    """The push payload as a dict, or None when it is not one (JSON, or form-encoded ``payload=``)."""
    try:
        text = body.decode("utf-8")
        if content_type.split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
            fields = urllib.parse.parse_qs(text, max_num_fields=16, strict_parsing=True)
            text = fields.get("payload", [""])[0]
        value = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None
