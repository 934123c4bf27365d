"""The kinds the renderer emits, in one place: the only kinds platformctl ever deletes (pure).

A test renders the bundled platform and checks every object's kind is listed here, so a new
renderer cannot emit a kind that pruning would then refuse (or the reverse).
"""

from __future__ import annotations

RENDERED_KINDS: tuple[tuple[str, str], ...] = (
    ("v1", "Namespace"),
    ("v1", "PersistentVolumeClaim"),
    ("pipelines.kubeflow.org/v2beta1", "Pipeline"),
    ("pipelines.kubeflow.org/v2beta1", "PipelineVersion"),
    ("kubeflow.org/v1", "Notebook"),
    ("kubeflow.org/v1beta1", "Experiment"),
    ("serving.kserve.io/v1beta1", "InferenceService"),
    ("kubeflow.org/v1beta1", "ScheduledWorkflow"),
)
"""(apiVersion, kind) of every top-level object the renderer emits."""

RENDERED_GROUP_KINDS: frozenset[tuple[str, str]] = frozenset(
    (api_version.rpartition("/")[0], kind) for api_version, kind in RENDERED_KINDS)
"""(group, kind) of the same, as an ``ObjectKey`` names them."""


def is_rendered(group: str, kind: str) -> bool:
    """Whether platformctl renders objects of this (group, kind)."""
    return (group, kind) in RENDERED_GROUP_KINDS
