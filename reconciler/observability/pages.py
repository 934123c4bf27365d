"""The dashboard's pages as HTML (pure): the overview, a cluster, a component.

Each page is a shell (head, header, filter box, the script and style served by the daemon) around a
``live`` part that the script fetches again every few seconds (``?partial=1``) and swaps in place.
Every value comes from the platform repository or a cluster and is escaped; no inline script or
style, so the page works under a Content-Security-Policy without ``unsafe-inline``.

The documents are the JSON-able dicts of ``reconciler.daemon.dashboard`` (camelCase, every key optional).
"""

from __future__ import annotations

import html
import urllib.parse
from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from reconciler.observability.statuspage import named_entries

__all__ = ["cluster_live", "component_live", "not_found_live", "overview_live", "page", "HEALTHS"]

HEALTHS = ("Healthy", "Progressing", "Degraded", "Missing", "Suspended", "Unknown")
"""Health states, in the order their counts are shown."""


def page(title: str, live: str, *, live_url: str, filter_text: str = "", crumbs: Iterable[tuple[str, str]] = ()) -> str:
    """The whole page: ``live`` is the part the script refreshes from ``live_url``."""
    trail = "".join(f"<a href=\"{_e(href)}\">{_e(text)}</a> / " for text, href in crumbs)
    return (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{_e(title)} · platformctl</title>"
        "<link rel=\"icon\" href=\"/static/favicon.svg\" type=\"image/svg+xml\">"
        "<link rel=\"stylesheet\" href=\"/static/dashboard.css\">"
        "<script src=\"/static/dashboard.js\" defer></script></head><body>"
        "<header><a class=\"brand\" href=\"/\">platformctl</a>"
        f"<nav class=\"crumbs\">{trail}<span>{_e(title)}</span></nav>"
        "<input id=\"filter\" type=\"search\" placeholder=\"Filter: environment, cluster, component, health…\" "
        f"aria-label=\"Filter\" autocomplete=\"off\" value=\"{_e(filter_text)}\">"
        "<span id=\"live-state\" class=\"live-state\" role=\"status\">live</span></header>"
        f"<main id=\"live\" data-live=\"{_e(live_url)}\">{live}</main></body></html>")


# --- the overview -------------------------------------------------------------------------
def overview_live(doc: Mapping[str, Any]) -> str:
    """Source facts, the environments x clusters grid, every component, the latest reconciles."""
    parts = [_source(doc)]
    environments = named_entries(doc.get("environments"))
    if not environments:
        parts.append("<p class=\"empty\">No environments reconciled yet.</p>")
    else:
        parts.append("<section><h2>Environments</h2><div class=\"grid\">")
        for env_name, env in environments:
            tiles = "".join(_tile(env_name, name, cluster) for name, cluster in named_entries(env.get("clusters")))
            parts.append("<div class=\"env\">"
                         f"<h3>{_e(env_name)}</h3><div class=\"tiles\">{tiles}</div></div>")
        parts.append("</div></section>")
        parts.append(_components_table(environments))
    parts.append(_reconciles_table(doc.get("reconciles") or [], with_target=True, title="Latest reconciles"))
    return "".join(parts)


def _source(doc: Mapping[str, Any]) -> str:
    source = _mapping(doc.get("source"))
    facts = [f"revision <code>{_e(_short(doc.get('revision')) or '-')}</code>",
             "leader" if doc.get("leader") else "follower", "ready" if doc.get("ready", True) else "not ready"]
    if source and source.get("branch"):
        facts.insert(0, f"branch <code>{_e(source.get('branch'))}</code>")
    text = f"<p class=\"facts\">{' · '.join(facts)}</p>"
    if doc.get("sourceError"):
        text += f"<p class=\"err\" role=\"alert\">source: {_e(doc.get('sourceError'))}</p>"
    return text


