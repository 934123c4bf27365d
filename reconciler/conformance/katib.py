"""Katib `kubeflow.org/v1beta1` Experiment: OpenAPI schema plus the admission webhook.

The Experiment CRD is schemaless, so the field schema is `v1beta1.Experiment` from Katib's
generated OpenAPI document (strict: the controller's decoder would drop unknown keys).
The rules follow `pkg/webhook/v1beta1/experiment/validator/validator.go`, evaluated after
Katib's defaulting (`experiment_defaults.go`: StdOut collector, File path/format, trial
success/failure conditions for known trial kinds). Differences from the webhook, on purpose:
every rule is reported (the webhook stops after a bad objective), and a few checks the
webhook leaves to the controller are added: feasible-space numbers parse and min <= max,
the trial kind is one of katib-config's trialResources, the primary container exists.
"""

from __future__ import annotations

import math
import os.path
import re
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

import jsonschema_rs

from reconciler.conformance import registry
from reconciler.conformance.katib_trial import validate_trial_template
from reconciler.conformance.openapi_doc import compile_schema, convert_document, explain, ref
from reconciler.conformance.violations import FieldViolation, invalid, required

# Suggestion / early-stopping algorithms of the default katib-config.
ALGORITHMS = (
    "random",
    "tpe",
    "grid",
    "hyperband",
    "bayesianoptimization",
    "cmaes",
    "sobol",
    "multivariate-tpe",
    "enas",
    "darts",
    "pbt",
)
EARLY_STOPPING_ALGORITHMS = ("medianstop",)
COLLECTOR_KINDS = ("StdOut", "File", "TensorFlowEvent", "PrometheusMetric", "Custom", "None", "Push")
PARAMETER_TYPES = ("int", "double", "categorical", "discrete", "unknown")
DISTRIBUTIONS = ("uniform", "logUniform", "normal", "logNormal", "unknown")
RESUME_POLICIES = ("", "Never", "LongRunning", "FromVolume")
MAX_NAME_LENGTH = 40
_NAME = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")  # Go MatchString: unanchored, as upstream
_TWO_GROUPS = re.compile(r".*\(.*\).*\(.*\).*")


@cache
def _validator() -> jsonschema_rs.Validator:
    defs = convert_document(registry.load_json("katib_v1beta1_openapi-spec.json"), strict=True)
    experiment = defs["v1beta1.Experiment"]
    experiment["properties"]["metadata"] = {"type": "object"}  # kube validates ObjectMeta itself
    return compile_schema({"definitions": defs, "allOf": [ref("v1beta1.Experiment")]})


def validate_experiment(obj: Mapping[str, Any]) -> list[FieldViolation]:
    """Schema and webhook violations of a Katib Experiment."""
    found = explain(_validator(), obj)
    spec = obj.get("spec")
    if not isinstance(spec, Mapping):
        return [*found, required("spec", "must be specified")]
    found.extend(_name(obj))
    found.extend(_counts(spec))
    found.extend(_objective(spec.get("objective")))
    found.extend(_algorithm(spec.get("algorithm"), "spec.algorithm", ALGORITHMS, "Suggestion", optional=False))
    found.extend(_algorithm(spec.get("earlyStopping"), "spec.earlyStopping", EARLY_STOPPING_ALGORITHMS, "EarlyStopping"))
    if spec.get("resumePolicy", "") not in RESUME_POLICIES:
        found.append(invalid("spec.resumePolicy", spec.get("resumePolicy"), "invalid ResumePolicyType"))
    found.extend(validate_trial_template(spec))
    params = spec.get("parameters") or []
    if not params and spec.get("nasConfig") is None:
        found.append(required("spec", "spec.parameters or spec.nasConfig must be specified"))
    if params and spec.get("nasConfig") is not None:
        found.append(invalid("spec", "", "only one of spec.parameters and spec.nasConfig can be specified"))
    if isinstance(params, list):
        found.extend(_parameters(params))
    found.extend(_metrics_collector(spec.get("metricsCollectorSpec")))
    return list(dict.fromkeys(found))


