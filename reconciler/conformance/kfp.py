"""KFP Kubernetes-native `pipelines.kubeflow.org/v2beta1` Pipeline and PipelineVersion.

CRD schemas plus the ml-pipeline validating webhook
(`backend/src/apiserver/webhook/pipelineversion_webhook.go`): `spec.pipelineSpec` must be
a v2 IR `PipelineSpec` (parsed with kfp-pipeline-spec's protobuf, unknown fields
rejected), with a non-empty root and a `pipelineInfo.name` that passes
`common.ValidatePipelineName`. Whether `spec.pipelineName` names an existing Pipeline
needs the cluster; only an empty one is reported.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from collections.abc import Mapping
from typing import Any

from google.protobuf import json_format
from kfp.pipeline_spec import pipeline_spec_pb2

from reconciler.conformance import registry
from reconciler.conformance.violations import FieldViolation, invalid, required

GROUP, VERSION = "pipelines.kubeflow.org", "v2beta1"
_IR_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")  # unanchored, as upstream
_PIPELINE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_INVALID_SPEC = "The pipeline spec is invalid: "


def validate_pipeline(obj: Mapping[str, Any]) -> list[FieldViolation]:
    """CRD violations of a Pipeline."""
    schema = registry.schema_for(GROUP, VERSION, "Pipeline")
    return schema.validate(obj, strict=True) if schema is not None else []


def validate_pipeline_version(obj: Mapping[str, Any]) -> list[FieldViolation]:
    """CRD and webhook violations of a PipelineVersion."""
    schema = registry.schema_for(GROUP, VERSION, "PipelineVersion")
    found = schema.validate(obj, strict=True) if schema is not None else []
    spec = obj.get("spec")
    if not isinstance(spec, Mapping):
        return found
    if not spec.get("pipelineName"):
        found.append(required("spec.pipelineName", "The spec.pipelineName doesn't map to an existing Pipeline object"))
    if "pipelineSpec" in spec:
        found.extend(pipeline_spec_violations(spec["pipelineSpec"], "spec.pipelineSpec"))
    return list(dict.fromkeys(found))


def pipeline_spec_violations(ir: Any, path: str) -> list[FieldViolation]:
    """Why a compiled KFP v2 IR document would be refused by the KFP API server."""
    if not isinstance(ir, Mapping):
        return [invalid(path, "", _INVALID_SPEC + "pipeline spec must be an object")]
    # The same compiled IR is usually rendered once per environment: parse each text once.
    return list(_ir_violations(json.dumps(ir, sort_keys=True, separators=(",", ":")), path))


@lru_cache(maxsize=256)
def _ir_violations(text: str, path: str) -> tuple[FieldViolation, ...]:
    return tuple(_parse_ir(json.loads(text), path))


def _parse_ir(ir: Mapping[str, Any], path: str) -> list[FieldViolation]:
    try:
        parsed = json_format.ParseDict(ir, pipeline_spec_pb2.PipelineSpec(), ignore_unknown_fields=False)
    except json_format.ParseError as err:
        return [invalid(path, "", _INVALID_SPEC + str(err).splitlines()[0])]
    name = parsed.pipeline_info.name
    where = f"{path}.pipelineInfo.name"
    if not name:
        return [invalid(where, name, _INVALID_SPEC + "invalid v2 pipeline spec: name is empty")]
    out: list[FieldViolation] = []
    if not _IR_NAME.search(name):
        detail = (
            "invalid v2 pipeline spec: name should consist of lower case alphanumeric characters, '-' or '.', "
            "and must start and end with an alphanumeric character"
        )
        out.append(invalid(where, name, _INVALID_SPEC + detail))
    elif len(name) > 128:
        out.append(invalid(where, name, "pipeline's name must contain no more than 128 characters"))
    elif not _PIPELINE_NAME.match(name):
        detail = "pipeline's name must contain only lowercase alphanumeric characters or '-' and must start with alphanumeric characters"
        out.append(invalid(where, name, detail))
    if not parsed.HasField("root"):
        out.append(required(f"{path}.root", _INVALID_SPEC + "invalid v2 pipeline spec: root component is empty"))
    return out