def _tile(env_name: str, name: str, cluster: Mapping[str, Any]) -> str:
    health = _text(cluster.get("health")) or "Unknown"
    counts = health_counts(cluster.get("components"))
    shown = " ".join(f"<span class=\"count h-{s.lower()}\">{n} {s}</span>" for s, n in counts.items() if n)
    applying = cluster.get("applying")
    progress = ""
    if isinstance(applying, Mapping):
        progress = (f"<div class=\"applying\">applying <code>{_e(_short(applying.get('revision')))}</code> "
                    f"{_e(applying.get('done'))}/{_e(applying.get('total'))}</div>")
    error = f"<div class=\"err\">{_e(cluster.get('lastError'))}</div>" if cluster.get("lastError") else ""
    href = _url("/cluster", env=env_name, cluster=name)
    inside = [f"{n} {_text(c.get('health'))}" for n, c in named_entries(cluster.get("components"))]
    owner = ""
    if "shard" in cluster:  # sharded replicas: the one that writes this cluster
        owner = f"<div class=\"owner\">{_e(_owner(cluster))}</div>"
        inside.append(_text(cluster.get("owner")))
    return (f"<a class=\"tile {_health_class(health)}\" href=\"{_e(href)}\" "
            f"data-filter=\"{_e(_words(env_name, name, health, cluster.get('sync'), *inside))}\">"
            f"<div class=\"tile-name\">{_e(name)}</div><div class=\"tile-health\">{_e(health)} · "
            f"{_e(cluster.get('sync'))}</div><div class=\"counts\">{shown}</div>"
            f"<div class=\"rev\">at <code>{_e(_short(cluster.get('revision')) or '-')}</code> · "
            f"{_e(cluster.get('lastReconcile') or 'never')}</div>{owner}{progress}{error}</a>")


def _owner(cluster: Mapping[str, Any]) -> str:
    """Sharded: the shard of a cluster and the replica holding its Lease."""
    return f"shard {_text(cluster.get('shard'))} · {_text(cluster.get('owner')) or 'no owner'}"


def health_counts(components: Any) -> dict[str, int]:
    """How many components are in each health state (known states first, in ``HEALTHS`` order)."""
    counts = dict.fromkeys(HEALTHS, 0)
    for _name, component in named_entries(components):
        state = _text(component.get("health")) or "Unknown"
        counts[state if state in counts else "Unknown"] += 1
    return counts


def _components_table(environments: list[tuple[str, Mapping[str, Any]]]) -> str:
    rows = []
    for env_name, env in environments:
        for cluster_name, cluster in named_entries(env.get("clusters")):
            for name, component in named_entries(cluster.get("components")):
                if name == "*":
                    continue
                health = _text(component.get("health")) or "Unknown"
                href = _url("/component", env=env_name, cluster=cluster_name, name=name)
                rows.append(
                    _row(env_name, cluster_name, name, health, component.get("sync"), component.get("message"))
                    + f"<td>{_e(env_name)}</td><td>{_e(cluster_name)}</td>"
                    f"<td><a href=\"{_e(href)}\">{_e(name)}</a></td><td>{_e(component.get('sync'))}</td>"
                    f"{_health_cell(health)}<td class=\"msg\">{_e(component.get('message'))}</td></tr>")
    if not rows:
        return ""
    return ("<section><h2>Components</h2><table class=\"components\"><thead><tr><th>Environment</th>"
            "<th>Cluster</th><th>Component</th><th>Sync</th><th>Health</th><th>Message</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table></section>")


def _reconciles_table(reconciles: Any, *, with_target: bool, title: str) -> str:
    rows = []
    for entry in reconciles if isinstance(reconciles, list) else []:
        if not isinstance(entry, Mapping):
            continue
        target = ""
        if with_target:
            href = _url("/cluster", env=entry.get("environment"), cluster=entry.get("cluster"))
            target = (f"<td><a href=\"{_e(href)}\">{_e(entry.get('environment'))}/{_e(entry.get('cluster'))}</a>"
                      "</td>")
        outcome = _text(entry.get("outcome"))
        css = {"succeeded": "healthy", "checked": "healthy", "failed": "degraded", "blocked": "degraded"}.get(
            outcome, "unknown")
        counts = _mapping(entry.get("counts"))
        detail = ", ".join(f"{_e(n)} {_e(a)}" for a, n in sorted(counts.items()) if a != "unchanged")
        rows.append(
            _row(entry.get("environment"), entry.get("cluster"), outcome, entry.get("revision"), entry.get("reason"))
            + f"<td>{_e(entry.get('at'))}</td>{target}<td><code>{_e(_short(entry.get('revision')))}</code></td>"
            f"<td>{_e(entry.get('reason'))}</td><td class=\"h-{css}\">{_e(outcome)}</td>"
            f"<td>{_e(entry.get('changed'))}</td><td>{detail}</td>"
            f"<td class=\"err\">{_e(entry.get('error'))}</td></tr>")
    head = "<th>Time</th>" + ("<th>Target</th>" if with_target else "") + (
        "<th>Revision</th><th>Why</th><th>Outcome</th><th>Objects changed</th><th>Changes</th><th>Error</th>")
    body = "".join(rows) or f"<tr><td colspan=\"{8 if with_target else 7}\">none yet</td></tr>"
    return (f"<section><h2>{_e(title)}</h2><table class=\"reconciles\"><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table></section>")


