"""Katib trialTemplate rules and validation of the embedded trialSpec.

Rules follow `pkg/webhook/v1beta1/experiment/validator/validator.go` (validateTrialTemplate)
and katib-config's `trialResources`; messages reuse the webhook's wording where it has one.
The trialSpec itself is checked against what its kind's controller would accept:
batch/v1 Job against core PodTemplateSpec (from Katib's OpenAPI document), PyTorchJob /
TFJob / TrainJob against their CRD structural schemas. Values that are whole or partial
`${trialParameters.x}` placeholders are tolerated wherever a typed value is expected,
because Katib substitutes them into the template text before it creates the trial.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

import jsonschema_rs

from reconciler.conformance import registry
from reconciler.conformance.openapi_doc import compile_schema, convert_document, explain, ref
from reconciler.conformance.violations import FieldViolation, forbidden, invalid, required, under

TEMPLATE = "spec.trialTemplate"
TRIAL_SPEC = f"{TEMPLATE}.trialSpec"
PLACEHOLDER = re.compile(r"\$\{trialParameters\..+?\}")
_META_REF = re.compile(r"\$\{trialSpec\.(.+?)\}")
_META_PARSE = re.compile(r"(.+)\[(.+)\]")
META_KEYS = ("Name", "Namespace", "Kind", "APIVersion", "Labels", "Annotations")

# katib-config trialResources (manifests/v1beta1/installs/katib-standalone/katib-config.yaml).
TRIAL_KINDS = (
    ("batch/v1", "Job"),
    ("kubeflow.org/v1", "TFJob"),
    ("kubeflow.org/v1", "PyTorchJob"),
    ("kubeflow.org/v1", "MPIJob"),
    ("kubeflow.org/v1", "XGBoostJob"),
    ("trainer.kubeflow.org/v1alpha1", "TrainJob"),
)
_INT, _BOOL, _STR = {"type": "integer"}, {"type": "boolean"}, {"type": "string"}
# batch/v1 JobSpec fields besides `template` (k8s.io/api/batch/v1 types.go).
_JOB_SPEC_FIELDS: dict[str, Any] = {
    "activeDeadlineSeconds": _INT,
    "backoffLimit": _INT,
    "backoffLimitPerIndex": _INT,
    "completionMode": _STR,
    "completions": _INT,
    "managedBy": _STR,
    "manualSelector": _BOOL,
    "maxFailedIndexes": _INT,
    "parallelism": _INT,
    "podFailurePolicy": {"type": "object"},
    "podReplacementPolicy": _STR,
    "selector": {"type": "object"},
    "successPolicy": {"type": "object"},
    "suspend": _BOOL,
    "ttlSecondsAfterFinished": _INT,
}


def is_meta_key(reference: str) -> bool:
    """`${trialSpec.Name}`, `${trialSpec.Labels[key]}`, ... (Katib's isMetaKey)."""
    match = _META_REF.search(reference)
    if match is None:
        return False
    key = match[1]
    if key in META_KEYS:
        return True
    sub = _META_PARSE.fullmatch(key)
    return sub is not None and sub[1] in META_KEYS


def validate_trial_template(spec: Mapping[str, Any]) -> list[FieldViolation]:
    """trialTemplate rules of the Katib webhook, after Katib's defaulting."""
    template = spec.get("trialTemplate")
    if not isinstance(template, Mapping):
        return [required(TEMPLATE, "must be specified")]
    out: list[FieldViolation] = []
    if not template.get("primaryContainerName"):
        out.append(required(f"{TEMPLATE}.primaryContainerName", "must be specified"))
    trial_spec = template.get("trialSpec")
    config_map = template.get("configMap")
    if not _has_default_conditions(trial_spec) and not (
        template.get("successCondition") and template.get("failureCondition")
    ):
        out.append(required(TEMPLATE, "successCondition and failureCondition must be specified"))
    params = template.get("trialParameters")
    if params is None:
        return [*out, required(f"{TEMPLATE}.trialParameters", "must be specified")]
    if trial_spec is None and config_map is None:
        msg = "spec.trialTemplate.trialSpec or spec.trialTemplate.configMap must be specified"
        return [*out, required(f"{TEMPLATE}.TrialSource", msg)]
    if trial_spec is not None and config_map is not None:
        msg = "only one of spec.trialTemplate.trialSpec or spec.trialTemplate.configMap can be specified"
        return [*out, required(TEMPLATE, msg)]
    if config_map is not None:
        if not all(isinstance(config_map, Mapping) and config_map.get(k) for k in ("configMapName", "configMapNamespace", "templatePath")):
            msg = "configMapName, configMapNamespace and templatePath must be specified"
            out.append(required(f"{TEMPLATE}.configMap", msg))
        return out  # the template text lives in the cluster; nothing more to check offline
    if not isinstance(trial_spec, Mapping):
        return [*out, invalid(TEMPLATE, "", "unable to parse spec.trialTemplate: trialSpec must be an object")]
    out.extend(_trial_parameters(spec, params, trial_spec))
    out.extend(_trial_spec_shape(template, trial_spec))
    return out


def _has_default_conditions(trial_spec: Any) -> bool:
    return isinstance(trial_spec, Mapping) and (trial_spec.get("apiVersion"), trial_spec.get("kind")) in TRIAL_KINDS


def _trial_parameters(spec: Mapping[str, Any], params: Any, trial_spec: Mapping[str, Any]) -> Iterator[FieldViolation]:
    path = f"{TEMPLATE}.trialParameters"
    if not isinstance(params, list):
        return
    declared = [p.get("name") for p in spec.get("parameters") or [] if isinstance(p, Mapping)]
    text = json.dumps(trial_spec)
    names: set[str] = set()
    refs: set[str] = set()
    for i, param in enumerate(params):
        name = param.get("name", "") if isinstance(param, Mapping) else ""
        reference = param.get("reference", "") if isinstance(param, Mapping) else ""
        if not name or not reference or "{" in name or "}" in name:
            yield invalid(f"{path}[{i}]", "", "name and reference must be specified and name must not contain '{' or '}'")
            continue
        if name in names:
            yield invalid(f"{path}[{i}].name", name, f"parameter name {name} can't be duplicated in spec.trialTemplate.trialParameters")
            continue
        if reference in refs:
            msg = f"parameter reference {reference} can't be duplicated in spec.trialTemplate.trialParameters"
            yield invalid(f"{path}[{i}].reference", reference, msg)
            continue
        names.add(name)
        refs.add(reference)
        if declared and not is_meta_key(reference) and reference not in declared:
            msg = f"parameter reference {reference} does not exist in spec.parameters: [{' '.join(map(str, declared))}]"
            yield invalid(f"{path}[{i}].reference", reference, msg)
        token = "${trialParameters.%s}" % name
        if token not in text:
            yield invalid(f"{path}[{i}].name", name, f"parameter name: {name} in spec.trialParameters not found in spec.trialTemplate")
        text = text.replace(token, "test-value")
    leftover = PLACEHOLDER.findall(text)
    if leftover:
        msg = f"parameters: [{' '.join(leftover)}] in spec.trialTemplate not found in spec.trialParameters"
        yield invalid(TEMPLATE, "", msg)


def _trial_spec_shape(template: Mapping[str, Any], trial_spec: Mapping[str, Any]) -> Iterator[FieldViolation]:
    metadata = trial_spec.get("metadata")
    if isinstance(metadata, Mapping) and (metadata.get("name") or metadata.get("namespace")):
        yield invalid(TEMPLATE, "", "metadata.name and metadata.namespace in spec.trialTemplate must be omitted")
    api_version, kind = trial_spec.get("apiVersion"), trial_spec.get("kind")
    if not api_version or not kind:
        yield required(TEMPLATE, "APIVersion and Kind in spec.trialTemplate must be specified")
        return
    if (api_version, kind) not in TRIAL_KINDS:
        allowed = ", ".join(_resource_name(v, k) for v, k in TRIAL_KINDS)
        yield forbidden(f"{TRIAL_SPEC}.kind", f"trial kind {kind} ({api_version}) is not in katib-config trialResources: {allowed}")
        return
    primary = template.get("primaryContainerName")
    names = list(_container_names(trial_spec))
    if primary and names and primary not in names:
        yield invalid(
            f"{TEMPLATE}.primaryContainerName",
            primary,
            f"no container named {primary} in spec.trialTemplate.trialSpec (containers: {', '.join(names)})",
        )
    yield from validate_trial_spec(trial_spec)


def _resource_name(api_version: str, kind: str) -> str:
    """katib-config's `Kind.version.group` spelling."""
    group, _, version = api_version.rpartition("/")
    return f"{kind}.{version}.{group}"


def _container_names(value: Any) -> Iterator[str]:
    if isinstance(value, Mapping):
        for key, sub in value.items():
            if key in ("containers", "initContainers") and isinstance(sub, list):
                yield from (c["name"] for c in sub if isinstance(c, Mapping) and isinstance(c.get("name"), str))
            else:
                yield from _container_names(sub)
    elif isinstance(value, list):
        for item in value:
            yield from _container_names(item)


def _is_placeholder(value: Any) -> bool:
    return isinstance(value, str) and ("${trialParameters." in value or "${trialSpec." in value)


def validate_trial_spec(trial_spec: Mapping[str, Any]) -> list[FieldViolation]:
    """The embedded trial object checked like its controller (or kube) would check it."""
    api_version, kind = trial_spec.get("apiVersion"), trial_spec.get("kind")
    if (api_version, kind) == ("batch/v1", "Job"):
        out = explain(_job_validator(), trial_spec, prefix=TRIAL_SPEC, tolerate=_is_placeholder)
        return out + list(_job_images(trial_spec))
    group, _, version = str(api_version).rpartition("/")
    schema = registry.schema_for(group, version, str(kind))
    if schema is None:
        return []
    return [
        under(TRIAL_SPEC, v)
        for v in schema.validate(trial_spec, strict=True)
        if not _is_placeholder(value_at(trial_spec, v.field))
    ]


def _job_images(job: Mapping[str, Any]) -> Iterator[FieldViolation]:
    pod = ((job.get("spec") or {}).get("template") or {}).get("spec") or {}
    for i, container in enumerate(pod.get("containers") or [] if isinstance(pod, Mapping) else []):
        if isinstance(container, Mapping) and not container.get("image"):
            yield required(f"{TRIAL_SPEC}.spec.template.spec.containers[{i}].image")


@cache
def _job_validator() -> jsonschema_rs.Validator:
    defs = convert_document(registry.load_json("katib_v1beta1_openapi-spec.json"), strict=True)
    job_spec = {
        "type": "object",
        "required": ["template"],
        "properties": {"template": ref("io.k8s.api.core.v1.PodTemplateSpec"), **_JOB_SPEC_FIELDS},
        "additionalProperties": False,
    }
    template = defs["io.k8s.api.core.v1.PodTemplateSpec"]
    template["properties"]["metadata"] = {"type": "object"}
    root = {
        "definitions": defs,
        "type": "object",
        "required": ["spec"],
        "properties": {"apiVersion": {}, "kind": {}, "metadata": {"type": "object"}, "spec": job_spec},
        "additionalProperties": False,
    }
    return compile_schema(root)


_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def value_at(obj: Any, path: str) -> Any:
    """The value at a kube field path (`a.b[0].c`) or None; keys containing dots are not supported."""
    node = obj
    for key, index in _TOKEN.findall(path):
        if key and isinstance(node, Mapping):
            node = node.get(key)
        elif index and isinstance(node, list) and int(index) < len(node):
            node = node[int(index)]
        else:
            return None
    return node
