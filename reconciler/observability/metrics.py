"""Prometheus metrics of one daemon, named like flux's ``gotk_*`` and Argo CD's ``argocd_*``.

``Metrics`` owns its own ``CollectorRegistry`` so tests and several daemons in one process never
collide. Label values are only names (environments, clusters, components, verbs), statuses, HTTP
codes and revision SHAs: never a spec value, a message or anything secret.

Thread-safe: workers report from their own threads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info, generate_latest

from reconciler.observability.healthmetric import ComponentHealth

__all__ = ["Metrics", "CONTENT_TYPE", "RECONCILE_BUCKETS", "HEALTH_STATUSES", "APPLIED_ACTIONS"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
"""The classic text format every Prometheus version scrapes (all our names are plain legacy names)."""

RECONCILE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)
"""Seconds: a no-op reconcile of a small environment to a slow first apply of a large one."""
HEALTH_STATUSES = ("Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown")
"""Every value of ``platformctl_component_health``'s ``status`` label (``reconciler.health.Status``)."""
ROLLOUT_PHASES = ("Progressing", "Paused", "Succeeded", "Failed", "Aborted")

APPLIED_ACTIONS = ("created", "configured", "replaced")
"""Change actions that count as a write in ``platformctl_objects_applied_total``."""

_MAX_LABEL = 128