# --- a cluster ----------------------------------------------------------------------------
def cluster_live(doc: Mapping[str, Any]) -> str:
    """One (environment, cluster): its state, its components, its reconciles with their changes."""
    env_name, cluster = _text(doc.get("environment")), _mapping(doc.get("cluster"))
    name = _text(cluster.get("name"))
    health = _text(cluster.get("health")) or "Unknown"
    facts = [("Health", f"<span class=\"badge {_health_class(health)}\">{_e(health)}</span> "
                        f"{_e(cluster.get('healthMessage'))}"),
             ("Sync", _e(cluster.get("sync"))),
             ("Applied revision", f"<code>{_e(cluster.get('revision') or '-')}</code>"),
             ("Last reconcile", _e(cluster.get("lastReconcile") or "never")),
             ("Last success", _e(cluster.get("lastSuccess") or "never"))]
    if "shard" in cluster:
        facts.append(("Written by", _e(_owner(cluster))))
    if isinstance(cluster.get("applying"), Mapping):
        applying = cluster["applying"]
        facts.append(("Applying", f"<code>{_e(applying.get('revision'))}</code> {_e(applying.get('done'))}/"
                                  f"{_e(applying.get('total'))} objects"))
    if cluster.get("nextRetry"):
        facts.append(("Next retry", _e(cluster.get("nextRetry"))))
    errors = [cluster.get("lastError"), *(cluster.get("specErrors") or []), *(cluster.get("refusedDeletes") or [])]
    if any(errors):
        facts.append(("Errors", "<br>".join(f"<span class=\"err\">{_e(e)}</span>" for e in errors if e)))
    rows = []
    for component, entry in named_entries(cluster.get("components")):
        state = _text(entry.get("health")) or "Unknown"
        label = _e(component) if component == "*" else \
            f"<a href=\"{_e(_url('/component', env=env_name, cluster=name, name=component))}\">{_e(component)}</a>"
        rows.append(_row(component, state, entry.get("sync"), entry.get("message"))
                    + f"<td>{label}</td><td>{_e(entry.get('sync'))}</td>{_health_cell(state)}"
                    f"<td>{_e(entry.get('objects'))}</td><td class=\"msg\">{_e(entry.get('message'))}</td></tr>")
    table = ("<section><h2>Components</h2><table class=\"components\"><thead><tr><th>Component</th><th>Sync</th>"
             "<th>Health</th><th>Objects</th><th>Message</th></tr></thead><tbody>"
             + ("".join(rows) or "<tr><td colspan=\"5\">none yet</td></tr>") + "</tbody></table></section>")
    return (f"<h1>{_e(env_name)} / {_e(name)}</h1>{_facts(facts)}{table}"
            + _reconciles_table(doc.get("reconciles") or [], with_target=False, title="Reconciles")
            + _changes(doc.get("reconciles") or []))


def _changes(reconciles: Any) -> str:
    """The objects each recent reconcile changed, one folded list per reconcile."""
    parts = []
    for entry in reconciles if isinstance(reconciles, list) else []:
        changes = entry.get("changes") if isinstance(entry, Mapping) else None
        if not changes:
            continue
        items = "".join(f"<li><code>{_e(c.get('object'))}</code> {_e(c.get('action'))}"
                        + (f": <span class=\"msg\">{_e(c.get('message'))}</span>" if c.get("message") else "")
                        + "</li>" for c in changes if isinstance(c, Mapping))
        key = f"changes-{_text(entry.get('at'))}"
        parts.append(f"<details data-key=\"{_e(key)}\"><summary>{_e(entry.get('at'))} · "
                     f"<code>{_e(_short(entry.get('revision')))}</code> · {_e(len(changes))} objects</summary>"
                     f"<ul>{items}</ul></details>")
    return "<section><h2>Objects changed</h2>" + "".join(parts) + "</section>" if parts else ""


