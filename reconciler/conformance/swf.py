"""KFP `kubeflow.org/v1beta1` ScheduledWorkflow: stub CRD plus the Go types' schema.

The CRD only requires `spec` and `status` at the root (both preserve unknown fields), so
the field schema below is written from `backend/src/crd/pkg/apis/scheduledworkflow/v1beta1/types.go`
(kubeflow/pipelines master): what the controller decodes, strict, since unknown keys
are silently dropped. Ranges come from the type comments and the API server
(maxConcurrency 1..10, maxHistory 0..100, intervalSecond >= 1); times are metav1.Time
(RFC 3339); the cron string must parse with robfig/cron v1 (seconds first).
In pipeline-reference mode (no `workflow.spec`) the controller parses every
`workflow.parameters[].value` as JSON, after substituting `[[...]]` macros.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

import jsonschema_rs

from reconciler.conformance import registry
from reconciler.conformance.formats import FORMAT_CHECKERS, is_rfc3339
from reconciler.conformance.openapi_doc import explain
from reconciler.spec.robfig_cron import cron_error
from reconciler.conformance.violations import FieldViolation, forbidden, invalid

_TIME = {"type": "string", "format": "date-time"}
_STRING = {"type": "string"}


def _object(props: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props, "additionalProperties": False, **extra}


SPEC_SCHEMA: dict[str, Any] = _object(
    {
        "enabled": {"type": "boolean"},
        "maxConcurrency": {"type": "integer", "minimum": 1, "maximum": 10},
        "noCatchup": {"type": "boolean"},
        "maxHistory": {"type": "integer", "minimum": 0, "maximum": 100},
        "trigger": _object(
            {
                "cronSchedule": _object({"cron": _STRING, "startTime": _TIME, "endTime": _TIME}),
                "periodicSchedule": _object(
                    {"intervalSecond": {"type": "integer", "minimum": 1}, "startTime": _TIME, "endTime": _TIME}
                ),
            }
        ),
        "workflow": _object(
            {
                "parameters": {"type": "array", "items": _object({"name": _STRING, "value": _STRING})},
                "pipelineRoot": _STRING,
                "spec": {},
            }
        ),
        "experimentId": _STRING,
        "pipelineId": _STRING,
        "pipelineVersionId": _STRING,
        "pipelineName": _STRING,
        "serviceAccount": _STRING,
        "pluginsInput": {"type": "object"},
    }
)
_MACRO = re.compile(r"\[\[(ScheduledTime|CurrentTime|Index)(\.[^\]]*)?\]\]")


@cache
def _validator() -> jsonschema_rs.Validator:
    root = {"type": "object", "properties": {"spec": SPEC_SCHEMA, "status": {"type": "object"}}}
    return jsonschema_rs.Draft4Validator(root, formats={**FORMAT_CHECKERS, "date-time": is_rfc3339}, validate_formats=True)


def validate_scheduled_workflow(obj: Mapping[str, Any]) -> list[FieldViolation]:
    """CRD, Go-type and controller violations of a ScheduledWorkflow."""
    schema = registry.schema_for("kubeflow.org", "v1beta1", "ScheduledWorkflow")
    found = schema.validate(obj, strict=True) if schema is not None else []
    found.extend(explain(_validator(), obj))
    spec = obj.get("spec")
    if isinstance(spec, Mapping):
        found.extend(_trigger(spec.get("trigger")))
        found.extend(_parameters(spec.get("workflow")))
    return list(dict.fromkeys(found))


def _trigger(trigger: Any) -> Iterator[FieldViolation]:
    if not isinstance(trigger, Mapping):
        return
    path = "spec.trigger"
    if trigger.get("cronSchedule") is not None and trigger.get("periodicSchedule") is not None:
        yield forbidden(path, "only one of cronSchedule and periodicSchedule may be set (the controller ignores periodicSchedule)")
    for name in ("cronSchedule", "periodicSchedule"):
        schedule = trigger.get(name)
        if not isinstance(schedule, Mapping):
            continue
        start, end = schedule.get("startTime"), schedule.get("endTime")
        if isinstance(start, str) and isinstance(end, str) and is_rfc3339(start) and is_rfc3339(end):
            if _instant(start) >= _instant(end):
                yield invalid(f"{path}.{name}.endTime", end, "must be later than startTime")
    cron = (trigger.get("cronSchedule") or {}).get("cron") if isinstance(trigger.get("cronSchedule"), Mapping) else None
    if isinstance(cron, str) and (err := cron_error(cron)) is not None:
        yield invalid(f"{path}.cronSchedule.cron", cron, f"invalid cron schedule (robfig/cron, seconds first): {err}")


def _instant(text: str) -> float:
    return datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00").replace("t", "T")).timestamp()


def _parameters(workflow: Any) -> Iterator[FieldViolation]:
    if not isinstance(workflow, Mapping) or workflow.get("spec") is not None:
        return  # legacy mode substitutes values into an Argo workflow as plain strings
    params = workflow.get("parameters")
    for i, param in enumerate(params if isinstance(params, list) else []):
        value = param.get("value") if isinstance(param, Mapping) else None
        if not isinstance(value, str):
            continue
        try:
            json.loads(_MACRO.sub("20240101000000", value))
        except json.JSONDecodeError as err:
            detail = f"must be valid JSON (the controller parses parameter values as JSON; quote strings): {err.msg}"
            yield invalid(f"spec.workflow.parameters[{i}].value", value, detail)
