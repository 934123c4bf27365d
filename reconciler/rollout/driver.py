"""Runs the rollouts of one cluster (I/O): starts them before a reconcile applies a new version and
moves them after it, one transition per analysis, each written to the cluster before it acts.

Order of writes, chosen for crashes: on start, the share first (so the new version can never take
all traffic at once), then the state; on every later transition, the state first, then the share
(a restarted leader re-applies the share the stored state holds). The stored state is the truth:
a new leader reads it and goes on at the same step, and never restarts a final rollout.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol

import structlog

from reconciler.cluster.base import KindRef
from reconciler.errors import ClusterError
from reconciler.objects import Manifest
from reconciler.rollout import machine
from reconciler.rollout.analysis import Query, analyse
from reconciler.rollout.objects import (
    ROLLOUT_FIELD_MANAGER, event, live_share, live_version, read_request, read_state, readiness, same_version,
    share_patch, state_configmap, state_name,
)
from reconciler.rollout.policy import ISVC_API_VERSION, ISVC_KIND, RolloutPolicy
from reconciler.rollout.state import Phase, RolloutState
from reconciler.rollout.view import RolloutView

log = structlog.get_logger("platformctl.rollout")

ISVC = KindRef(ISVC_API_VERSION, ISVC_KIND, "inferenceservices", True)
CONFIGMAP = KindRef("v1", "ConfigMap", "configmaps", True)
REQUEST_POLL = 10.0
"""Longest time between two looks at a running or paused rollout (so a pause, resume or abort request
is carried out within it, even in a long step)."""


class ReadsObjects(Protocol):
    """A cluster to read from."""

    def get(self, kind: KindRef, namespace: str | None, name: str) -> Manifest | None:
        """One object, or None."""
        ...


class RolloutCluster(ReadsObjects, Protocol):
    """What a rollout needs of a cluster: reads, applies under its own field manager, Events."""

    def apply_as(self, manifest: Manifest, *, field_manager: str) -> Manifest:
        """Server-side apply under ``field_manager`` (forced)."""
        ...

    def record_event(self, event: Manifest) -> None:
        """Create a core/v1 Event."""
        ...


def stored_state(cluster: ReadsObjects, policy: RolloutPolicy) -> RolloutState | None:
    """The rollout state stored beside ``policy``'s InferenceService on ``cluster`` (None: none stored)."""
    return read_state(cluster.get(CONFIGMAP, policy.namespace, state_name(policy.name)))