# --- a component --------------------------------------------------------------------------
def component_live(doc: Mapping[str, Any]) -> str:
    """One component on one cluster: health and message, the last applied diff, rendered objects, Events,
    health history (with the revision that changed it) and the reconciles that touched it."""
    component = _mapping(doc.get("component"))
    health = _text(component.get("health")) or "Unknown"
    name = _text(doc.get("name"))
    facts = [("Health", f"<span id=\"health\" class=\"badge {_health_class(health)}\">{_e(health)}</span>"),
             ("Message", f"<span id=\"message\" class=\"msg\">{_e(component.get('message')) or '-'}</span>"),
             ("Sync", _e(component.get("sync"))),
             ("Applied revision", f"<code>{_e(doc.get('revision') or '-')}</code>")]
    if doc.get("changedBy"):
        facts.append(("Health changed by", f"<code>{_e(_short(doc.get('changedBy')))}</code> at "
                                           f"{_e(doc.get('changedAt'))}"))
    return (f"<h1>{_e(name)} <small>on {_e(doc.get('environment'))} / {_e(doc.get('cluster'))}</small></h1>"
            + _facts(facts) + _failure(doc.get("lastFailure")) + _diff(doc.get("lastDiff")) + _objects(doc.get("objects"))
            + _events(doc.get("events")) + _health_history(doc.get("healthHistory"))
            + _reconciles_table(doc.get("reconciles") or [], with_target=False, title="Reconciles that changed it"))


def _failure(failure: Any) -> str:
    """The latest reconcile failed on this component's objects: which, and the server's words."""
    if not isinstance(failure, Mapping):
        return ""
    items = "".join(f"<li><code>{_e(o.get('object'))}</code> {_e(o.get('action'))}: "
                    f"<span class=\"msg\">{_e(o.get('message'))}</span></li>"
                    for o in failure.get("objects") or [] if isinstance(o, Mapping))
    return (f"<section id=\"failure\" class=\"failure\" role=\"alert\"><h2>Last reconcile failed</h2>"
            f"<p class=\"facts\">revision <code>{_e(_short(failure.get('revision')))}</code> at "
            f"{_e(failure.get('at'))}</p><ul>{items}</ul></section>")


def _diff(last: Any) -> str:
    if not isinstance(last, Mapping):
        return "<section id=\"diff\"><h2>Last applied diff</h2><p class=\"empty\">nothing applied yet</p></section>"
    blocks = []
    for item in last.get("objects") or []:
        if not isinstance(item, Mapping):
            continue
        lines = "".join(f"<span class=\"{_line_class(line)}\">{_e(line)}</span>\n"
                        for line in _text(item.get("diff")).splitlines())
        blocks.append(f"<h3><code>{_e(item.get('object'))}</code> {_e(item.get('action'))}</h3>"
                      f"<pre class=\"diff\">{lines or '(no textual change)'}</pre>")
    cut = "<p class=\"empty\">(cut: the diff is longer than the dashboard keeps)</p>" if last.get("truncated") else ""
    return (f"<section id=\"diff\"><h2>Last applied diff</h2><p class=\"facts\">revision "
            f"<code>{_e(_short(last.get('revision')))}</code> at {_e(last.get('at'))}</p>{''.join(blocks)}{cut}"
            "</section>")


def _line_class(line: str) -> str:
    if line.startswith(("+++", "---")):
        return "d-file"
    return {"+": "d-add", "-": "d-del", "@": "d-hunk"}.get(line[:1], "d-ctx")


