"""health_of(): pick the check for a live object by (API group, kind) (pure).

Before any kind check:

* ``None`` (not found) -> Missing;
* ``metadata.deletionTimestamp`` set -> Progressing "being deleted since ..., waiting on finalizers ..."
  (a Namespace says more: what is left in it, or that deletion is stuck);
* a (group, kind) with no check -> Unknown.

Every version of a group is handled by the same check (Notebook v1/v1beta1/v1alpha1 and Profile
v1/v1beta1 share one schema). ``kubeflow.org`` holds several projects' kinds, so the kind is always
part of the key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from reconciler.health import core, pipelines, serving, workloads
from reconciler.health.fields import Obj, annotations_of, clip, mapping, names, string, strings, text
from reconciler.health.model import MISSING, Health, Status
from reconciler.objects import ObjectKey
from reconciler.kinds import KINDS, HealthCheck

Check = Callable[[Obj], Health]

# What each check named in the kind table (``reconciler.kinds``) runs.
IMPLEMENTATIONS: dict[HealthCheck, Check] = {
    HealthCheck.NAMESPACE: core.namespace,
    HealthCheck.PERSISTENT_VOLUME_CLAIM: core.persistent_volume_claim,
    HealthCheck.EXISTS: core.exists,
    HealthCheck.PROFILE: core.profile,
    HealthCheck.NOTEBOOK: workloads.notebook,
    HealthCheck.EXPERIMENT: workloads.experiment,
    HealthCheck.TRAINING_JOB: workloads.training_job,
    HealthCheck.TRAIN_JOB: workloads.train_job,
    HealthCheck.SCHEDULED_WORKFLOW: pipelines.scheduled_workflow,
    HealthCheck.PIPELINE: pipelines.pipeline,
    HealthCheck.PIPELINE_VERSION: pipelines.pipeline_version,
    HealthCheck.INFERENCE_SERVICE: serving.inference_service,
}

CHECKS: dict[tuple[str, str], Check] = {
    (rules.group, rules.kind): IMPLEMENTATIONS[rules.health] for rules in KINDS if rules.health is not None}
"""(API group, kind) -> check, as the kind table assigns them."""

# Kinds whose own check explains a deletion better than the generic message.
_OWN_DELETION = {("", "Namespace")}


def kind_key(live: Obj) -> tuple[str, str]:
    """(API group, kind): ``("serving.kserve.io", "InferenceService")``, ``("", "Namespace")``."""
    group = text(live.get("apiVersion")).rpartition("/")[0]
    return group, text(live.get("kind"))


def health_of(live: Mapping[str, Any] | None) -> Health:
    """The health of one live object (``None`` when it is not in the cluster)."""
    if live is None:
        return MISSING
    key = kind_key(live)
    check = CHECKS.get(key)
    if mapping(live, "metadata").get("deletionTimestamp") and key not in _OWN_DELETION:
        return deleting(live)
    if check is None:
        group, kind = key
        what = f"{kind} ({group or 'core'})" if kind else "an object without a kind"
        return Health(Status.UNKNOWN, f"no health check for {what}")
    return check(live)


def deleting(live: Obj) -> Health:
    """Progressing while the API server waits on finalizers."""
    since = string(live, "metadata", "deletionTimestamp")
    finalizers = strings(live, "metadata", "finalizers")
    message = f"being deleted since {since}"
    if finalizers:
        message += f"; waiting on finalizers: {names(finalizers)}"
    return Health(Status.PROGRESSING, clip(message))


def profile_health(live: Obj | None, owned_namespace: Obj | None) -> Health:
    """A Profile together with the Namespace of the same name its controller creates.

    Healthy needs both: no Failed condition on the Profile, and a healthy Namespace whose ``owner``
    annotation is the profile's ``spec.owner.name`` (the controller refuses to adopt a namespace
    owned by someone else). A missing namespace is Progressing: the controller creates it.
    """
    own = health_of(live)
    if live is None or own.status is not Status.HEALTHY:
        return own
    name = string(live, "metadata", "name")
    if owned_namespace is None:
        return Health(Status.PROGRESSING, f"waiting for the profile controller to create namespace {name}")
    ns = health_of(owned_namespace)
    if ns.status is not Status.HEALTHY:
        return ns.prefixed(f"namespace {name}")
    owner = string(live, "spec", "owner", "name")
    found = text(annotations_of(owned_namespace).get("owner"))
    if owner and found != owner:
        who = f"is owned by {found}" if found else "has no owner annotation"
        return Health(Status.DEGRADED, f"namespace {name} {who}, not {owner}")
    return Health(Status.HEALTHY, f"namespace {name} exists" + (f", owned by {owner}" if owner else ""))


def health_among(live: Obj | None, objects: Mapping[ObjectKey, Obj]) -> Health:
    """``health_of``, except that a Profile is judged with the Namespace of its name among ``objects``:
    a team is healthy once its namespace exists with the owner the profile controller checks."""
    if live is not None and kind_key(live) == ("kubeflow.org", "Profile"):
        name = string(live, "metadata", "name")
        return profile_health(live, objects.get(ObjectKey("", "Namespace", "", name)))
    return health_of(live)