def _name(obj: Mapping[str, Any]) -> Iterator[FieldViolation]:
    name = (obj.get("metadata") or {}).get("name")
    if not isinstance(name, str):
        return
    if not _NAME.match(name):
        yield invalid(
            "metadata.name",
            name,
            "name must consist of lower case alphanumeric characters or '-', start with an alphabetic character, "
            "and end with an alphanumeric character (e.g. 'my-name', or 'abc-123', regex used for validation is "
            "'^[a-z]([-a-z0-9]*[a-z0-9])?)'",
        )
    if len(name) > MAX_NAME_LENGTH:
        yield invalid("metadata.name", name, f"must be no more than {MAX_NAME_LENGTH} characters")


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _counts(spec: Mapping[str, Any]) -> Iterator[FieldViolation]:
    max_failed = _int(spec.get("maxFailedTrialCount"))
    max_trials = _int(spec.get("maxTrialCount"))
    parallel = _int(spec.get("parallelTrialCount"))
    if max_failed is not None and max_failed < 0:
        yield invalid("spec.maxFailedTrialCount", max_failed, "should not be less than 0")
    if max_trials is not None and max_trials <= 0:
        yield invalid("spec.maxTrialCount", max_trials, "must be greater than 0")
    if parallel is not None and parallel <= 0:
        yield invalid("spec.parallelTrialCount", parallel, "must be greater than 0")
    if max_failed is not None and max_trials is not None and max_failed > max_trials:
        yield invalid("spec.maxFailedTrialCount", max_failed, "should be less than or equal to spec.maxTrialCount")
    if parallel is not None and max_trials is not None and parallel > max_trials:
        yield invalid("spec.parallelTrialCount", parallel, "should be less than or equal to spec.maxTrialCount")


def _objective(objective: Any) -> Iterator[FieldViolation]:
    path = "spec.objective"
    if not isinstance(objective, Mapping):
        yield required(path, "must be specified")
        return
    if objective.get("type") not in ("minimize", "maximize"):
        yield invalid(f"{path}.type", objective.get("type", ""), "must be minimize or maximize")
    metric = objective.get("objectiveMetricName")
    if not metric:
        yield required(f"{path}.objectiveMetricName", "must be specified")
    additional = objective.get("additionalMetricNames") or []
    if metric and isinstance(additional, list) and metric in additional:
        yield invalid(f"{path}.additionalMetricNames", additional, "should not contain spec.objective.objectiveMetricName")


def _algorithm(
    spec: Any, path: str, known: tuple[str, ...], what: str, *, optional: bool = True
) -> Iterator[FieldViolation]:
    if spec is None and optional:
        return
    if not isinstance(spec, Mapping):
        yield required(path, "must be specified")
        return
    name = spec.get("algorithmName", "")
    if not name:
        yield required(f"{path}.algorithmName", "must be specified")
    if name not in known:
        detail = f"failed to find algorithm '{name}' config in ConfigMap: katib-config (known: {', '.join(known)})"
        yield invalid(f"{path}.algorithmName", name, f"unable to get {what} config data for algorithm {name}: {detail}")


def _number(text: Any) -> float | None:
    try:
        value = float(text) if isinstance(text, str) else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) else None


def _parameters(params: list[Any]) -> Iterator[FieldViolation]:
    for i, param in enumerate(params):
        if not isinstance(param, Mapping):
            continue
        path = f"spec.parameters[{i}]"
        kind = param.get("parameterType", "")
        space = param.get("feasibleSpace") or {}
        if kind not in PARAMETER_TYPES:
            yield invalid(f"{path}.parameterType", kind, f"parameterType: {kind} is not supported")
        if not isinstance(space, Mapping):
            continue
        distribution = space.get("distribution", "")
        if distribution and distribution not in DISTRIBUTIONS:
            yield invalid(f"{path}.feasibleSpace.distribution", distribution, f"distribution: {distribution} is not supported")
        if not any(space.get(k) for k in ("min", "max", "step", "list", "distribution")):
            yield required(f"{path}.feasibleSpace", "feasibleSpace must be specified")
        elif kind in ("int", "double"):
            yield from _numeric_space(f"{path}.feasibleSpace", kind, space)
        elif kind in ("categorical", "discrete") and any(space.get(k) for k in ("min", "max", "step")):
            msg = f"feasibleSpace .max, .min and .step is not supported for parameterType: {kind}"
            yield invalid(f"{path}.feasibleSpace", "", msg)
        elif kind in ("categorical", "discrete") and not space.get("list"):
            yield required(f"{path}.feasibleSpace.list", f"feasibleSpace.list must be specified for parameterType: {kind}")
        if kind == "discrete":
            for j, item in enumerate(space.get("list") or []):
                if _number(item) is None:
                    yield invalid(f"{path}.feasibleSpace.list[{j}]", item, "must be a number for parameterType: discrete")


