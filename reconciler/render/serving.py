"""Serving component -> serving.kserve.io/v1beta1 InferenceService."""

from __future__ import annotations

import copy
from typing import Any

from reconciler.objects import Manifest
from reconciler.render.context import RenderContext
from reconciler.render.ownership import finish, ownership_labels
from reconciler.render.pods import container, env_list, placement, resources
from reconciler.spec.document import Resolved
from reconciler.spec.models import ServingSpec
from reconciler.spec.models.serving import ServingRuntimeDeclaration

ANNOTATION_MODE = "serving.kserve.io/deploymentMode"


def render_serving(item: Resolved, ctx: RenderContext) -> list[Manifest]:
    """The InferenceService: predictor.model (or a custom container), scale, batcher, canary, an optional
    transformer and explainer."""
    spec = item.spec
    assert isinstance(spec, ServingSpec)
    predictor: dict[str, Any] = {"minReplicas": spec.replicas.min}
    if spec.replicas.max:  # unset or 0: no upper bound, which upstream writes by leaving maxReplicas out
        predictor["maxReplicas"] = spec.replicas.max
    _scaling(predictor, spec)
    if spec.canary is not None and spec.canary.traffic_percent is not None:
        # A progressive canary's share is the rollout's (its own field manager), never Git's.
        predictor["canaryTrafficPercent"] = spec.canary.traffic_percent
    if spec.timeout_seconds is not None:
        predictor["timeout"] = spec.timeout_seconds
    if spec.service_account:
        predictor["serviceAccountName"] = spec.service_account
    predictor.update(placement(spec.placement))
    if spec.container is not None:
        custom = spec.container
        predictor["containers"] = [container("kserve-container", custom.image.replace("{version}", spec.version or ""),
                                             spec.resources, command=custom.command, args=custom.args, env=custom.env)]
    else:
        predictor["model"] = _model(spec)
    body: dict[str, Any] = {"predictor": predictor}
    for role, extra in (("transformer", spec.transformer), ("explainer", spec.explainer)):
        if extra is not None:
            body[role] = {"containers": [container("kserve-container", extra.image, extra.resources,
                                                   args=extra.args, env=extra.env)]}
    manifest: Manifest = {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": item.name, "namespace": ctx.namespace,
                     "labels": ownership_labels(ctx, "serving", item.name, spec.version, item.metadata.labels),
                     "annotations": {ANNOTATION_MODE: spec.deployment_mode}},
        "spec": body,
    }
    objects = [manifest] if spec.serving_runtime is None else [_runtime(item, spec.serving_runtime, ctx), manifest]
    return [finish(o, ctx, item.source.path) for o in objects]


def _runtime(item: Resolved, runtime: ServingRuntimeDeclaration, ctx: RenderContext) -> Manifest:
    """The declared ServingRuntime (namespaced) or ClusterServingRuntime, its spec as written."""
    metadata: dict[str, Any] = {"name": runtime.name or item.name}
    if runtime.kind == "ServingRuntime":
        metadata["namespace"] = ctx.namespace
    metadata["labels"] = ownership_labels(ctx, "serving", item.name, None, {**item.metadata.labels, **runtime.labels})
    return {"apiVersion": "serving.kserve.io/v1alpha1", "kind": runtime.kind, "metadata": metadata,
            "spec": copy.deepcopy(runtime.spec)}


def _model(spec: ServingSpec) -> dict[str, Any]:
    """predictor.model: the model format, its runtime and artifact, as a core Container's fields."""
    assert spec.model is not None
    model: dict[str, Any] = {"modelFormat": {"name": spec.model.format}}
    if spec.model.format_version:
        model["modelFormat"]["version"] = spec.model.format_version
    if spec.model.runtime:
        model["runtime"] = spec.model.runtime
    if spec.model.protocol:
        model["protocolVersion"] = spec.model.protocol
    model["storageUri"] = spec.model.storage_uri.replace("{version}", spec.version or "")
    if spec.model.args:
        model["args"] = list(spec.model.args)
    if spec.model.env:
        model["env"] = env_list(spec.model.env)
    if rendered := resources(spec.resources):
        model["resources"] = rendered
    return model


def _scaling(predictor: dict[str, Any], spec: ServingSpec) -> None:
    """Autoscaling and batching fields, each only when the spec sets it."""
    if spec.autoscaling is not None:
        scaling = spec.autoscaling
        for field, value in (("scaleMetric", scaling.metric), ("scaleMetricType", scaling.metric_type),
                             ("scaleTarget", scaling.target)):
            if value is not None:
                predictor[field] = value
        if scaling.metrics:
            predictor["autoScaling"] = {"metrics": [dict(m) for m in scaling.metrics]}
    if spec.batcher is not None:
        predictor["batcher"] = spec.batcher.model_dump(by_alias=True, exclude_none=True)
