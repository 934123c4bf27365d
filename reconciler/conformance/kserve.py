"""KServe `serving.kserve.io/v1beta1` InferenceService: CRD schema plus the validating webhook.

Rules follow `pkg/apis/serving/v1beta1/inference_service_validation.go` and
`component.go` (kserve v0.20). The webhook answers with plain error strings; each is
reported on the field it is about, with the webhook's text as the detail. Unlike the
webhook (which stops at the first error) every rule is reported. The part of KServe's
mutating webhook that changes validity is applied first (a lone unnamed container is
named `kserve-container`). Not covered: blocked
environment variables, multi-node/workerSpec rules, confidential serving, logger storage
details, canary[] specs of Standard mode, and rules that need cluster state.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from reconciler.conformance import registry
from reconciler.conformance.violations import FieldViolation, forbidden, invalid, not_supported, required

DEPLOYMENT_MODE = "serving.kserve.io/deploymentMode"
CONTAINER_NAME = "kserve-container"
AUTOSCALER_CLASS = "serving.kserve.io/autoscalerClass"
KNATIVE_CLASS = "autoscaling.knative.dev/class"
DEPLOYMENT_MODES = ("Knative", "Serverless", "Standard", "RawDeployment", "ModelMesh")
KNATIVE_MODES = ("Knative", "Serverless")
AUTOSCALER_CLASSES = ("hpa", "kpa", "keda", "external", "none")
FRAMEWORKS = ("sklearn", "xgboost", "tensorflow", "pytorch", "triton", "onnx", "huggingface", "pmml", "lightgbm", "paddle")
_GO_NAMES = ("SKLearn", "XGBoost", "Tensorflow", "PyTorch", "Triton", "ONNX", "HuggingFace", "PMML", "LightGBM", "Paddle", "Model")
STORAGE_PREFIXES = (
    "gs://",
    "s3://",
    "pvc://",
    "file://",
    "https://",
    "http://",
    "hdfs://",
    "webhdfs://",
    "oci://",
    "oci+native://",
    "oci+fetch://",
    "hf://",
)
_NAME = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_HAS_SCHEME = re.compile(r"\w+?://")
_AZURE_BLOB = re.compile(r"^https://(.+?)\.blob\.core\.windows\.net/(.+)$")
_KPA_METRICS = ("concurrency", "rps")
_HPA_METRICS = ("cpu", "memory")


def validate_inference_service(obj: Mapping[str, Any]) -> list[FieldViolation]:
    """Schema and webhook violations of an InferenceService."""
    schema = registry.schema_for("serving.kserve.io", "v1beta1", "InferenceService")
    found = schema.validate(_defaulted(obj), strict=True) if schema is not None else []
    metadata = _mapping(obj.get("metadata"))
    annotations = _mapping(metadata.get("annotations"))
    found.extend(_name(metadata.get("name")))
    found.extend(_annotations(annotations))
    spec = obj.get("spec")
    if isinstance(spec, Mapping):
        mode = str(annotations.get(DEPLOYMENT_MODE) or "Knative")
        for component in ("predictor", "transformer", "explainer"):
            if isinstance(spec.get(component), Mapping):
                found.extend(_component(f"spec.{component}", component, spec[component], mode, annotations))
    return list(dict.fromkeys(found))


def _defaulted(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    """What KServe's mutating webhook hands on: a lone unnamed container is named kserve-container."""
    spec = obj.get("spec")
    if not isinstance(spec, Mapping):
        return obj
    unnamed = [
        c
        for c in ("predictor", "transformer", "explainer")
        if isinstance(spec.get(c), Mapping)
        and isinstance(spec[c].get("containers"), list)
        and len(spec[c]["containers"]) == 1
        and isinstance(spec[c]["containers"][0], Mapping)
        and not spec[c]["containers"][0].get("name")
    ]
    if not unnamed:
        return obj
    new_spec = dict(spec)
    for component in unnamed:
        container = {**spec[component]["containers"][0], "name": CONTAINER_NAME}
        new_spec[component] = {**spec[component], "containers": [container]}
    return {**obj, "spec": new_spec}


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _name(name: Any) -> Iterator[FieldViolation]:
    if isinstance(name, str) and not _NAME.match(name):
        yield invalid(
            "metadata.name",
            name,
            f'the InferenceService "{name}" is invalid: a InferenceService name must consist of lower case '
            "alphanumeric characters or '-', and must start with alphabetical character. "
            "(e.g. \"my-name\" or \"abc-123\", regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
        )


def _annotations(annotations: Mapping[str, Any]) -> Iterator[FieldViolation]:
    mode = annotations.get(DEPLOYMENT_MODE)
    if mode is not None and mode not in DEPLOYMENT_MODES:
        yield not_supported(f"metadata.annotations[{DEPLOYMENT_MODE}]", mode, DEPLOYMENT_MODES)
    autoscaler = annotations.get(AUTOSCALER_CLASS)
    if autoscaler is not None and autoscaler not in AUTOSCALER_CLASSES:
        yield invalid(f"metadata.annotations[{AUTOSCALER_CLASS}]", autoscaler, f"[{autoscaler}] is not a supported autoscaler class type")


def _implementations(kind: str, spec: Mapping[str, Any]) -> list[str]:
    if kind == "predictor":
        found = [f for f in (*FRAMEWORKS, "model") if spec.get(f) is not None]
    elif kind == "explainer":
        found = ["art"] if spec.get("art") is not None else []
    else:
        found = []
    if spec.get("containers"):
        found.append("containers")
    return found


