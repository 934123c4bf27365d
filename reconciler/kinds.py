"""Every per-kind rule in one table (pure), the way flux's ``ssa/sort.go`` keeps its apply order.

One ``KindRules`` row per kind says where it goes in the apply order, whether pruning protects it,
whether it is created before the other dry runs, whether its spec names pipelines by live UID,
which fields the server refuses to change, which health check judges it, and whether the renderer
emits it (the only kinds platformctl ever deletes). A kind without a row gets ``DEFAULT``.

Apply order, protection, stage one and pipeline binding go by kind name alone (a kind name means
one thing among the kinds platformctl meets); health, immutability and rendering by (group, kind).

Health checks are named here (``HealthCheck``) and implemented in ``reconciler.health``: this
module sits below every layer, so it holds data only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from reconciler.objects import Manifest, ObjectKey

Path = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ImmutableRule:
    """``path`` (``*``: every list item or map value) cannot change, except the sub-paths in ``mutable``."""

    path: Path
    mutable: tuple[Path, ...] = ()
    whole: bool = True
    """True: compared whole, as built-in validation and webhooks do (setting a field the live object
    lacks is a change). False: a CEL transition rule, evaluated only when both sides have the field."""
    message: str = "cannot change after creation"


class HealthCheck(StrEnum):
    """The health check that judges a kind (implemented in ``reconciler.health.dispatch``)."""

    NAMESPACE = "namespace"
    PERSISTENT_VOLUME_CLAIM = "persistent-volume-claim"
    EXISTS = "exists"
    PROFILE = "profile"
    NOTEBOOK = "notebook"
    EXPERIMENT = "experiment"
    TRAINING_JOB = "training-job"
    TRAIN_JOB = "train-job"
    SCHEDULED_WORKFLOW = "scheduled-workflow"
    PIPELINE = "pipeline"
    PIPELINE_VERSION = "pipeline-version"
    INFERENCE_SERVICE = "inference-service"


DEFAULT_RANK = 7


@dataclass(frozen=True, slots=True)
class KindRules:
    """What platformctl does differently for one kind."""

    group: str
    kind: str
    apply_rank: int = DEFAULT_RANK
    """Lower applies first (and is pruned last): namespaces and CRDs, then what others reference."""
    rendered: str = ""
    """The apiVersion the renderer emits it with; empty when platformctl never renders (so never deletes) it."""
    protected: bool = False
    """Never pruned without ``--prune-protected``, and not counted by the deletion budget."""
    created_first: bool = False
    """Created before the other dry runs, which need it to exist (flux's stage one)."""
    binds_pipeline_ids: bool = False
    """Its spec names pipelines by live UID: bound to the live pipelines before planning and again before
    writing, and written even when planned unchanged unless the bound IDs equal the live ones."""
    immutable: tuple[ImmutableRule, ...] = ()
    """Fields the API server refuses to change after creation (besides its CRD's ``self == oldSelf`` rules)."""
    health: HealthCheck | None = None
    """None: health Unknown ("no health check")."""
    one_shot: bool = False
    """A run (a training job): each version is its own object, never created again once it ran (it is in
    the inventory but gone from the cluster), and kept (protected) after the pin moves to a new version."""


_CORE, _APPS, _KF = "", "apps", "kubeflow.org"
_PIPELINES, _SERVING = "pipelines.kubeflow.org", "serving.kserve.io"
_TRAINER = "trainer.kubeflow.org"


def _run_is_immutable(suspend: Path) -> ImmutableRule:
    """A training run's spec: only suspending and resuming it is an update."""
    return ImmutableRule(("spec",), mutable=(suspend,),
                         message="a training run cannot change (pin a new version to start a new run)")


# Immutability sources: k8s.io/kubernetes pkg/apis/*/validation, and KFP's PipelineVersion webhook.
KINDS: tuple[KindRules, ...] = (
    KindRules("apiextensions.k8s.io", "CustomResourceDefinition", apply_rank=0, protected=True, created_first=True),
    KindRules(_CORE, "Namespace", apply_rank=1, rendered="v1", protected=True, created_first=True,
              health=HealthCheck.NAMESPACE),
    # A team's Profile: deleting one revokes its owner's access and its cloud identities, so it is protected.
    KindRules(_KF, "Profile", apply_rank=2, rendered=f"{_KF}/v1", protected=True, health=HealthCheck.PROFILE),
    KindRules(_CORE, "ServiceAccount", apply_rank=3, health=HealthCheck.EXISTS),
    KindRules(_CORE, "Secret", apply_rank=3, health=HealthCheck.EXISTS),
    KindRules(_CORE, "ConfigMap", apply_rank=3, health=HealthCheck.EXISTS),
    # ValidatePersistentVolumeClaimUpdate: "spec is immutable after creation except resources.requests
    # and volumeAttributesClassName for bound claims"; the storage request is checked by immutable._pvc_storage.
    KindRules(_CORE, "PersistentVolumeClaim", apply_rank=4, rendered="v1", protected=True,
              immutable=(ImmutableRule(("spec",), mutable=(("resources", "requests", "storage"),
                                                           ("volumeAttributesClassName",))),),
              health=HealthCheck.PERSISTENT_VOLUME_CLAIM),
    KindRules(_PIPELINES, "Pipeline", apply_rank=5, rendered=f"{_PIPELINES}/v2beta1", health=HealthCheck.PIPELINE),
    # KFP's PipelineVersion webhook (ValidateUpdate): publish a new version instead of editing one.
    KindRules(_PIPELINES, "PipelineVersion", apply_rank=6, rendered=f"{_PIPELINES}/v2beta1",
              immutable=(ImmutableRule(("spec",), mutable=(("displayName",), ("tags",)),
                                       message="a pipeline version cannot change (publish a new version instead)"),),
              health=HealthCheck.PIPELINE_VERSION),
    KindRules(_KF, "Notebook", rendered=f"{_KF}/v1", health=HealthCheck.NOTEBOOK),
    KindRules(_KF, "Experiment", rendered=f"{_KF}/v1beta1", health=HealthCheck.EXPERIMENT),
    KindRules(_SERVING, "InferenceService", rendered=f"{_SERVING}/v1beta1", health=HealthCheck.INFERENCE_SERVICE),
    # Serving runtimes before the InferenceServices that name them (a ClusterServingRuntime is
    # cluster-scoped: the operator policy's clusterScopedKinds decides).
    KindRules(_SERVING, "ServingRuntime", apply_rank=6, rendered=f"{_SERVING}/v1alpha1", health=HealthCheck.EXISTS),
    KindRules(_SERVING, "ClusterServingRuntime", apply_rank=6, rendered=f"{_SERVING}/v1alpha1",
              health=HealthCheck.EXISTS),
    KindRules(_KF, "ScheduledWorkflow", apply_rank=8, rendered=f"{_KF}/v1beta1", binds_pipeline_ids=True,
              health=HealthCheck.SCHEDULED_WORKFLOW),
    # Training runtimes before the jobs that name them; a ClusterTrainingRuntime is cluster-scoped (the
    # operator policy's clusterScopedKinds decides whether an environment may own one).
    KindRules(_TRAINER, "ClusterTrainingRuntime", apply_rank=6, rendered=f"{_TRAINER}/v1alpha1",
              health=HealthCheck.EXISTS),
    KindRules(_TRAINER, "TrainingRuntime", apply_rank=6, rendered=f"{_TRAINER}/v1alpha1", health=HealthCheck.EXISTS),
    # Training runs are one-shot: a new version is a new object, a finished run is not edited.
    KindRules(_KF, "PyTorchJob", rendered=f"{_KF}/v1", protected=True, one_shot=True,
              immutable=(_run_is_immutable(("runPolicy", "suspend")),), health=HealthCheck.TRAINING_JOB),
    KindRules(_KF, "TFJob", rendered=f"{_KF}/v1", protected=True, one_shot=True,
              immutable=(_run_is_immutable(("runPolicy", "suspend")),), health=HealthCheck.TRAINING_JOB),
    KindRules(_TRAINER, "TrainJob", rendered=f"{_TRAINER}/v1alpha1", protected=True, one_shot=True,
              immutable=(_run_is_immutable(("suspend",)),), health=HealthCheck.TRAIN_JOB),
    # ValidateJobSpecUpdate.
    KindRules("batch", "Job", immutable=(
        ImmutableRule(("spec", "selector")), ImmutableRule(("spec", "template")),
        ImmutableRule(("spec", "completionMode")), ImmutableRule(("spec", "podFailurePolicy")),
        ImmutableRule(("spec", "managedBy")))),
    # ValidateStatefulSetUpdate: only these spec fields may change.
    KindRules(_APPS, "StatefulSet", immutable=(
        ImmutableRule(("spec",), mutable=(("replicas",), ("ordinals",), ("template",), ("updateStrategy",),
                                          ("revisionHistoryLimit",), ("persistentVolumeClaimRetentionPolicy",),
                                          ("minReadySeconds",))),)),
    KindRules(_APPS, "Deployment", immutable=(ImmutableRule(("spec", "selector")),)),
    KindRules(_APPS, "ReplicaSet", immutable=(ImmutableRule(("spec", "selector")),)),
    KindRules(_APPS, "DaemonSet", immutable=(ImmutableRule(("spec", "selector")),)),
)

DEFAULT = KindRules("", "")
"""The rules of a kind without a row: applied among the workloads, nothing special."""

_BY_NAME: dict[str, KindRules] = {r.kind: r for r in KINDS}
_BY_GROUP_KIND: dict[tuple[str, str], KindRules] = {(r.group, r.kind): r for r in KINDS}

RENDERED_KINDS: tuple[tuple[str, str], ...] = tuple((r.rendered, r.kind) for r in KINDS if r.rendered)
"""(apiVersion, kind) of every top-level object the renderer emits."""

PROTECTED_KINDS: frozenset[str] = frozenset(r.kind for r in KINDS if r.protected)

ONE_SHOT_KINDS: frozenset[str] = frozenset(r.kind for r in KINDS if r.one_shot)
"""Kinds whose objects are runs: created once per version, never again (``KindRules.one_shot``)."""


def by_kind(kind: str) -> KindRules:
    """The rules of a kind by name (apply order, protection, stage one, pipeline binding)."""
    return _BY_NAME.get(kind, DEFAULT)


def by_group_kind(group: str, kind: str) -> KindRules:
    """The rules of a kind by (API group, kind) (health, immutability, rendering)."""
    return _BY_GROUP_KIND.get((group, kind), DEFAULT)


def is_rendered(group: str, kind: str) -> bool:
    """Whether platformctl renders objects of this (group, kind)."""
    return bool(by_group_kind(group, kind).rendered)


def apply_rank(obj: Mapping[str, Any]) -> int:
    """Position of an object's kind in the apply order."""
    return by_kind(str(obj.get("kind", ""))).apply_rank


def sort_for_apply(objects: list[Manifest]) -> list[Manifest]:
    """Objects in dependency order, ties broken by key so the order is stable."""
    return sorted(objects, key=lambda o: (apply_rank(o), ObjectKey.of(o)))
