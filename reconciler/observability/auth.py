"""The read token: who may read the endpoints, and the sign-in page a browser uses (pure, no I/O).

A request is authorized by ``Authorization: Bearer <token>`` (scripts, Prometheus, a proxy that adds
it) or by the session cookie ``POST /login`` sets after the token was typed into the sign-in page.
The cookie holds an HMAC of the token, not the token; both are compared in constant time. It is
HttpOnly and SameSite=Strict (Secure behind a proxy that says the request came over HTTPS) and
lasts the browser session.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import urllib.parse

__all__ = ["COOKIE", "LOGIN_CSP", "authorized", "login_page", "next_path", "session_cookie", "token_given"]

COOKIE = "platformctl_read"
LOGIN_CSP = "default-src 'none'; style-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
"""The sign-in page: no script at all; its form may post to the daemon only."""
_MAX_TOKEN = 4096


def authorized(token: bytes | None, authorization: str | None, cookies: str | None = None) -> bool:
    """No token configured, or the request carries it: its ``Authorization`` header holds the bearer
    credential, or its ``Cookie`` header the session cookie."""
    if token is None:
        return True
    scheme, _, given = (authorization or "").strip().partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode()[:_MAX_TOKEN], token):
        return True
    cookie = _cookie(cookies or "", COOKIE)
    return cookie is not None and hmac.compare_digest(cookie.encode(), _session(token).encode())


def token_given(token: bytes, body: bytes) -> bool:
    """Whether the sign-in form (form-encoded ``token=``) gave ``token`` (constant-time compare)."""
    try:
        fields = urllib.parse.parse_qs(body.decode("utf-8"), max_num_fields=4)
    except (UnicodeDecodeError, ValueError):
        return False
    given = fields.get("token", [""])[0].strip().encode()[:_MAX_TOKEN]
    return bool(given) and hmac.compare_digest(given, token)


def session_cookie(token: bytes, *, secure: bool) -> str:
    """The ``Set-Cookie`` value after a good sign-in."""
    return f"{COOKIE}={_session(token)}; Path=/; HttpOnly; SameSite=Strict" + ("; Secure" if secure else "")


def login_page(*, failed: bool = False, next_path: str = "/") -> bytes:
    """The sign-in page: one password field posting to ``/login``."""
    error = "<p class=\"err\" role=\"alert\">That is not the read token.</p>" if failed else ""
    return (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign in · platformctl</title>"
        "<link rel=\"stylesheet\" href=\"/static/dashboard.css\"></head><body><header><span class=\"brand\">"
        "platformctl</span></header><main class=\"login\"><h1>Sign in</h1>"
        "<p>This dashboard needs the daemon's read token (<code>--read-token-file</code>).</p>" + error +
        "<form method=\"post\" action=\"/login\">"
        f"<input type=\"hidden\" name=\"next\" value=\"{html.escape(_local(next_path), quote=True)}\">"
        "<label>Read token <input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"current-password\" "
        "required autofocus></label> <button type=\"submit\">Sign in</button></form></main></body></html>"
    ).encode()


def next_path(body: bytes) -> str:
    """Where to go after signing in: the form's ``next``, only ever a path on this server."""
    try:
        fields = urllib.parse.parse_qs(body.decode("utf-8"), max_num_fields=4)
    except (UnicodeDecodeError, ValueError):
        return "/"
    return _local(fields.get("next", ["/"])[0])


def _local(path: str) -> str:
    """``path`` when it is a path of this server (``/...``, not ``//host``), else ``/``."""
    parts = urllib.parse.urlsplit(path)
    if parts.scheme or parts.netloc or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


def _session(token: bytes) -> str:
    return hmac.new(token, b"platformctl dashboard session", hashlib.sha256).hexdigest()


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key == name:
            return value.strip()
    return None
