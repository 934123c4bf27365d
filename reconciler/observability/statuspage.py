"""The status document the daemon publishes, and the small HTML page that shows it (pure).

The daemon's ``status()`` callable returns a ``StatusDoc``: plain JSON-able data, camelCase keys
like the other JSON platformctl prints. Every key is optional; ``environments`` and ``clusters``
may also be mappings from name to entry. Every value is HTML-escaped on the page.

    {"revision": "3f2c...", "sourceError": null, "leader": true, "ready": true,
     "environments": [{"name": "prod-cloud", "clusters": [
         {"name": "gke-eu", "sync": "Synced", "health": "Healthy", "revision": "3f2c...",
          "lastReconcile": "2025-01-01T12:00:00Z", "lastError": null,
          "components": [{"name": "serving/fraud-detector", "sync": "Synced",
                          "health": "Healthy", "message": ""}]}]}]}
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import Any, TypedDict

__all__ = ["ApplyingStatus", "ClusterStatus", "ComponentStatus", "EnvironmentStatus", "StatusDoc", "status_html"]


class ComponentStatus(TypedDict, total=False):
    """One component on one cluster."""

    name: str
    sync: str
    health: str
    message: str


class ApplyingStatus(TypedDict, total=False):
    """An apply in flight on one cluster."""

    revision: str
    done: int
    total: int
    since: str


class ClusterStatus(TypedDict, total=False):
    """One cluster of one environment: its last reconcile and its components."""

    name: str
    sync: str
    health: str
    revision: str
    applying: ApplyingStatus | None
    """The apply in flight: the revision being written and how far it is (sync is then ``Applying``)."""
    lastReconcile: str
    lastError: str | None
    specErrors: list[str]
    """``file:line:col`` of each change the cluster would refuse (an object needs replacement)."""
    refusedDeletes: list[str]
    """Inventory entries platformctl refused to delete (not its own: was the inventory edited?)."""
    components: list[ComponentStatus]
    rollouts: list[dict[str, Any]]
    """Progressive rollouts of served models (``reconciler.rollout.view.as_document``)."""
    shard: int
    """Sharded replicas only: the shard (one Lease) the cluster belongs to."""
    owner: str | None
    """Sharded replicas only: the replica holding that shard's Lease, the only one that may write the cluster."""


class EnvironmentStatus(TypedDict, total=False):
    """One environment and its clusters."""

    name: str
    clusters: list[ClusterStatus]


class StatusDoc(TypedDict, total=False):
    """What ``GET /status.json`` returns and ``GET /`` shows."""

    revision: str
    sourceError: str | None
    leader: bool
    ready: bool
    environments: list[EnvironmentStatus]