def _objects(objects: Any) -> str:
    rows = []
    for item in objects if isinstance(objects, list) else []:
        if not isinstance(item, Mapping):
            continue
        health = _text(item.get("health")) or "Unknown"
        manifest = item.get("manifest")
        text = yaml.safe_dump(manifest, sort_keys=False, width=120) if isinstance(manifest, Mapping) else ""
        rows.append(_row(item.get("object"), health)
                    + f"<td><details data-key=\"obj-{_e(item.get('object'))}\"><summary><code>{_e(item.get('object'))}"
                    f"</code></summary><pre>{_e(text)}</pre></details></td>{_health_cell(health)}"
                    f"<td class=\"msg\">{_e(item.get('message'))}</td></tr>")
    body = "".join(rows) or "<tr><td colspan=\"3\">none rendered</td></tr>"
    return ("<section id=\"objects\"><h2>Rendered objects</h2><table><thead><tr><th>Object</th><th>Health</th>"
            f"<th>Message</th></tr></thead><tbody>{body}</tbody></table></section>")


def _events(events: Any) -> str:
    rows = []
    for item in events if isinstance(events, list) else []:
        if not isinstance(item, Mapping):
            continue
        kind = _text(item.get("type"))
        rows.append(f"<tr class=\"filterable{' warning' if kind == 'Warning' else ''}\" "
                    f"data-filter=\"{_e(_words(kind, item.get('reason'), item.get('object'), item.get('message')))}\">"
                    f"<td>{_e(item.get('at'))}</td><td>{_e(kind)}</td><td>{_e(item.get('reason'))}</td>"
                    f"<td><code>{_e(item.get('object'))}</code></td>"
                    f"<td class=\"msg\">{_e(item.get('message'))}</td></tr>")
    body = "".join(rows) or "<tr><td colspan=\"5\">none recorded</td></tr>"
    return ("<section id=\"events\"><h2>Events</h2><p class=\"note\">The latest Events platformctl recorded about "
            "this component's objects (kept in memory by this daemon).</p><table><thead><tr><th>Time</th><th>Type</th>"
            f"<th>Reason</th><th>Object</th><th>Message</th></tr></thead><tbody>{body}</tbody></table></section>")


def _health_history(changes: Any) -> str:
    rows = []
    for item in changes if isinstance(changes, list) else []:
        if not isinstance(item, Mapping):
            continue
        rows.append(f"<tr><td>{_e(item.get('at'))}</td>{_health_cell(_text(item.get('status')))}"
                    f"<td class=\"msg\">{_e(item.get('message'))}</td><td><code>{_e(_short(item.get('revision')))}"
                    "</code></td></tr>")
    body = "".join(rows) or "<tr><td colspan=\"4\">none yet</td></tr>"
    return ("<section id=\"health-history\"><h2>Health history</h2><table><thead><tr><th>Since</th><th>Health</th>"
            f"<th>Message</th><th>Revision</th></tr></thead><tbody>{body}</tbody></table></section>")


def not_found_live(what: str) -> str:
    """The live part of a page whose target or component is not (or no longer) known."""
    return f"<p class=\"empty\" role=\"alert\">{_e(what)} is not known to this daemon (yet).</p>"


# --- helpers ------------------------------------------------------------------------------
def _facts(facts: list[tuple[str, str]]) -> str:
    """A definition list; the values are HTML already escaped by the caller."""
    return "<dl class=\"facts-list\">" + "".join(f"<dt>{_e(k)}</dt><dd>{v}</dd>" for k, v in facts) + "</dl>"


def _health_cell(value: Any) -> str:
    text = _text(value)
    return f"<td class=\"{_health_class(text)}\">{_e(text)}</td>"


def _health_class(value: str) -> str:
    return f"h-{value.lower()}" if value in HEALTHS else "h-unknown"


def _url(path: str, **query: Any) -> str:
    return f"{path}?{urllib.parse.urlencode({k: _text(v) for k, v in query.items()})}"


def _row(*words: Any) -> str:
    """A table row's opening tag, found by the filter box through ``words``."""
    return f"<tr class=\"filterable\" data-filter=\"{_e(_words(*words))}\">"


def _words(*values: Any) -> str:
    return " ".join(_text(v) for v in values if v).lower()


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _short(revision: Any) -> str:
    return _text(revision)[:12]


def _text(value: Any) -> str:
    return "" if value is None else str(getattr(value, "value", value))


def _e(value: Any) -> str:
    return html.escape(_text(value), quote=True)
