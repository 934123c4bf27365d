"""Schedule component -> kubeflow.org/v1beta1 ScheduledWorkflow.

Binding to the pipeline: the KFP controller needs the pipeline's and version's IDs, which in
KFP's Kubernetes-native mode are the UIDs of the live Pipeline and PipelineVersion objects.
Rendering cannot know them, so it names the objects in annotations and leaves the IDs out;
``bind_pipeline_ids`` fills them in from live state after pipelines are applied (apply is
staged: pipelines before schedules).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from reconciler.labels import DOMAIN
from reconciler.objects import Manifest
from reconciler.render.context import RenderContext
from reconciler.render.ownership import finish, ownership_labels
from reconciler.render.pipeline import version_object_name
from reconciler.spec.cron import parse_cron
from reconciler.spec.document import Resolved
from reconciler.spec.models import ScheduleSpec

ANNOTATION_PIPELINE = f"{DOMAIN}/pipeline"
ANNOTATION_PIPELINE_VERSION = f"{DOMAIN}/pipeline-version"


def render_schedule(item: Resolved, ctx: RenderContext, pipeline_version: str) -> list[Manifest]:
    """The ScheduledWorkflow, with ``status: {}`` because the CRD requires a status."""
    spec = item.spec
    assert isinstance(spec, ScheduleSpec)
    workflow: dict[str, Any] = {
        "parameters": [{"name": k, "value": json.dumps(v, sort_keys=True)} for k, v in sorted(spec.parameters.items())],
    }
    if spec.pipeline_root:
        workflow["pipelineRoot"] = spec.pipeline_root
    body: dict[str, Any] = {
        "enabled": spec.enabled,
        "maxConcurrency": spec.max_concurrency,
        "maxHistory": spec.max_history,
        "noCatchup": not spec.catch_up,
        "trigger": _trigger(spec),
        "workflow": workflow,
        "pipelineName": spec.pipeline,
        "serviceAccount": spec.service_account or ctx.kfp_service_account,
    }
    experiment = spec.experiment or ctx.kfp_experiment
    if experiment:
        body["experimentId"] = experiment
    manifest: Manifest = {
        "apiVersion": "kubeflow.org/v1beta1",
        "kind": "ScheduledWorkflow",
        "metadata": {
            "name": item.name,
            "namespace": ctx.namespace,
            "labels": ownership_labels(ctx, "schedules", item.name, None, item.metadata.labels),
            "annotations": {
                ANNOTATION_PIPELINE: spec.pipeline,
                ANNOTATION_PIPELINE_VERSION: version_object_name(spec.pipeline, pipeline_version),
            },
        },
        "spec": body,
        "status": {},
    }
    return [finish(manifest, ctx, item.source.path)]


def _trigger(spec: ScheduleSpec) -> dict[str, Any]:
    window = {k: _rfc3339(v) for k, v in (("startTime", spec.start_time), ("endTime", spec.end_time)) if v}
    if spec.trigger.cron is not None:
        return {"cronSchedule": {"cron": parse_cron(spec.trigger.cron).kfp, **window}}
    assert spec.trigger.interval is not None
    return {"periodicSchedule": {"intervalSecond": int(spec.trigger.interval.total_seconds()), **window}}


def _rfc3339(moment: datetime) -> str:
    text = moment.isoformat()
    return text.replace("+00:00", "Z") if moment.tzinfo else text + "Z"


def pipeline_uids(live: Iterable[Manifest]) -> dict[tuple[str, str], str]:
    """(kind, name) -> UID of the live Pipeline and PipelineVersion objects: what ``bind_pipeline_ids`` reads."""
    return {(o["kind"], o["metadata"]["name"]): o["metadata"].get("uid", "")
            for o in live if o.get("kind") in ("Pipeline", "PipelineVersion")}


def same_pipeline_ids(manifest: Manifest, live: Manifest) -> bool:
    """Whether a bound schedule names the same pipeline and version IDs as the live one."""
    spec, current = manifest.get("spec", {}), live.get("spec", {})
    return all(spec.get(k) == current.get(k) for k in ("pipelineId", "pipelineVersionId"))


def bind_pipeline_ids(manifest: Manifest, uids: Mapping[tuple[str, str], str]) -> Manifest:
    """A copy of a ScheduledWorkflow with pipelineId/pipelineVersionId set from live UIDs.

    ``uids`` maps (kind, name) of live Pipeline/PipelineVersion objects in the namespace to their UID.
    """
    annotations = manifest["metadata"].get("annotations", {})
    pipeline = uids.get(("Pipeline", annotations.get(ANNOTATION_PIPELINE, "")))
    version = uids.get(("PipelineVersion", annotations.get(ANNOTATION_PIPELINE_VERSION, "")))
    spec = dict(manifest["spec"])
    if pipeline:
        spec["pipelineId"] = pipeline
    if version:
        spec["pipelineVersionId"] = version
    return {**manifest, "spec": spec}