def _component(path: str, kind: str, spec: Mapping[str, Any], mode: str, annotations: Mapping[str, Any]) -> Iterator[FieldViolation]:
    impls = _implementations(kind, spec)
    if len(impls) != 1:
        names = {"predictor": [*_GO_NAMES, "PodSpec"], "explainer": ["ART", "PodSpec"], "transformer": ["PodSpec"]}[kind]
        detail = f"exactly one of [{', '.join(names)}] must be specified in {kind.capitalize()}Spec"
        if impls:
            yield forbidden(path, f"{detail} (found: {', '.join(impls)})")
        else:
            yield required(path, detail)
    for impl in impls:
        if impl != "containers" and isinstance(spec.get(impl), Mapping):
            yield from _implementation(f"{path}.{impl}", impl, spec[impl], spec)
    yield from _extensions(path, spec, mode, annotations)


def _implementation(path: str, impl: str, spec: Mapping[str, Any], component: Mapping[str, Any]) -> Iterator[FieldViolation]:
    if spec.get("name"):
        yield forbidden(f"{path}.name", "the 'name' field is not allowed in standard predictor")
    if impl == "model" and not (spec.get("modelFormat") or {}).get("name"):
        yield required(f"{path}.modelFormat.name")
    uri = spec.get("storageUri")
    if isinstance(uri, str) and _HAS_SCHEME.search(uri) and not uri.startswith(STORAGE_PREFIXES) and not _AZURE_BLOB.match(uri):
        yield invalid(
            f"{path}.storageUri",
            uri,
            f"storageUri, must be one of: [{', '.join(STORAGE_PREFIXES)}] or match "
            f"https://{{}}.blob.core.windows.net/{{}}/{{}} or be an absolute or relative local path. StorageUri [{uri}] is not supported",
        )
    if uri is not None and component.get("storageUris") is not None:
        yield forbidden(f"{path}.storageUri", "Setting both StorageURI and StorageURIs is not supported.")


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _extensions(path: str, spec: Mapping[str, Any], mode: str, annotations: Mapping[str, Any]) -> Iterator[FieldViolation]:
    min_replicas, max_replicas = _int(spec.get("minReplicas")), _int(spec.get("maxReplicas"))
    if min_replicas is not None and min_replicas < 0:
        yield invalid(f"{path}.minReplicas", min_replicas, "'MinReplicas' cannot be less than 0")
    if max_replicas is not None and max_replicas < 0:
        yield invalid(f"{path}.maxReplicas", max_replicas, "'MaxReplicas' cannot be less than 0")
    effective_min = 1 if min_replicas is None else min_replicas
    if max_replicas and max_replicas > 0 and effective_min > max_replicas:
        yield invalid(f"{path}.minReplicas", effective_min, "'MinReplicas' cannot be greater than MaxReplicas")
    concurrency = _int(spec.get("containerConcurrency"))
    if concurrency is not None and concurrency < 0:
        yield invalid(f"{path}.containerConcurrency", concurrency, "parallelism cannot be less than 0")
    canary = _int(spec.get("canaryTrafficPercent"))
    if canary is not None and not 0 <= canary <= 100:
        yield invalid(f"{path}.canaryTrafficPercent", canary, "TrafficPercent must be between [0, 100].")
    if "canaryTrafficPercent" in spec and mode not in KNATIVE_MODES:
        detail = f"canaryTrafficPercent is only supported in Knative (Serverless) deployment mode, not {mode}"
        yield forbidden(f"{path}.canaryTrafficPercent", detail)
    logger = spec.get("logger")
    if isinstance(logger, Mapping) and logger.get("mode", "all") not in ("all", "request", "response"):
        yield invalid(f"{path}.logger.mode", logger.get("mode"), "invalid logger type")
    yield from _autoscaling(path, spec, mode, annotations)


def _autoscaling(path: str, spec: Mapping[str, Any], mode: str, annotations: Mapping[str, Any]) -> Iterator[FieldViolation]:
    metric = spec.get("scaleMetric")
    if mode in KNATIVE_MODES:
        if annotations.get(KNATIVE_CLASS) == "hpa.autoscaling.knative.dev":
            allowed = _HPA_METRICS
        else:
            allowed = _KPA_METRICS
            if spec.get("deploymentStrategy") is not None:
                yield forbidden(f"{path}.deploymentStrategy", "customizing deploymentStrategy is only supported for raw deployment mode")
    elif annotations.get(AUTOSCALER_CLASS) == "hpa":
        allowed = _HPA_METRICS
    elif annotations.get(AUTOSCALER_CLASS) == "keda" and metric is not None:
        yield forbidden(f"{path}.scaleMetric", "ScaleMetric is not supported for KEDA")
        return
    else:
        return
    if isinstance(metric, str) and metric in ("cpu", "memory", "concurrency", "rps") and metric not in allowed:
        yield invalid(f"{path}.scaleMetric", metric, f"[{metric}] is not a supported metric")
    target = _int(spec.get("scaleTarget"))
    effective = metric or ("concurrency" if allowed == _KPA_METRICS else "cpu")
    if target is not None and effective == "cpu" and not 1 <= target <= 100:
        yield invalid(f"{path}.scaleTarget", target, "the target utilization percentage should be a [1-100] integer")
    if target is not None and effective == "rps" and target < 1:
        yield invalid(f"{path}.scaleTarget", target, "the target for rps should be greater than 1")
