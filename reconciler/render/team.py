"""Team component -> its Namespace and its Kubeflow Profile (``kubeflow.org/v1``), both named after the team's
namespace.

The Namespace carries the ``owner`` annotation the profile controller checks before it adopts an
existing namespace (it refuses one whose owner differs), so the team's other components can be
applied at once, before the controller has run.
"""

from __future__ import annotations

from typing import Any

from reconciler.objects import Manifest
from reconciler.owned import OWNER_ANNOTATION
from reconciler.render.context import RenderContext
from reconciler.render.ownership import finish, ownership_labels
from reconciler.spec.document import Resolved
from reconciler.spec.models import TeamSpec

PROFILE_API = "kubeflow.org/v1"
KIND_DIR = "teams"


def render_team(item: Resolved, ctx: RenderContext) -> list[Manifest]:
    """The team's Namespace and Profile."""
    spec = item.spec
    assert isinstance(spec, TeamSpec)
    name = spec.namespace_for(item.name)
    labels = ownership_labels(ctx, KIND_DIR, item.name, None, item.metadata.labels)
    namespace: Manifest = {"apiVersion": "v1", "kind": "Namespace",
                           "metadata": {"name": name, "labels": dict(labels),
                                        "annotations": {OWNER_ANNOTATION: spec.owner.name}}}
    body: dict[str, Any] = {"owner": spec.owner.model_dump(by_alias=True, exclude_none=True, mode="json")}
    if spec.resource_quota is not None:
        body["resourceQuotaSpec"] = spec.resource_quota.model_dump(by_alias=True, exclude_unset=True, mode="json")
    if spec.plugins is not None:
        body["plugins"] = [p.model_dump(by_alias=True, exclude_unset=True, mode="json") for p in spec.plugins]
    profile: Manifest = {"apiVersion": PROFILE_API, "kind": "Profile",
                         "metadata": {"name": name, "labels": dict(labels)}, "spec": body}
    return [finish(namespace, ctx, item.source.path), finish(profile, ctx, item.source.path)]
