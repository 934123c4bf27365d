"""``platformctl rollout status|pause|resume|abort --env E COMPONENT``: the progressive rollout of a served
model on each cluster of an environment, read from (and requests written to) the cluster itself.

The daemon is the only one that moves a rollout; these commands read its stored state and leave a
request (``pause|resume|abort <version>``) beside it, which the daemon's next look carries out.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, cast

from reconciler.cluster.connect import connect
from reconciler.commands.output import json_text
from reconciler.commands.outcome import Outcome
from reconciler.commands.platform import Platform
from reconciler.errors import ClusterError
from reconciler.fleet import placements
from reconciler.rollout import machine
from reconciler.rollout.driver import CONFIGMAP, RolloutCluster
from reconciler.rollout.machine import Request
from reconciler.rollout.objects import REQUEST_FIELD_MANAGER, read_state, request_configmap, state_name
from reconciler.rollout.policy import RolloutPolicy
from reconciler.rollout.view import RolloutView, as_document, summary


def _matches(policy: RolloutPolicy, component: str) -> bool:
    return component in (policy.name, policy.component)


def run_rollout(platform: Platform, repo: Path, environment: str, component: str, action: str,
                *, as_json: bool = False) -> Outcome:
    """Show (``status``) or request (``pause``, ``resume``, ``abort``) the rollout of ``component`` on every
    cluster of ``environment`` (exit 1 when it is not rolled out progressively, or nothing could be done)."""
    found = [(p, policy) for p in placements(platform.spec, environment, "cli") for policy in p.rollouts
             if _matches(policy, component)]
    if not found:
        return Outcome(1, stderr=f"error: {component} is not a served model rolled out progressively "
                                 f"(canary.steps) in environment {environment}\n")
    lines: list[str] = []
    docs: list[dict[str, Any]] = []
    failed = False
    for placement, policy in found:
        cluster_name = placement.cluster.name
        try:
            cluster = connect(placement.cluster, repo, platform.enforcement)
            try:
                line, doc, ok = _one(cast(RolloutCluster, cluster), policy, environment, cluster_name, action)
            finally:
                cluster.close()
        except ClusterError as exc:
            line, doc, ok = f"{cluster_name}: error: {exc}", {"cluster": cluster_name, "error": str(exc)}, False
        failed = failed or not ok
        lines.append(line)
        docs.append(doc)
    text = json_text(docs) if as_json else "\n".join(lines) + "\n"
    return Outcome(1 if failed else 0, stdout=text)


def _one(cluster: RolloutCluster, policy: RolloutPolicy, environment: str, cluster_name: str,
         action: str) -> tuple[str, dict[str, Any], bool]:
    """One cluster: its line of text, its JSON entry, and whether the action could be done."""
    state = read_state(cluster.get(CONFIGMAP, policy.namespace, state_name(policy.name)))
    if state is None or state.version != policy.version:
        what = "no rollout of" if state is None else f"the last rollout was of {state.version}, not"
        return (f"{cluster_name}: {what} {policy.component} {policy.version}",
                {"cluster": cluster_name, "component": policy.component, "rollout": None}, action == "status")
    view = RolloutView(environment, cluster_name, policy.name, state,
                       machine.time_to_next_step(state, policy, time.time()))
    doc = {"cluster": cluster_name, **as_document(view)}
    if action == "status":
        return f"{cluster_name}: {summary(view)}", doc, True
    request = cast(Request, action)
    if machine.apply_request(state, request, time.time(), policy) == state:
        return (f"{cluster_name}: cannot {action} a rollout that is {state.phase.value}", doc, False)
    cluster.apply_as(request_configmap(policy.name, policy.namespace, request, policy.version),
                     field_manager=REQUEST_FIELD_MANAGER)
    return f"{cluster_name}: {action} requested for {policy.component} {policy.version} (the daemon carries it " \
           f"out at its next look)", {**doc, "requested": action}, True
