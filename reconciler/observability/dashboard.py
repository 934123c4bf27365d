"""The dashboard's routes: which page or document a GET asks for, answered from a ``DashboardSource``.

=============================  ====================================================================
``GET /``                      the overview: environments x clusters, components, latest reconciles
``GET /cluster?env=&cluster=`` one cluster: its components and reconciles (with the objects changed)
``GET /component?env=&cluster=&name=``  one component: message, last applied diff, rendered objects,
                               Events, health history
``GET /api/overview.json``     the documents behind the pages (``/api/cluster.json``,
                               ``/api/component.json`` take the same query)
``GET /static/dashboard.js``   the script (live updates, filter box) and ``dashboard.css``
=============================  ====================================================================

A page with ``partial=1`` answers only its live part, with an ETag; the script sends it back as
``If-None-Match`` and gets 304 while nothing changed. Documents are scrubbed (credentials masked)
before they are shown; pages carry a strict Content-Security-Policy (scripts and styles from the
daemon only, no inline code, no frames, no form posts).
"""

from __future__ import annotations

import hashlib
import importlib.resources
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from reconciler.observability.logging import scrub
from reconciler.observability.pages import cluster_live, component_live, not_found_live, overview_live, page

__all__ = ["Answer", "DashboardSource", "PAGE_CSP", "answer", "is_dashboard_path"]

PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
"""Only the daemon's own script and style; the script may fetch from the daemon only."""
_PAGE_HEADERS = {"Content-Security-Policy": PAGE_CSP, "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"}
_STATIC = {"/static/dashboard.js": ("dashboard.js", "text/javascript; charset=utf-8"),
           "/static/dashboard.css": ("dashboard.css", "text/css; charset=utf-8"),
           "/static/favicon.svg": ("favicon.svg", "image/svg+xml")}
_PAGES = ("/", "/cluster", "/component")
_APIS = ("/api/overview.json", "/api/cluster.json", "/api/component.json")


class DashboardSource(Protocol):
    """Where the dashboard reads from (the daemon); each call returns a fresh JSON-able document."""

    def overview(self) -> Mapping[str, Any]:
        """The status document with the latest reconciles of every target (``reconciles``)."""

    def cluster(self, environment: str, cluster: str) -> Mapping[str, Any] | None:
        """One target's document, or None when it is not managed."""

    def component(self, environment: str, cluster: str, name: str) -> Mapping[str, Any] | None:
        """One component's document on one target, or None when it is not known there."""


@dataclass(frozen=True, slots=True)
class Answer:
    """What to send back."""

    code: int
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    headers: Mapping[str, str] = field(default_factory=dict)


def is_dashboard_path(path: str) -> bool:
    """Whether ``path`` is one of the dashboard's."""
    return path in _PAGES or path in _APIS or path in _STATIC


def answer(source: DashboardSource, path: str, query: Mapping[str, list[str]], if_none_match: str | None) -> Answer:
    """The answer to ``GET path?query`` (``path`` is one of ``is_dashboard_path``)."""
    if path in _STATIC:
        name, content_type = _STATIC[path]
        return Answer(200, _asset(name), content_type, {"Cache-Control": "no-cache"})
    one = {key: values[0] for key, values in query.items() if values}
    env, cluster, name = one.get("env", ""), one.get("cluster", ""), one.get("name", "")
    if path in _APIS:
        doc = _document(source, path.removeprefix("/api/").removesuffix(".json"), env, cluster, name)
        if doc is None:
            return Answer(404, b'{"error": "not found"}\n', "application/json")
        return _tagged(json.dumps(scrub(doc), indent=2, default=str).encode() + b"\n", "application/json",
                       if_none_match)
    kind = path.strip("/") or "overview"
    doc = _document(source, kind, env, cluster, name)
    live, title, crumbs, code = _live(kind, doc, env, cluster, name)
    if one.get("partial") == "1":
        return _tagged(live.encode(), "text/html; charset=utf-8", if_none_match, code)
    live_url = _live_url(path, one)
    return Answer(code, page(title, live, live_url=live_url, filter_text=one.get("q", ""), crumbs=crumbs).encode(),
                  headers=_PAGE_HEADERS)


def _document(source: DashboardSource, kind: str, env: str, cluster: str, name: str) -> Mapping[str, Any] | None:
    if kind == "overview":
        return source.overview()
    if kind == "cluster":
        return source.cluster(env, cluster)
    return source.component(env, cluster, name)


_RENDER: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "overview": overview_live, "cluster": cluster_live, "component": component_live}


def _live(kind: str, doc: Mapping[str, Any] | None, env: str, cluster: str,
          name: str) -> tuple[str, str, list[tuple[str, str]], int]:
    """(live HTML, title, breadcrumbs, status code) of a page."""
    crumbs: list[tuple[str, str]] = []
    if kind == "overview":
        title = "Overview"
    elif kind == "cluster":
        title = f"{env}/{cluster}"
    else:
        title = name
        crumbs = [(f"{env}/{cluster}", _href("/cluster", env=env, cluster=cluster))]
    if doc is None:
        what = f"cluster {env}/{cluster}" if kind == "cluster" else f"component {name} on {env}/{cluster}"
        return not_found_live(what), title, crumbs, 404
    return _RENDER[kind](scrub(doc)), title, crumbs, 200


def _live_url(path: str, query: Mapping[str, str]) -> str:
    kept = {k: v for k, v in query.items() if k in ("env", "cluster", "name")}
    return _href(path, **kept, partial="1")


def _href(path: str, **query: str) -> str:
    from urllib.parse import urlencode

    return f"{path}?{urlencode(query)}"


def _tagged(body: bytes, content_type: str, if_none_match: str | None, code: int = 200) -> Answer:
    """``body`` with an ETag, or 304 when the client already holds it."""
    tag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    if if_none_match is not None and code == 200 and tag in {t.strip() for t in if_none_match.split(",")}:
        return Answer(304, b"", content_type, {"ETag": tag})
    return Answer(code, body, content_type, {"ETag": tag})


def _asset(name: str) -> bytes:
    return importlib.resources.files("reconciler").joinpath("data", "dashboard", name).read_bytes()
