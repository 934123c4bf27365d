"""Health of a KServe InferenceService (serving.kserve.io/v1beta1) (pure).

Order of checks:

1. no conditions yet -> Progressing (the controller has not reported);
2. stopped (condition ``Stopped``=True since KServe 0.15, or the ``serving.kserve.io/stop`` annotation
   with ``Ready`` reason Stopped) -> Suspended; the annotation alone -> Progressing "stopping";
3. ``Ready``=False -> Degraded (Knative semantics: False is a failure, Unknown is "in progress"),
   except the Deployment's "still starting" reasons in Standard (raw) mode, which are Progressing;
4. ``modelStatus.transitionStatus`` BlockedByFailedLoad / InvalidSpec -> Degraded, with
   ``lastFailureInfo`` (the target model failed; with ModelMesh the previous one may still serve).
   When both 3 and 4 hold, the message gives both, Ready's words first;
5. ``status.observedGeneration`` < ``metadata.generation`` -> Progressing (the status describes an
   older spec). Failures above win over this so a stale observedGeneration never hides one;
6. ``Ready``=True -> Healthy (with the URL and, during a canary, the traffic split);
7. otherwise (``Ready``=Unknown or absent) -> Progressing.

Caveats, from kserve pkg/apis/serving/v1beta1/inference_service_status.go:

* KServe copies ``observedGeneration`` from the Knative Service (or the raw Deployment) of the last
  component it propagated, not from the InferenceService itself. The two usually move together,
  but a change that only touches one component can leave it behind; we only ever flag "less than".
* ``transitionStatus`` stays ``InProgress`` for healthy scale-to-zero services (kserve#6079,
  kserve#3686), so InProgress alone never makes a Ready service Progressing; it is only mentioned.
* ``Stopped``=False is present on every healthy service since KServe 0.15 (argo-cd#25312) and means nothing.
"""

from __future__ import annotations

from reconciler.health.fields import (
    Obj,
    clip,
    condition,
    conditions,
    describe,
    integer,
    is_true,
    items,
    mapping,
    state,
    string,
)
from reconciler.health.model import Health, Status

STOP_ANNOTATION = "serving.kserve.io/stop"
FAILED_TRANSITIONS = {"BlockedByFailedLoad", "InvalidSpec"}
# Ready=False reasons that mean "still starting" (copied from the Deployment in Standard/raw mode).
STARTING_REASONS = {"MinimumReplicasUnavailable", "ReplicaSetUpdated", "NewReplicaSetCreated", "FoundNewReplicaSet"}
# Component conditions, most specific first: their messages say which revision failed and why.
DETAIL_CONDITIONS = (
    "PredictorConfigurationReady",
    "TransformerConfigurationReady",
    "ExplainerConfigurationReady",
    "PredictorReady",
    "TransformerReady",
    "ExplainerReady",
    "IngressReady",
    "PredictorRouteReady",
    "TransformerRouteReady",
    "ExplainerRoutesReady",
    "LatestDeploymentReady",
    "RoutesReady",
)


def inference_service(live: Obj) -> Health:
    if not conditions(live):
        return Health(Status.PROGRESSING, "waiting for the KServe controller to report status")
    ready = condition(live, "Ready")
    stop_requested = string(live, "metadata", "annotations", STOP_ANNOTATION).lower() == "true"
    stopped_ready = ready is not None and string(ready, "reason") == "Stopped"
    if is_true(condition(live, "Stopped")) or (stop_requested and stopped_ready):
        return Health(Status.SUSPENDED, f"stopped ({STOP_ANNOTATION})")
    if stop_requested:
        return Health(Status.PROGRESSING, f"stopping ({STOP_ANNOTATION} is set)")
    stale = _stale(live)
    note = f" ({stale})" if stale else ""

    model = mapping(live, "status", "modelStatus")
    transition = string(model, "transitionStatus")
    failures = []
    starting = ready is not None and state(ready) == "False" and string(ready, "reason") in STARTING_REASONS
    if ready is not None and state(ready) == "False" and not starting:
        failures.append(_not_ready(live, ready))
    if transition in FAILED_TRANSITIONS:
        serving = "; the previous model is still serving" if is_true(ready) else ""
        failures.append(f"model {transition}: {_failure(model)}{serving}")
    if failures:
        return Health(Status.DEGRADED, clip("; ".join(failures) + note))
    if starting:
        assert ready is not None
        return Health(Status.PROGRESSING, clip(describe(ready) + note))

    if stale:
        tail = f"; {describe(ready)}" if ready is not None else ""
        return Health(Status.PROGRESSING, clip(stale + tail))

    if is_true(ready):
        parts = ["Ready"]
        url = string(live, "status", "url")
        if url:
            parts[0] += f" at {url}"
        split = traffic_split(live)
        if split:
            parts.append(split)
        if transition == "InProgress":
            parts.append("modelStatus InProgress")
        return Health(Status.HEALTHY, clip("; ".join(parts)))

    if ready is None:
        return Health(Status.PROGRESSING, "no Ready condition yet")
    return Health(Status.PROGRESSING, describe(ready))


def _stale(live: Obj) -> str:
    generation = integer(live, "metadata", "generation")
    observed = integer(live, "status", "observedGeneration")
    if generation is None or observed is None or observed >= generation:
        return ""
    return f"generation {generation} not yet observed by the controller; status is for generation {observed}"


def _failure(model: Obj) -> str:
    info = mapping(model, "lastFailureInfo")
    parts = [string(info, "reason"), string(info, "message")]
    text = ": ".join(p for p in parts if p) or "no failure details reported"
    code = integer(info, "exitCode")
    if code:
        text += f" (exit code {code})"
    location = string(info, "location")
    if location:
        text += f" in {location}"
    return text


def _not_ready(live: Obj, ready: Obj) -> str:
    """Ready's own words, then the most specific failing component condition if it says more."""
    main = describe(ready)
    for kind in DETAIL_CONDITIONS:
        cond = condition(live, kind)
        if cond is None or state(cond) != "False":
            continue
        detail = string(cond, "message") or string(cond, "reason")
        if detail and detail not in main:
            return f"{main}; {describe(cond)}"
    return main


def traffic_split(live: Obj) -> str:
    """How traffic is split when it is not all on the latest revision; '' otherwise.

    ``canary: 10% to x-00003 (latest), 90% to x-00001``, or after a rollback
    (``canaryTrafficPercent: 0``) ``pinned: 100% to x-00001; latest x-00003 gets 0%``.
    """
    out = []
    for component, spec in mapping(live, "status", "components").items():
        traffic = items(spec, "traffic")
        shared = [t for t in traffic if (integer(t, "percent") or 0) > 0]
        idle_latest = [t for t in traffic if t.get("latestRevision") is True and not integer(t, "percent")]
        prefix = "" if component == "predictor" else f"{component} "
        if len(shared) >= 2:
            shares = [
                f"{integer(t, 'percent')}% to {_revision(t)}" + (" (latest)" if t.get("latestRevision") is True else "")
                for t in sorted(shared, key=lambda t: t.get("latestRevision") is not True)
            ]
            out.append(f"{prefix}canary: {', '.join(shares)}")
        elif shared and idle_latest:
            out.append(
                f"{prefix}pinned: {integer(shared[0], 'percent')}% to {_revision(shared[0])};"
                f" latest {_revision(idle_latest[0])} gets 0%"
            )
    return "; ".join(out)


def _revision(target: Obj) -> str:
    return string(target, "revisionName") or string(target, "tag") or "?"