class RolloutDriver:
    """Starts and moves rollouts; ``now`` is wall-clock seconds (stored states must mean the same to any
    replica); ``query`` runs PromQL (None: no Prometheus configured, metric checks fail)."""

    def __init__(self, *, now: Callable[[], float], query: Query | None = None, instance: str = "") -> None:
        self._now = now
        self._query = query
        self._instance = instance
        self._lock = threading.Lock()
        self._running: dict[tuple[str, str], set[tuple[str, str]]] = {}
        """(environment, cluster) -> (name, namespace) of rollouts seen unfinished (to let go of their share
        when Git stops rolling the model out progressively)."""

    def before(self, cluster: RolloutCluster, policies: tuple[RolloutPolicy, ...]) -> list[RolloutState]:
        """Start a rollout for each served model whose pinned version differs from the cluster's, unless one
        of that version is already known (running or final). Raises ClusterError: the reconcile must not
        apply a new version whose canary share could not be set first."""
        started = []
        for policy in policies:
            live = cluster.get(ISVC, policy.namespace, policy.name)
            if live is None or same_version(live, policy.version):
                continue  # a first deploy has nothing to shift traffic from; same version: nothing to roll out
            stored = stored_state(cluster, policy)
            if stored is not None and stored.version == policy.version:
                continue  # this version's rollout is known: running, or final (never retried)
            previous = live_version(live)
            if stored is not None and stored.phase is not Phase.SUCCEEDED:
                # a rollout that failed, was aborted or is superseded mid-way never became KServe's rolled-out
                # revision: the rest of the traffic is still on the version before it
                previous = stored.previous
            state = machine.start(policy, previous, self._now())
            manager = ROLLOUT_FIELD_MANAGER
            cluster.apply_as(share_patch(policy.name, policy.namespace, state.share), field_manager=manager)
            cluster.apply_as(state_configmap(policy.name, policy.namespace, state), field_manager=manager)
            self._event(cluster, live, "RolloutStarted", state.history[-1].partition(" ")[2])
            log.info("rollout started", component=policy.component, version=policy.version, previous=previous,
                     share=state.share)
            started.append(state)
        return started

    def after(self, cluster: RolloutCluster, policies: tuple[RolloutPolicy, ...], *, environment: str = "",
              cluster_name: str = "") -> list[RolloutView]:
        """Move each rollout whose step is due (or that got a request); the views of every known rollout of
        the pinned versions. A failing read or write of one rollout is logged and tried again next time."""
        views = []
        for policy in policies:
            try:
                view = self._move(cluster, policy, environment, cluster_name)
            except ClusterError as exc:
                log.warning("rollout step failed; tried again at the next reconcile", component=policy.component,
                            error=str(exc))
                continue
            if view is not None:
                views.append(view)
        holding = {(v.name, v.state.component) for v in views if machine.wanted_share(v.state) is not None}
        self._let_go(cluster, (environment, cluster_name), policies, holding)
        return views

    def _let_go(self, cluster: RolloutCluster, target: tuple[str, str], policies: tuple[RolloutPolicy, ...],
                holding: set[tuple[str, str]]) -> None:
        """Rollouts this driver saw holding a share (running, or failed/aborted at 0%) whose model Git no
        longer rolls out progressively (canary.steps removed, or the static form back): a running one is
        aborted; the share is let go, so Git's form decides the traffic again."""
        wanted = {(p.name, p.namespace) for p in policies}
        namespaces = {p.name: p.namespace for p in policies}
        with self._lock:
            before = self._running.get(target, set())
            now_running = {(name, namespaces[name]) for name, _component in holding if name in namespaces}
            self._running[target] = now_running | {key for key in before if key not in wanted}
            orphans = [key for key in before if key not in wanted]
        for name, namespace in orphans:
            try:
                self._abandon(cluster, name, namespace)
            except ClusterError as exc:
                log.warning("could not let go of an abandoned rollout; tried again later", name=name, error=str(exc))
                continue
            with self._lock:
                self._running.get(target, set()).discard((name, namespace))

    def _abandon(self, cluster: RolloutCluster, name: str, namespace: str) -> None:
        stored = read_state(cluster.get(CONFIGMAP, namespace, state_name(name)))
        live = cluster.get(ISVC, namespace, name)
        if stored is None or live is None:
            return
        if not stored.phase.final:
            now = self._now()
            state = stored.moved(phase=Phase.ABORTED, reason="no longer rolled out progressively in Git",
                                 updated=now, history=(*stored.history,
                                                       f"{now:.0f} aborted: canary.steps removed from Git")[-20:])
            cluster.apply_as(state_configmap(name, namespace, state), field_manager=ROLLOUT_FIELD_MANAGER)
        cluster.apply_as(share_patch(name, namespace, None), field_manager=ROLLOUT_FIELD_MANAGER)
        self._event(cluster, live, "RolloutAborted", "canary.steps removed from Git: the share is Git's again",
                    warning=True)

    def _move(self, cluster: RolloutCluster, policy: RolloutPolicy, environment: str,
              cluster_name: str) -> RolloutView | None:
        configmap = cluster.get(CONFIGMAP, policy.namespace, state_name(policy.name))
        stored = read_state(configmap)
        if stored is None or stored.version != policy.version:
            return None
        live = cluster.get(ISVC, policy.namespace, policy.name)
        if live is None:
            return None
        now = self._now()
        state = stored
        request = read_request(configmap, policy.version)
        if request is not None:
            state = machine.apply_request(state, request, now, policy)
        if state.phase is Phase.PROGRESSING:
            state = self._analyse(state, policy, live, now)
        manager = ROLLOUT_FIELD_MANAGER
        if state != stored:
            cluster.apply_as(state_configmap(policy.name, policy.namespace, state), field_manager=manager)
        share = machine.wanted_share(state)
        if live_share(live) != share:
            cluster.apply_as(share_patch(policy.name, policy.namespace, share), field_manager=manager)
        if state.history != stored.history:
            self._announce(cluster, live, stored, state)
        next_in = machine.time_to_next_step(state, policy, now)
        wake = None if state.phase.final else min(REQUEST_POLL, policy.interval if next_in is None else next_in)
        return RolloutView(environment, cluster_name, policy.name, state, next_in, wake)

    def _analyse(self, state: RolloutState, policy: RolloutPolicy, live: Manifest, now: float) -> RolloutState:
        if not same_version(live, policy.version):
            return machine.hold(state, now)  # the new version is not applied yet: its step has not begun
        ready, terminal = readiness(live)
        if terminal:
            return machine.judge(state, policy, (ready,), now, terminal=terminal)
        due = machine.analysis_due(state, policy)
        if due is None or now < due:
            return state
        return machine.judge(state, policy, (ready, *analyse(policy, self._query)), now)

    def _announce(self, cluster: RolloutCluster, live: Manifest, before: RolloutState, after: RolloutState) -> None:
        reason = {Phase.SUCCEEDED: "RolloutSucceeded", Phase.FAILED: "RolloutFailed", Phase.ABORTED: "RolloutAborted",
                  Phase.PAUSED: "RolloutPaused"}.get(after.phase, "RolloutStep")
        if after.phase is Phase.PROGRESSING and before.phase is Phase.PAUSED:
            reason = "RolloutResumed"
        elif after.phase is Phase.PROGRESSING and after.failures > before.failures:
            reason = "RolloutAnalysisFailed"
        warning = after.phase in (Phase.FAILED, Phase.ABORTED) or reason == "RolloutAnalysisFailed"
        lines = after.history[len(before.history):] if len(after.history) > len(before.history) else after.history[-1:]
        for line in lines:
            self._event(cluster, live, reason, line.partition(" ")[2], warning=warning)
        log.info("rollout moved", component=after.component, version=after.version, phase=after.phase.value,
                 share=after.share, reason=after.reason or None)

    def _event(self, cluster: RolloutCluster, live: Manifest, reason: str, message: str, *,
               warning: bool = False) -> None:
        try:
            cluster.record_event(event(live, reason, message, warning=warning, instance=self._instance))
        except ClusterError as exc:  # an Event is a courtesy: the rollout goes on without it
            log.warning("rollout event not recorded", reason=reason, error=str(exc))
