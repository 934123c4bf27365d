"""InferenceService: CRD schema plus the KServe validating webhook."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.conformance import FieldViolation, validate_object
from tests.conformance.objects import DELETE, changed, isvc, upstream

P = "spec.predictor"
MODE = "metadata.annotations[serving.kserve.io/deploymentMode]"
IMPLS = "SKLearn, XGBoost, Tensorflow, PyTorch, Triton, ONNX, HuggingFace, PMML, LightGBM, Paddle, Model, PodSpec"


def _with_namespace(doc: dict[str, Any]) -> dict[str, Any]:
    return changed(doc, "metadata.namespace", "ml-prod")


@pytest.mark.parametrize("name", ["kserve_sklearn_iris.yaml", "kserve_canary.yaml", "kserve_custom_simple.yaml"])
def test_upstream_samples_pass(name: str) -> None:
    [doc] = upstream(name)
    assert validate_object(_with_namespace(doc)) == []


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (f"{P}.minReplicas", 0),
        (f"{P}.maxReplicas", 0),
        (f"{P}.scaleMetric", "rps"),
        (f"{P}.model.storageUri", "pvc://models/fraud"),
        (f"{P}.model.storageUri", "https://acct.blob.core.windows.net/models/fraud"),
        (f"{P}.model.storageUri", "/mnt/models/fraud"),
        (MODE, "Serverless"),
        (f"{P}.canaryTrafficPercent", DELETE),
    ],
)
def test_valid_variants_pass(path: str, value: Any) -> None:
    assert validate_object(changed(isvc(), path, value)) == []


def test_standard_mode_without_canary_passes() -> None:
    obj = changed(changed(isvc(), MODE, "Standard"), f"{P}.canaryTrafficPercent", DELETE)
    assert validate_object(obj) == []


CASES = [
    (
        "metadata.name",
        "fraud.v2",
        FieldViolation(
            "metadata.name",
            "FieldValueInvalid",
            'Invalid value: "fraud.v2": the InferenceService "fraud.v2" is invalid: a InferenceService name must consist '
            "of lower case alphanumeric characters or '-', and must start with alphabetical character. "
            "(e.g. \"my-name\" or \"abc-123\", regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
        ),
    ),
    (
        f"{P}.sklearn",
        {"storageUri": "s3://models/fraud/7"},
        FieldViolation(
            P, "FieldValueForbidden", f"Forbidden: exactly one of [{IMPLS}] must be specified in PredictorSpec (found: sklearn, model)"
        ),
    ),
    (
        f"{P}.model",
        DELETE,
        FieldViolation(P, "FieldValueRequired", f"Required value: exactly one of [{IMPLS}] must be specified in PredictorSpec"),
    ),
    (f"{P}.model.modelFormat", {"version": "1"}, FieldViolation(f"{P}.model.modelFormat.name", "FieldValueRequired", "Required value")),
    (
        f"{P}.storageUris",
        [{"uri": "s3://models/a", "mountPath": "/mnt/models/a"}],
        FieldViolation(f"{P}.model.storageUri", "FieldValueForbidden", "Forbidden: Setting both StorageURI and StorageURIs is not supported."),
    ),
    (f"{P}.minReplicas", -1, FieldViolation(f"{P}.minReplicas", "FieldValueInvalid", "Invalid value: -1: 'MinReplicas' cannot be less than 0")),
    (f"{P}.maxReplicas", -2, FieldViolation(f"{P}.maxReplicas", "FieldValueInvalid", "Invalid value: -2: 'MaxReplicas' cannot be less than 0")),
    (
        f"{P}.minReplicas",
        5,
        FieldViolation(f"{P}.minReplicas", "FieldValueInvalid", "Invalid value: 5: 'MinReplicas' cannot be greater than MaxReplicas"),
    ),
    (
        f"{P}.containerConcurrency",
        -1,
        FieldViolation(f"{P}.containerConcurrency", "FieldValueInvalid", "Invalid value: -1: parallelism cannot be less than 0"),
    ),
    (
        f"{P}.canaryTrafficPercent",
        120,
        FieldViolation(f"{P}.canaryTrafficPercent", "FieldValueInvalid", "Invalid value: 120: TrafficPercent must be between [0, 100]."),
    ),
    (
        f"{P}.model.storageUri",
        "ftp://models/fraud",
        FieldViolation(
            f"{P}.model.storageUri",
            "FieldValueInvalid",
            'Invalid value: "ftp://models/fraud": storageUri, must be one of: [gs://, s3://, pvc://, file://, https://, '
            "http://, hdfs://, webhdfs://, oci://, oci+native://, oci+fetch://, hf://] or match "
            "https://{}.blob.core.windows.net/{}/{} or be an absolute or relative local path. "
            "StorageUri [ftp://models/fraud] is not supported",
        ),
    ),
    (
        MODE,
        "Standard",
        FieldViolation(
            f"{P}.canaryTrafficPercent",
            "FieldValueForbidden",
            "Forbidden: canaryTrafficPercent is only supported in Knative (Serverless) deployment mode, not Standard",
        ),
    ),
    (
        f"{P}.scaleMetric",
        "qps",
        FieldViolation(
            f"{P}.scaleMetric", "FieldValueNotSupported", 'Unsupported value: "qps": supported values: "cpu", "memory", "concurrency", "rps"'
        ),
    ),
    (f"{P}.scaleMetric", "cpu", FieldViolation(f"{P}.scaleMetric", "FieldValueInvalid", 'Invalid value: "cpu": [cpu] is not a supported metric')),
    (
        f"{P}.model.name",
        "fraud",
        FieldViolation(f"{P}.model.name", "FieldValueForbidden", "Forbidden: the 'name' field is not allowed in standard predictor"),
    ),
    (f"{P}.model.replicas", 2, FieldViolation(f"{P}.model.replicas", "FieldValueUnknown", 'unknown field "spec.predictor.model.replicas"')),
    (
        f"{P}.minReplicas",
        "1",
        FieldViolation(
            f"{P}.minReplicas",
            "FieldValueTypeInvalid",
            'Invalid value: "string": spec.predictor.minReplicas in body must be of type integer: "string"',
        ),
    ),
]


@pytest.mark.parametrize(("path", "value", "expected"), CASES, ids=[f"{c[0]}={c[1]!r}"[:60] for c in CASES])
def test_rule_violation_is_reported(path: str, value: Any, expected: FieldViolation) -> None:
    assert validate_object(changed(isvc(), path, value)) == [expected]


def test_unknown_deployment_mode_is_not_supported() -> None:
    found = validate_object(changed(changed(isvc(), MODE, "Raw"), f"{P}.canaryTrafficPercent", DELETE))
    assert found == [
        FieldViolation(
            MODE,
            "FieldValueNotSupported",
            'Unsupported value: "Raw": supported values: "Knative", "Serverless", "Standard", "RawDeployment", "ModelMesh"',
        )
    ]


def test_old_kubeflow_serving_group_is_an_unsupported_kind() -> None:
    [doc] = upstream("kserve_sklearn_old_group.yaml")
    [violation] = validate_object(_with_namespace(doc))
    assert (violation.field, violation.reason) == ("kind", "FieldValueNotSupported")
    assert '"serving.kubeflow.org/v1beta1 InferenceService"' in violation.message
    assert '"serving.kserve.io InferenceService"' in violation.message