class Metrics:
    """Every metric the daemon exports, and one method per thing that happened."""

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._clock = clock
        self._lock = threading.Lock()
        self._snapshots: dict[tuple[str, str, str], float] = {}  # (metric, cluster, source + verb) -> last value
        target = ["environment", "cluster"]
        r = self.registry
        self._duration = Histogram("platformctl_reconcile_duration_seconds",
                                   "Duration of one reconcile of an environment on a cluster.",
                                   [*target, "result"], buckets=RECONCILE_BUCKETS, registry=r)
        self._last_success = Gauge("platformctl_reconcile_last_success_timestamp_seconds",
                                   "Unix time the last successful reconcile of a target finished.", target, registry=r)
        self._applied = Counter("platformctl_objects_applied_total",
                                "Objects written (created or configured) by reconciles.", target, registry=r)
        self._pruned = Counter("platformctl_objects_pruned_total",
                               "Objects deleted because Git no longer holds them.", target, registry=r)
        self._failed = Counter("platformctl_objects_failed_total",
                               "Objects a reconcile failed to dry-run, apply or prune.", target, registry=r)
        self._drift = Counter("platformctl_drift_detected_total",
                              "Objects found to differ from Git by drift checks.", target, registry=r)
        self._drifted = Gauge("platformctl_drifted_objects",
                              "Objects that differed from Git at the last drift check.", target, registry=r)
        self._replacements = Gauge("platformctl_objects_needing_replacement",
                                   "Objects whose change the cluster refuses (an immutable field) at the last "
                                   "reconcile: the target waits for a commit or `apply --replace`.", target, registry=r)
        self._watch_reports = Counter("platformctl_drift_watch_reports_total",
                                      "Changes a drift WATCH saw leave Git's line (each schedules a drift check).",
                                      target, registry=r)
        self._watches = Gauge("platformctl_drift_watches",
                              "Drift WATCHes open or reconnecting (one per namespaced kind and namespace).",
                              target, registry=r)
        self._cache_objects = Gauge("platformctl_watch_cache_objects",
                                    "Objects the target's watch cache holds (--watch-cache).", target, registry=r)
        self._cache_bytes = Gauge("platformctl_watch_cache_bytes",
                                  "Bytes of the objects the target's watch cache holds (compact JSON).", target,
                                  registry=r)
        self._cache_relists = Gauge("platformctl_watch_cache_relists",
                                    "LISTs the target's watch cache made again after a 410 or a broken watch, "
                                    "since its watches opened.", target, registry=r)
        self._revision = Info("platformctl_last_applied_revision",
                              "Revision last applied successfully to a target (value 1).", target, registry=r)
        self._health = ComponentHealth(HEALTH_STATUSES)
        r.register(self._health)
        self._up = Gauge("platformctl_cluster_up", "1 while the cluster answers (its last request or watch got an answer), else 0.",
                         target, registry=r)
        self._requests = Counter("platformctl_api_requests_total",
                                 "Kubernetes API requests sent, retries included.", ["cluster", "verb"], registry=r)
        self._errors = Counter("platformctl_api_request_errors_total",
                               "Kubernetes API requests that failed, by HTTP status (0: no answer).",
                               ["cluster", "code"], registry=r)
        self._retries = Counter("platformctl_api_request_retries_total",
                                "Kubernetes API requests that were retries (after 429, 5xx or a connection error).",
                                ["cluster"], registry=r)
        self._throttled = Counter("platformctl_client_throttled_seconds_total",
                                  "Seconds requests waited for the client-side rate limiter.", ["cluster"], registry=r)
        self._rate_limit = Gauge("platformctl_client_rate_limit_qps",
                                 "Requests per second the client holds itself to (0: no client-side limit, "
                                 "e.g. lifted because the server runs API Priority and Fairness).",
                                 ["cluster"], registry=r)
        self._fetches = Counter("platformctl_git_fetch_total", "Git fetches, by result.", ["result"], registry=r)
        self._source = Info("platformctl_source_revision",
                            "Revision of the source last loaded and whether it loaded (value 1).", registry=r)
        self._leader = Gauge("platformctl_leader", "1 while this replica holds the leader lease.", registry=r)
        self._leader.set(0)
        self._shard_moves = Counter("platformctl_shard_moves_total",
                                    "Shards (sharded replicas: one Lease each) this replica gained or lost.",
                                    ["direction"], registry=r)
        self._shards_held = Gauge("platformctl_shards_held", "Shards whose Lease this replica holds.", registry=r)
        rollout = [*target, "component"]
        self._rollout_share = Gauge("platformctl_rollout_share_percent",
                                    "Share of traffic (percent) a progressive rollout gives the new version.",
                                    rollout, registry=r)
        self._rollout_step = Gauge("platformctl_rollout_step", "Step (1-based) a progressive rollout is at.",
                                   rollout, registry=r)
        self._rollout_phase = Gauge("platformctl_rollout_phase", "1 for the phase a rollout is in, else 0.",
                                    [*rollout, "phase"], registry=r)
        self._rollout_failures = Gauge("platformctl_rollout_analysis_failures",
                                       "Failed analyses in a row of the rollout's current step.", rollout, registry=r)
        self._rollout_next = Gauge("platformctl_rollout_next_step_seconds",
                                   "Seconds until the rollout's current step is analysed (-1: none scheduled).",
                                   rollout, registry=r)
        self._rollouts: dict[tuple[str, str], set[str]] = {}  # target -> components with rollout series
        self._notifications = Counter("platformctl_notifications_total",
                                      "Alerts sent to a notification provider, by result (sent, or failed after "
                                      "every retry).", ["provider", "result"], registry=r)
        self._notifications_dropped = Counter("platformctl_notifications_dropped_total",
                                              "Alerts not sent to a provider: deduplicated, rate_limited, "
                                              "queue_full or shutdown (still queued at shutdown).", ["provider", "reason"], registry=r)
        self._events = Counter("platformctl_events_total",
                               "Kubernetes Events about managed objects, by result (created, aggregated into an "
                               "existing Event's count, failed, dropped: the recorder's queue was full).",
                               ["cluster", "result"], registry=r)

    # --- reconciles -----------------------------------------------------------------
    def reconcile_finished(self, environment: str, cluster: str, seconds: float, *, ok: bool,
                           changes: Mapping[str, int]) -> None:
        """One reconcile ended; ``changes`` counts objects per action (created, configured, pruned, ...)."""
        env, name = _label(environment), _label(cluster)
        self._duration.labels(env, name, "success" if ok else "failure").observe(max(0.0, seconds))
        if ok:
            self._last_success.labels(env, name).set(self._clock())
        applied = sum(max(0, int(changes.get(action, 0))) for action in APPLIED_ACTIONS)
        for counter, count in ((self._applied, applied), (self._pruned, int(changes.get("pruned", 0))),
                               (self._failed, int(changes.get("failed", 0)))):
            series = counter.labels(env, name)  # created at 0 so rate() works from the first reconcile
            if count > 0:
                series.inc(count)

    def drift_detected(self, environment: str, cluster: str, objects: int) -> None:
        """A drift check found ``objects`` objects differing from Git (0: in sync)."""
        env, name = _label(environment), _label(cluster)
        self._drifted.labels(env, name).set(max(0, objects))
        series = self._drift.labels(env, name)
        if objects > 0:
            series.inc(objects)

    def needing_replacement(self, environment: str, cluster: str, objects: int) -> None:
        """The last plan of a target held ``objects`` objects that need replacement."""
        self._replacements.labels(_label(environment), _label(cluster)).set(max(0, objects))

    def drift_watch_report(self, environment: str, cluster: str) -> None:
        """A drift WATCH saw an object leave Git's line."""
        self._watch_reports.labels(_label(environment), _label(cluster)).inc()

    def drift_watches(self, environment: str, cluster: str, count: int) -> None:
        """How many drift WATCHes the target has now."""
        self._watches.labels(_label(environment), _label(cluster)).set(max(0, count))

    def watch_cache(self, environment: str, cluster: str, objects: int, size: int, relists: int) -> None:
        """What the target's watch cache holds now, and its re-LISTs so far."""
        labels = (_label(environment), _label(cluster))
        self._cache_objects.labels(*labels).set(objects)
        self._cache_bytes.labels(*labels).set(size)
        self._cache_relists.labels(*labels).set(relists)

    def revision_applied(self, environment: str, cluster: str, revision: str) -> None:
        """``revision`` is now applied to the target (replaces the previous revision's series)."""
        self._revision.labels(_label(environment), _label(cluster)).info({"revision": _label(revision)})

    def component_health(self, environment: str, cluster: str, component: str, status: str) -> None:
        """A component's health roll-up; ``status`` is a ``Status`` value (others read as Unknown)."""
        current = _status(status)
        self._health.set(_label(environment), _label(cluster), _label(component), current)

    def cluster_reachable(self, environment: str, cluster: str, up: bool) -> None:
        """Whether the cluster answers (set at once when a request or watch gets no answer, and back)."""
        self._up.labels(_label(environment), _label(cluster)).set(1 if up else 0)

    def forget(self, environment: str, cluster: str, component: str | None = None) -> None:
        """Drop the series of a component, or of a whole target, no longer in the spec."""
        env, name = _label(environment), _label(cluster)
        if component is not None:
            self._health.forget(env, name, _label(component))
            return
        for metric in (self._last_success, self._applied, self._pruned, self._failed, self._drift, self._drifted,
                       self._revision, self._up, self._watch_reports, self._watches, self._replacements):
            _remove(metric, env, name)
        for result in ("success", "failure"):
            _remove(self._duration, env, name, result)
        self._health.forget(env, name)
        self.rollouts(environment, cluster, [])

    # --- progressive rollouts ----------------------------------------------------------
    def rollouts(self, environment: str, cluster: str, rollouts: list[dict[str, Any]]) -> None:
        """The rollouts of a target as the status document shows them (``rollout.view.as_document``);
        series of rollouts no longer shown are dropped."""
        env, name = _label(environment), _label(cluster)
        shown = set()
        for doc in rollouts:
            comp = _label(str(doc["component"]))
            shown.add(comp)
            self._rollout_share.labels(env, name, comp).set(float(doc["share"]))
            self._rollout_step.labels(env, name, comp).set(float(doc["step"]))
            self._rollout_failures.labels(env, name, comp).set(float(doc["failures"]))
            wait = doc.get("nextStepInSeconds")
            self._rollout_next.labels(env, name, comp).set(-1.0 if wait is None else float(wait))
            for phase in ROLLOUT_PHASES:
                self._rollout_phase.labels(env, name, comp, phase).set(1 if doc["phase"] == phase else 0)
        with self._lock:
            gone = self._rollouts.get((env, name), set()) - shown
            self._rollouts[(env, name)] = shown
        for comp in gone:
            for metric in (self._rollout_share, self._rollout_step, self._rollout_failures, self._rollout_next):
                _remove(metric, env, name, comp)
            for phase in ROLLOUT_PHASES:
                _remove(self._rollout_phase, env, name, comp, phase)

    # --- Kubernetes API client ------------------------------------------------------
    def api_requests(self, cluster: str, counts: Mapping[str, int], *, source: str = "") -> None:
        """A cumulative snapshot of requests per verb (``KubeCluster.request_counts()``); adds the deltas.

        Snapshots are compared per (cluster, ``source``): pass a distinct ``source`` when several
        clients report for one cluster name. A count lower than the last one means the client was
        recreated, and the new count is added whole (as Prometheus treats counter resets).
        """
        name = _label(cluster)
        for verb, total in counts.items():
            delta = self._delta("requests", name, f"{source}\0{verb}", float(total))
            if delta > 0:
                self._requests.labels(name, _label(verb)).inc(delta)

    def api_error(self, cluster: str, code: int) -> None:
        """One failed request: its HTTP status, or 0 when the server never answered."""
        self._errors.labels(_label(cluster), str(int(code))).inc()

    def api_retries(self, cluster: str, total: int, *, source: str = "") -> None:
        """A cumulative snapshot of retries (``KubeCluster.retries``)."""
        delta = self._delta("retries", _label(cluster), source, float(total))
        if delta > 0:
            self._retries.labels(_label(cluster)).inc(delta)

    def throttled(self, cluster: str, total_seconds: float, *, source: str = "") -> None:
        """A cumulative snapshot of seconds spent rate-limited (``KubeCluster.throttled_seconds``)."""
        delta = self._delta("throttled", _label(cluster), source, float(total_seconds))
        if delta > 0:
            self._throttled.labels(_label(cluster)).inc(delta)

    def rate_limit(self, cluster: str, qps: float) -> None:
        """The client-side limit now in force towards ``cluster`` (``KubeCluster.rate_limit``)."""
        self._rate_limit.labels(_label(cluster)).set(max(0.0, float(qps)))

    # --- source and leadership ------------------------------------------------------
    def git_fetched(self, ok: bool) -> None:
        """One fetch from the Git remote finished."""
        self._fetches.labels("success" if ok else "failure").inc()

    def source_loaded(self, revision: str, ok: bool) -> None:
        """The source at ``revision`` was loaded (``ok``) or failed to load (the last good one keeps running)."""
        self._source.info({"revision": _label(revision), "ok": "true" if ok else "false"})

    def leader(self, is_leader: bool) -> None:
        """This replica gained or lost the leader lease."""
        self._leader.set(1 if is_leader else 0)

    def shards_moved(self, gained: int, lost: int, held: int) -> None:
        """Sharded: this replica gained and lost shards since the last look; it holds ``held`` now."""
        if gained:
            self._shard_moves.labels("gained").inc(gained)
        if lost:
            self._shard_moves.labels("lost").inc(lost)
        self._shards_held.set(held)

    # --- notifications and Events ---------------------------------------------------
    def notification_sent(self, provider: str, ok: bool) -> None:
        """One alert reached a provider (``ok``), or failed to after every retry."""
        self._notifications.labels(_label(provider), "sent" if ok else "failed").inc()

    def notification_dropped(self, provider: str, reason: str) -> None:
        """One alert not sent to a provider (deduplicated, rate_limited, queue_full)."""
        self._notifications_dropped.labels(_label(provider), _label(reason)).inc()

    def event_recorded(self, cluster: str, result: str) -> None:
        """One Kubernetes Event: created, aggregated, failed or dropped."""
        self._events.labels(_label(cluster), _label(result)).inc()

    # --- exposition -----------------------------------------------------------------
    def render(self) -> tuple[bytes, str]:
        """The exposition text of every metric, and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE

    def _delta(self, metric: str, cluster: str, series: str, total: float) -> float:
        with self._lock:
            previous = self._snapshots.get((metric, cluster, series), 0.0)
            self._snapshots[(metric, cluster, series)] = total
        return total - previous if total >= previous else total


def _label(value: str) -> str:
    """A label value: the string itself, clipped so a runaway name cannot bloat every scrape."""
    text = str(value)
    return text if len(text) <= _MAX_LABEL else text[:_MAX_LABEL]


def _status(status: str) -> str:
    text = str(getattr(status, "value", status))
    for known in HEALTH_STATUSES:
        if text.lower() == known.lower():
            return known
    return "Unknown"


def _remove(metric: Counter | Gauge | Histogram | Info, *labels: str) -> None:
    try:
        metric.remove(*labels)
    except KeyError:
        pass