_HEALTH_CLASSES = {"healthy", "progressing", "degraded", "suspended", "missing", "unknown"}
_COLUMNS = ("Cluster", "Component", "Sync", "Health", "Message", "Revision", "Last reconcile", "Last error")
_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin-bottom:1.5em}th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left}
th{background:#f3f3f3}code{font-size:12px}.err{color:#a00}.applying{color:#1a4f99;font-weight:600}
.h-healthy{background:#e6f4e6}.h-progressing{background:#e6eef9}.h-degraded{background:#fbe3e3}
.h-missing{background:#fbe3e3}.h-suspended{background:#f1f1f1}.h-unknown{background:#fdf3d8}
"""


def status_html(doc: Mapping[str, Any], *, refresh_seconds: int = 10) -> str:
    """A self-contained HTML page (no scripts, inline style only): environments x clusters x components."""
    parts = ["<!doctype html><html><head><meta charset=\"utf-8\">",
             f"<meta http-equiv=\"refresh\" content=\"{int(refresh_seconds)}\">",
             f"<title>platformctl</title><style>{_STYLE}</style></head><body><h1>platformctl</h1>"]
    facts = [f"source revision <code>{_e(doc.get('revision') or '-')}</code>",
             "leader" if doc.get("leader") else "follower",
             "ready" if doc.get("ready", True) else "not ready"]
    parts.append(f"<p>{' &middot; '.join(facts)}</p>")
    if doc.get("sourceError"):
        parts.append(f"<p class=\"err\">source error: {_e(doc['sourceError'])}</p>")
    environments = named_entries(doc.get("environments"))
    if not environments:
        parts.append("<p>No environments reconciled yet.</p>")
    for env_name, env in environments:
        parts.append(f"<h2>{_e(env_name)}</h2><table><tr>{''.join(f'<th>{c}</th>' for c in _COLUMNS)}</tr>")
        for cluster_name, cluster in named_entries(env.get("clusters")):
            parts.extend(_cluster_rows(cluster_name, cluster))
        parts.append("</table>")
        parts.extend(_rollouts(env))
    parts.append("</body></html>")
    return "".join(parts)


def _cluster_rows(name: str, cluster: Mapping[str, Any]) -> Iterable[str]:
    shown = _e(name)
    if "shard" in cluster:  # sharded replicas: who may write this cluster
        shown += f"<br><small>shard {_e(cluster.get('shard'))}: {_e(cluster.get('owner') or 'no owner')}</small>"
    errors = [cluster.get("lastError"), *(cluster.get("specErrors") or []), *(cluster.get("refusedDeletes") or [])]
    tail = (f"<td>{_revision_cell(cluster)}</td><td>{_e(cluster.get('lastReconcile'))}</td>"
            f"<td class=\"err\">{'<br>'.join(_e(e) for e in errors if e)}</td>")
    components = named_entries(cluster.get("components"))
    if not components:
        yield (f"<tr><td>{shown}</td><td>-</td><td>{_e(cluster.get('sync'))}</td>"
               f"{_health_cell(cluster.get('health'))}<td></td>{tail}</tr>")
        return
    for component_name, component in components:
        yield (f"<tr><td>{shown}</td><td>{_e(component_name)}</td><td>{_e(component.get('sync'))}</td>"
               f"{_health_cell(component.get('health'))}<td>{_e(component.get('message'))}</td>{tail}</tr>")


_ROLLOUT_COLUMNS = ("Cluster", "Component", "Versions", "Phase", "Step", "Share", "Next step in", "Analysis",
                    "Reason")


def _rollouts(env: Mapping[str, Any]) -> Iterable[str]:
    """A table of the environment's progressive rollouts (none: nothing)."""
    rows = []
    for cluster_name, cluster in named_entries(env.get("clusters")):
        for rollout in cluster.get("rollouts") or []:
            if not isinstance(rollout, Mapping):
                continue
            checks = "<br>".join(
                f"{_e(c.get('name'))}: {'ok' if c.get('ok') else 'FAILED'}"
                + (f" ({_e(c.get('value'))})" if c.get("value") is not None else "")
                + (f" &ndash; {_e(c.get('message'))}" if c.get("message") else "")
                for c in rollout.get("analysis") or [] if isinstance(c, Mapping))
            wait = rollout.get("nextStepInSeconds")
            phase = str(rollout.get("phase") or "")
            css = {"Succeeded": "healthy", "Failed": "degraded", "Aborted": "degraded", "Paused": "suspended"}.get(
                phase, "progressing")
            steps = rollout.get("steps") or []
            rows.append(
                f"<tr><td>{_e(cluster_name)}</td><td>{_e(rollout.get('component'))}</td>"
                f"<td>{_e(rollout.get('previous') or '-')} &rarr; {_e(rollout.get('version'))}</td>"
                f"<td class=\"h-{css}\">{_e(phase)}</td><td>{_e(rollout.get('step'))}/{len(steps)}</td>"
                f"<td>{_e(rollout.get('share'))}%</td><td>{'' if wait is None else f'{float(wait):.0f}s'}</td>"
                f"<td>{checks}</td><td class=\"err\">{_e(rollout.get('reason'))}</td></tr>")
    if rows:
        yield (f"<h3>Rollouts</h3><table><tr>{''.join(f'<th>{c}</th>' for c in _ROLLOUT_COLUMNS)}</tr>"
               + "".join(rows) + "</table>")


def _revision_cell(cluster: Mapping[str, Any]) -> str:
    """The applied revision; during an apply, the one being applied and how far it is."""
    applied = f"<code>{_e(_short(cluster.get('revision')))}</code>"
    applying = cluster.get("applying")
    if not isinstance(applying, Mapping):
        return applied
    return (f"<span class=\"applying\">applying <code>{_e(_short(applying.get('revision')))}</code> "
            f"({_e(applying.get('done'))}/{_e(applying.get('total'))} objects)</span>"
            f"{' over ' + applied if cluster.get('revision') else ''}")


def _health_cell(value: Any) -> str:
    text = "" if value is None else str(getattr(value, "value", value))
    css = f"h-{text.lower()}" if text.lower() in _HEALTH_CLASSES else "h-unknown"
    return f"<td class=\"{css}\">{_e(text)}</td>"


def named_entries(value: Any) -> list[tuple[str, Mapping[str, Any]]]:
    """(name, entry) pairs from a list of ``{name: ...}`` mappings or a mapping of name to entry."""
    if isinstance(value, Mapping):
        return [(str(k), v if isinstance(v, Mapping) else {}) for k, v in value.items()]
    if isinstance(value, (list, tuple)):
        return [(str(v.get("name", "?")), v) for v in value if isinstance(v, Mapping)]
    return []


def _short(revision: Any) -> str:
    text = "" if revision is None else str(revision)
    return text[:12]


def _e(value: Any) -> str:
    if value is None:
        return ""
    return html.escape(str(getattr(value, "value", value)), quote=True)
