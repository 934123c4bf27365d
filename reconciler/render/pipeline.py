"""Pipeline component -> pipelines.kubeflow.org/v2beta1 Pipeline and PipelineVersion(s).

PipelineVersion specs are immutable upstream, so each version is its own object,
named ``<pipeline>-<version>`` with dots turned into dashes.
"""

from __future__ import annotations

import re
from typing import Any

from reconciler.objects import Manifest
from reconciler.render.context import RenderContext
from reconciler.render.ownership import finish, ownership_labels
from reconciler.spec.document import Resolved
from reconciler.spec.models import PipelineSpec


def version_object_name(pipeline: str, version: str) -> str:
    """The PipelineVersion name for a version: ``fraud-training`` + ``1.4.0`` -> ``fraud-training-1-4-0``."""
    return f"{pipeline}-{re.sub(r'[^a-z0-9-]', '-', version.lower())}".strip("-")[:63].rstrip("-")


def render_pipeline(item: Resolved, ctx: RenderContext, versions: tuple[str, ...] = ()) -> list[Manifest]:
    """The Pipeline plus one PipelineVersion per version this cluster needs (its own and schedules' pins)."""
    spec = item.spec
    assert isinstance(spec, PipelineSpec)
    labels = ownership_labels(ctx, "pipelines", item.name, spec.version, item.metadata.labels)
    pipeline_spec: dict[str, Any] = {"displayName": spec.display_name or item.name}
    if spec.description or item.metadata.description:
        pipeline_spec["description"] = spec.description or item.metadata.description
    objects: list[Manifest] = [{
        "apiVersion": "pipelines.kubeflow.org/v2beta1",
        "kind": "Pipeline",
        "metadata": {"name": item.name, "namespace": ctx.namespace, "labels": labels},
        "spec": pipeline_spec,
    }]
    for version in sorted({spec.version, *versions}):
        path = spec.package_for(version)
        if path is None or path not in ctx.packages:
            continue
        objects.append(_version(item.name, spec, version, ctx.packages[path], ctx, item.metadata.labels))
    return [finish(o, ctx, item.source.path) for o in objects]


def _version(name: str, spec: PipelineSpec, version: str, package: dict[str, Any], ctx: RenderContext,
             own: dict[str, str]) -> Manifest:
    body: dict[str, Any] = {
        "pipelineName": name,
        "versionName": spec.version_name.replace("{version}", version) if spec.version_name else version,
        "displayName": (spec.version_display_name.replace("{version}", version) if spec.version_display_name
                        else f"{spec.display_name or name} {version}"),
        "pipelineSpec": package,  # shared, never mutated
    }
    if spec.description:
        body["description"] = spec.description
    return {
        "apiVersion": "pipelines.kubeflow.org/v2beta1",
        "kind": "PipelineVersion",
        "metadata": {"name": version_object_name(name, version), "namespace": ctx.namespace,
                     "labels": ownership_labels(ctx, "pipelines", name, version, own)},
        "spec": body,
    }
