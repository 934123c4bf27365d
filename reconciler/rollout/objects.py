"""The objects a rollout reads and writes, built and read as plain data (pure).

- the InferenceService's ``spec.predictor.canaryTrafficPercent``, applied with the field manager
  ``platformctl-rollout`` (never ``platformctl``'s: the engine neither renders nor compares it, so
  the rollout's share is never drift of the Git state);
- a ConfigMap ``platformctl-rollout-<name>`` beside it: ``data.state`` (the rollout's state,
  field manager ``platformctl-rollout``) and ``data.request`` (``pause|resume|abort <version>``,
  written by ``platformctl rollout``, field manager ``platformctl-rollout-request``). The state is
  kept out of the InferenceService's annotations on purpose: KServe copies those into the
  Knative revision template, so every step would cut a new revision;
- a core/v1 Event on the InferenceService at each transition.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from reconciler.cluster.eventnote import Decision, EventNote, event_body, event_name
from reconciler.health import Status
from reconciler.health.serving import inference_service
from reconciler.labels import DOMAIN, LABEL_MANAGED_BY, LABEL_VERSION, MANAGED_BY
from reconciler.objects import Manifest, ObjectKey
from reconciler.render.ownership import label_value
from reconciler.rollout.machine import REQUESTS, Request
from reconciler.rollout.policy import ISVC_API_VERSION, ISVC_KIND
from reconciler.rollout.state import CheckResult, RolloutState, decode, encode

ROLLOUT_FIELD_MANAGER = "platformctl-rollout"
"""The field manager of the canary share and the rollout's state."""
REQUEST_FIELD_MANAGER = "platformctl-rollout-request"
"""The field manager of pause/resume/abort requests."""
LABEL_ROLLOUT = f"{DOMAIN}/rollout"
STATE_KEY = "state"
REQUEST_KEY = "request"
FAILED_TRANSITIONS = ("BlockedByFailedLoad", "InvalidSpec")


def state_name(name: str) -> str:
    """The name of the ConfigMap holding the rollout state of InferenceService ``name``."""
    return f"platformctl-rollout-{name}"


def _configmap(name: str, namespace: str, data: dict[str, str]) -> Manifest:
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": state_name(name), "namespace": namespace,
                         "labels": {LABEL_MANAGED_BY: MANAGED_BY, LABEL_ROLLOUT: label_value(name)}},
            "data": data}


def state_configmap(name: str, namespace: str, state: RolloutState) -> Manifest:
    """The state ConfigMap as the rollout applies it (its ``data.state`` only)."""
    return _configmap(name, namespace, {STATE_KEY: encode(state)})


def request_configmap(name: str, namespace: str, request: Request, version: str) -> Manifest:
    """The state ConfigMap as ``platformctl rollout pause|resume|abort`` applies it (``data.request`` only)."""
    return _configmap(name, namespace, {REQUEST_KEY: f"{request} {version}"})


def read_state(configmap: Manifest | None) -> RolloutState | None:
    """The stored state, or None (no ConfigMap, no state, or one that does not parse)."""
    text = ((configmap or {}).get("data") or {}).get(STATE_KEY)
    return decode(str(text)) if text else None


def read_request(configmap: Manifest | None, version: str) -> Request | None:
    """The request standing for rollouts of ``version`` (one for another version is stale: ignored)."""
    text = str(((configmap or {}).get("data") or {}).get(REQUEST_KEY) or "")
    verb, _, target = text.partition(" ")
    for request in REQUESTS:
        if verb == request and target == version:
            return request
    return None


def share_patch(name: str, namespace: str, share: int | None) -> Manifest:
    """The apply that holds the canary share (None: lets the field go, so the new version takes all)."""
    manifest: Manifest = {"apiVersion": ISVC_API_VERSION, "kind": ISVC_KIND,
                          "metadata": {"name": name, "namespace": namespace}}
    if share is not None:
        manifest["spec"] = {"predictor": {"canaryTrafficPercent": share}}
    return manifest


def live_share(live: Manifest) -> int | None:
    """``canaryTrafficPercent`` as stored (None: not set)."""
    value = ((live.get("spec") or {}).get("predictor") or {}).get("canaryTrafficPercent")
    return int(value) if isinstance(value, int) else None


def live_version(live: Manifest) -> str | None:
    """The version platformctl last applied (its ``app.kubernetes.io/version`` label)."""
    value = ((live.get("metadata") or {}).get("labels") or {}).get(LABEL_VERSION)
    return str(value) if value is not None else None


def same_version(live: Manifest, version: str) -> bool:
    """Whether the InferenceService on the cluster carries ``version`` (as a label value)."""
    return live_version(live) == label_value(version)


def readiness(live: Manifest) -> tuple[CheckResult, str]:
    """The InferenceService's own check (Ready, generation observed) and a terminal reason ('' if none):
    a model that failed to load cannot get better by waiting."""
    health = inference_service(live)
    model = ((live.get("status") or {}).get("modelStatus") or {})
    transition = str(model.get("transitionStatus") or "")
    terminal = f"InferenceService: {health.message}" if transition in FAILED_TRANSITIONS else ""
    ok = health.status is Status.HEALTHY
    return CheckResult("ready", ok, None, "" if ok else health.message), terminal


def event(live: Manifest, reason: str, message: str, *, warning: bool = False, now: datetime | None = None,
          instance: str = "") -> Manifest:
    """A core/v1 Event about the InferenceService ``live`` (the body ``cluster.eventnote`` builds for every
    Event platformctl records; each rollout step is its own Event, named by the moment it is written)."""
    metadata: dict[str, Any] = live.get("metadata") or {}
    at = now or datetime.now(UTC)
    moment = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    note = EventNote(ObjectKey(ISVC_API_VERSION.split("/")[0], ISVC_KIND, str(metadata.get("namespace") or ""), str(metadata.get("name"))),
                     ISVC_API_VERSION, "Warning" if warning else "Normal", reason, message,
                     uid=str(metadata.get("uid") or ""))
    decision = Decision(event_name(note.key.name, f"{int(at.timestamp() * 1e9):x}"), 1, moment)
    return event_body(note, decision, moment, instance or MANAGED_BY)