def _numeric_space(path: str, kind: str, space: Mapping[str, Any]) -> Iterator[FieldViolation]:
    if space.get("list"):
        yield invalid(f"{path}.list", space["list"], f"feasibleSpace.list is not supported for parameterType: {kind}")
    if not space.get("max") or not space.get("min"):
        msg = f"feasibleSpace.max or feasibleSpace.min must be specified for parameterType: {kind}"
        yield required(f"{path}.max", msg)
        return
    bounds: dict[str, float] = {}
    for key in ("min", "max", "step"):
        if key not in space:
            continue
        value = _number(space[key])
        if value is None or (kind == "int" and not re.fullmatch(r"[+-]?\d+", str(space[key]).strip())):
            yield invalid(f"{path}.{key}", space[key], f"must be a string holding {'an integer' if kind == 'int' else 'a number'} for parameterType: {kind}")
        else:
            bounds[key] = value
    if "min" in bounds and "max" in bounds and bounds["min"] > bounds["max"]:
        yield invalid(f"{path}.min", space["min"], f"must be less than or equal to feasibleSpace.max ({space['max']})")
    if "step" in bounds and bounds["step"] <= 0:
        yield invalid(f"{path}.step", space["step"], "must be greater than 0")


def _metrics_collector(spec: Any) -> Iterator[FieldViolation]:
    path = "spec.metricsCollectorSpec"
    spec = spec if isinstance(spec, Mapping) else {}
    collector = spec.get("collector")
    kind = collector.get("kind", "") if isinstance(collector, Mapping) else "StdOut"
    source = spec.get("source") if isinstance(spec.get("source"), Mapping) else None
    fs_path = source.get("fileSystemPath") if source and isinstance(source.get("fileSystemPath"), Mapping) else None
    src = f"{path}.source"
    if kind not in COLLECTOR_KINDS:
        yield invalid(f"{path}.collector.kind", kind, f"invalid metrics collector kind: {kind}")
    elif kind == "File":
        if fs_path is not None and (fs_path.get("kind") != "File" or not os.path.isabs(str(fs_path.get("path", "")))):
            yield required(f"{src}.fileSystemPath.path", "file path where metrics file exists is required")
        fmt = (fs_path or {}).get("format") or "TEXT"
        if fmt not in ("TEXT", "JSON"):
            yield required(f"{src}.fileSystemPath.format", "format of metrics file is required for metrics collector")
        if fmt == "JSON" and source is not None and source.get("filter") is not None:
            yield invalid(f"{src}.filter", "", "filter must be nil when format of metrics file is json")
    elif kind == "TensorFlowEvent" and fs_path is not None:
        if fs_path.get("kind") != "Directory" or not os.path.isabs(str(fs_path.get("path", ""))):
            msg = "directory path where tensorflow event files exist is required by .spec.metricsCollectorSpec.source.fileSystemPath.path"
            yield required(src, msg)
        if fs_path.get("format"):
            yield invalid(f"{src}.fileSystemPath.format", fs_path["format"], "must be empty")
    elif kind == "PrometheusMetric" and source is not None and isinstance(source.get("httpGet"), Mapping):
        http = source["httpGet"]
        port = str(http.get("port", "8080"))
        if not port.isdigit() or int(port) <= 0:
            yield invalid(f"{src}.httpGet.port", port, f"must be a positive integer value for metrics collector kind: {kind}")
        if not str(http.get("path", "/metrics")).startswith("/"):
            yield invalid(f"{src}.httpGet.path", http.get("path"), f"path is invalid for metrics collector kind: {kind}")
    elif kind == "Custom":
        if not isinstance(collector, Mapping) or collector.get("customCollector") is None:
            yield required(f"{path}.collector.customCollector", f"metrics collector kind: {kind} is required")
        if fs_path is not None and (
            not os.path.isabs(str(fs_path.get("path", ""))) or fs_path.get("kind") not in ("Directory", "File")
        ):
            yield invalid(f"{src}.fileSystemPath", "", ".spec.metricsCollectorSpec.source is invalid")
    yield from _metrics_format(src, source)


def _metrics_format(src: str, source: Mapping[str, Any] | None) -> Iterator[FieldViolation]:
    filt = source.get("filter") if source else None
    formats = filt.get("metricsFormat") if isinstance(filt, Mapping) else None
    for fmt in formats if isinstance(formats, list) else []:
        try:
            re.compile(str(fmt))
        except re.error as err:
            yield invalid(f"{src}.filter.metricsFormat", fmt, f"invalid filter: {err}")
            continue
        if not _TWO_GROUPS.match(str(fmt)):
            yield invalid(f"{src}.filter.metricsFormat", fmt, "two top subexpressions are required")
