"""Katib Experiment: OpenAPI schema, admission-webhook rules and the embedded trialSpec."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.conformance import FieldViolation, validate_object
from reconciler.conformance.katib_trial import is_meta_key
from tests.conformance.objects import DELETE, changed, experiment, upstream

TT = "spec.trialTemplate"
TS = f"{TT}.trialSpec"
C0 = f"{TS}.spec.template.spec.containers[0]"
KNOWN = "random, tpe, grid, hyperband, bayesianoptimization, cmaes, sobol, multivariate-tpe, enas, darts, pbt"


@pytest.mark.parametrize(
    "name",
    [
        "katib_random.yaml",
        "katib_grid.yaml",
        "katib_hyperband.yaml",
        "katib_file_metrics_collector.yaml",
        "katib_pytorchjob_mnist.yaml",
    ],
)
def test_upstream_examples_pass(name: str) -> None:
    [doc] = upstream(name)
    assert validate_object(doc) == []


def test_upstream_trainjob_example_is_rejected_for_its_dangling_trial_parameter() -> None:
    [doc] = upstream("katib_trainjob_pytorch.yaml")
    assert validate_object(doc) == [
        FieldViolation(
            f"{TT}.trialParameters[2].reference",
            "FieldValueInvalid",
            'Invalid value: "arg": parameter reference arg does not exist in spec.parameters: [lr momentum]',
        ),
        FieldViolation(
            f"{TT}.trialParameters[2].name",
            "FieldValueInvalid",
            'Invalid value: "arg": parameter name: arg in spec.trialParameters not found in spec.trialTemplate',
        ),
    ]


def test_trainjob_trial_passes_once_the_parameter_is_declared_and_used() -> None:
    [doc] = upstream("katib_trainjob_pytorch.yaml")
    doc = changed(doc, "spec.parameters[2]", {"name": "arg", "parameterType": "int", "feasibleSpace": {"min": "1", "max": "5"}})
    doc = changed(doc, f"{TS}.spec.trainer.numNodes", "${trialParameters.arg}")
    assert validate_object(doc) == []


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (f"{TS}.spec.backoffLimit", "${trialParameters.numberLayers}"),
        (f"{C0}.command[2]", "--batch-size=${trialParameters.numberLayers}"),
        ("spec.earlyStopping", {"algorithmName": "medianstop"}),
        ("spec.metricsCollectorSpec", {"collector": {"kind": "Push"}}),
        ("spec.metricsCollectorSpec", {"collector": {"kind": "None"}}),  # NoneCollector: the trial stores metrics itself
        ("spec.parameters[1].feasibleSpace.step", "1"),
        (f"{TT}.trialParameters[0].reference", "${trialSpec.Name}"),
    ],
)
def test_valid_variants_pass(path: str, value: Any) -> None:
    obj = changed(experiment(), path, value)
    if path.endswith("reference"):  # a meta reference replaces lr, so lr needs another user
        obj = changed(obj, f"{TT}.trialParameters[3]", {"name": "lr", "reference": "lr"})
        obj = changed(obj, f"{C0}.command[2]", "--batch-size=${trialParameters.lr}")
    assert validate_object(obj) == []


@pytest.mark.parametrize(
    ("reference", "meta"),
    [("${trialSpec.Name}", True), ("${trialSpec.Labels[team]}", True), ("${trialSpec.Owner}", False), ("lr", False)],
)
def test_meta_keys(reference: str, meta: bool) -> None:
    assert is_meta_key(reference) is meta


def _inv(field: str, value: str, detail: str) -> FieldViolation:
    return FieldViolation(field, "FieldValueInvalid", f"Invalid value: {value}: {detail}")


def _req(field: str, detail: str = "") -> FieldViolation:
    return FieldViolation(field, "FieldValueRequired", f"Required value: {detail}" if detail else "Required value")


CASES: list[tuple[str, Any, list[FieldViolation]]] = [
    (
        "metadata.name",
        "1random",
        [
            _inv(
                "metadata.name",
                '"1random"',
                "name must consist of lower case alphanumeric characters or '-', start with an alphabetic character, "
                "and end with an alphanumeric character (e.g. 'my-name', or 'abc-123', regex used for validation is "
                "'^[a-z]([-a-z0-9]*[a-z0-9])?)'",
            )
        ],
    ),
    ("metadata.name", "a" * 41, [_inv("metadata.name", '"' + "a" * 41 + '"', "must be no more than 40 characters")]),
    ("spec.objective.type", "max", [_inv("spec.objective.type", '"max"', "must be minimize or maximize")]),
    ("spec.objective.objectiveMetricName", DELETE, [_req("spec.objective.objectiveMetricName", "must be specified")]),
    (
        "spec.objective.additionalMetricNames",
        ["Validation-accuracy"],
        [
            _inv(
                "spec.objective.additionalMetricNames",
                '[]interface {}{"Validation-accuracy"}',
                "should not contain spec.objective.objectiveMetricName",
            )
        ],
    ),
    (
        "spec.algorithm.algorithmName",
        "bayes",
        [
            _inv(
                "spec.algorithm.algorithmName",
                '"bayes"',
                "unable to get Suggestion config data for algorithm bayes: failed to find algorithm 'bayes' config in "
                f"ConfigMap: katib-config (known: {KNOWN})",
            )
        ],
    ),
    ("spec.parallelTrialCount", 0, [_inv("spec.parallelTrialCount", "0", "must be greater than 0")]),
    ("spec.maxFailedTrialCount", -1, [_inv("spec.maxFailedTrialCount", "-1", "should not be less than 0")]),
    ("spec.maxFailedTrialCount", 13, [_inv("spec.maxFailedTrialCount", "13", "should be less than or equal to spec.maxTrialCount")]),
    ("spec.parallelTrialCount", 13, [_inv("spec.parallelTrialCount", "13", "should be less than or equal to spec.maxTrialCount")]),
    ("spec.parameters", DELETE, [_req("spec", "spec.parameters or spec.nasConfig must be specified")]),
    ("spec.nasConfig", {"graphConfig": {"numLayers": 8}}, [_inv("spec", '""', "only one of spec.parameters and spec.nasConfig can be specified")]),
    ("spec.parameters[0].parameterType", "float", [_inv("spec.parameters[0].parameterType", '"float"', "parameterType: float is not supported")]),
    (
        "spec.parameters[0].feasibleSpace",
        {"min": "0.01"},
        [_req("spec.parameters[0].feasibleSpace.max", "feasibleSpace.max or feasibleSpace.min must be specified for parameterType: double")],
    ),
    (
        "spec.parameters[0].feasibleSpace.list",
        ["0.1"],
        [_inv("spec.parameters[0].feasibleSpace.list", '[]interface {}{"0.1"}', "feasibleSpace.list is not supported for parameterType: double")],
    ),
    (
        "spec.parameters[0].feasibleSpace.min",
        "abc",
        [_inv("spec.parameters[0].feasibleSpace.min", '"abc"', "must be a string holding a number for parameterType: double")],
    ),
    (
        "spec.parameters[0].feasibleSpace.min",
        "0.5",
        [_inv("spec.parameters[0].feasibleSpace.min", '"0.5"', "must be less than or equal to feasibleSpace.max (0.03)")],
    ),
    (
        "spec.parameters[1].feasibleSpace.min",
        "2.5",
        [_inv("spec.parameters[1].feasibleSpace.min", '"2.5"', "must be a string holding an integer for parameterType: int")],
    ),
    (
        "spec.parameters[2].feasibleSpace.min",
        "1",
        [_inv("spec.parameters[2].feasibleSpace", '""', "feasibleSpace .max, .min and .step is not supported for parameterType: categorical")],
    ),
    ("spec.parameters[2].feasibleSpace", {}, [_req("spec.parameters[2].feasibleSpace", "feasibleSpace must be specified")]),
    (
        "spec.parameters[0].feasibleSpace.distribution",
        "gaussian",
        [_inv("spec.parameters[0].feasibleSpace.distribution", '"gaussian"', "distribution: gaussian is not supported")],
    ),
    (f"{TT}.primaryContainerName", DELETE, [_req(f"{TT}.primaryContainerName", "must be specified")]),
    (
        f"{TT}.primaryContainerName",
        "trainer",
        [_inv(f"{TT}.primaryContainerName", '"trainer"', "no container named trainer in spec.trialTemplate.trialSpec (containers: training-container)")],
    ),
    (
        f"{TT}.configMap",
        {"configMapName": "tpl", "configMapNamespace": "kubeflow", "templatePath": "job.yaml"},
        [_req(TT, "only one of spec.trialTemplate.trialSpec or spec.trialTemplate.configMap can be specified")],
    ),
    (
        f"{TS}.metadata",
        {"name": "trial"},
        [_inv(TT, '""', "metadata.name and metadata.namespace in spec.trialTemplate must be omitted")],
    ),
    (
        f"{TS}.kind",
        "Deployment",
        [
            _req(TT, "successCondition and failureCondition must be specified"),
            FieldViolation(
                f"{TS}.kind",
                "FieldValueForbidden",
                "Forbidden: trial kind Deployment (batch/v1) is not in katib-config trialResources: Job.v1.batch, "
                "TFJob.v1.kubeflow.org, PyTorchJob.v1.kubeflow.org, MPIJob.v1.kubeflow.org, XGBoostJob.v1.kubeflow.org, "
                "TrainJob.v1alpha1.trainer.kubeflow.org",
            ),
        ],
    ),
    (
        f"{TT}.trialParameters[0].reference",
        "learning-rate",
        [
            _inv(
                f"{TT}.trialParameters[0].reference",
                '"learning-rate"',
                "parameter reference learning-rate does not exist in spec.parameters: [lr num-layers optimizer]",
            )
        ],
    ),
    (
        f"{TT}.trialParameters[1].name",
        "learningRate",
        [
            _inv(
                f"{TT}.trialParameters[1].name",
                '"learningRate"',
                "parameter name learningRate can't be duplicated in spec.trialTemplate.trialParameters",
            ),
            _inv(TT, '""', "parameters: [${trialParameters.numberLayers}] in spec.trialTemplate not found in spec.trialParameters"),
        ],
    ),
    (
        f"{C0}.command[3]",
        "--lr=${trialParameters.lr}",
        [
            _inv(
                f"{TT}.trialParameters[0].name",
                '"learningRate"',
                "parameter name: learningRate in spec.trialParameters not found in spec.trialTemplate",
            ),
            _inv(TT, '""', "parameters: [${trialParameters.lr}] in spec.trialTemplate not found in spec.trialParameters"),
        ],
    ),
    (f"{C0}.image", DELETE, [_req(f"{C0}.image")]),
    (
        f"{C0}.imagePullPolicy",
        "Sometimes",
        [
            FieldViolation(
                f"{C0}.imagePullPolicy",
                "FieldValueNotSupported",
                'Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"',
            )
        ],
    ),
    (f"{C0}.cpu", 1, [FieldViolation(f"{C0}.cpu", "FieldValueUnknown", f'unknown field "{C0}.cpu"')]),
    (
        f"{TS}.spec.backoffLimit",
        "three",
        [
            FieldViolation(
                f"{TS}.spec.backoffLimit",
                "FieldValueTypeInvalid",
                f'Invalid value: "string": {TS}.spec.backoffLimit in body must be of type integer: "string"',
            )
        ],
    ),
    (
        "spec.metricsCollectorSpec",
        {"collector": {"kind": "Prometheus"}},
        [_inv("spec.metricsCollectorSpec.collector.kind", '"Prometheus"', "invalid metrics collector kind: Prometheus")],
    ),
    (
        "spec.metricsCollectorSpec",
        {"collector": {"kind": "File"}, "source": {"fileSystemPath": {"path": "metrics.log", "kind": "File"}}},
        [_req("spec.metricsCollectorSpec.source.fileSystemPath.path", "file path where metrics file exists is required")],
    ),
    (
        "spec.metricsCollectorSpec",
        {
            "collector": {"kind": "File"},
            "source": {"fileSystemPath": {"path": "/m.json", "kind": "File", "format": "JSON"}, "filter": {"metricsFormat": [r"(\w+)=(\d+)"]}},
        },
        [_inv("spec.metricsCollectorSpec.source.filter", '""', "filter must be nil when format of metrics file is json")],
    ),
    (
        "spec.metricsCollectorSpec",
        {"source": {"filter": {"metricsFormat": [r"(\w+)"]}}},
        [_inv("spec.metricsCollectorSpec.source.filter.metricsFormat", '"(\\\\w+)"', "two top subexpressions are required")],
    ),
    (
        "spec.metricsCollectorSpec",
        {"collector": {"kind": "Custom"}},
        [_req("spec.metricsCollectorSpec.collector.customCollector", "metrics collector kind: Custom is required")],
    ),
    ("spec.resumePolicy", "Always", [_inv("spec.resumePolicy", '"Always"', "invalid ResumePolicyType")]),
    (
        "spec.objective.goal",
        "high",
        [
            FieldViolation(
                "spec.objective.goal",
                "FieldValueTypeInvalid",
                'Invalid value: "string": spec.objective.goal in body must be of type number: "string"',
            )
        ],
    ),
    ("spec.maxTrials", 12, [FieldViolation("spec.maxTrials", "FieldValueUnknown", 'unknown field "spec.maxTrials"')]),
]


@pytest.mark.parametrize(("path", "value", "expected"), CASES, ids=[f"{c[0]}={c[1]!r}"[:60] for c in CASES])
def test_rule_violation_is_reported(path: str, value: Any, expected: list[FieldViolation]) -> None:
    assert validate_object(changed(experiment(), path, value)) == expected


def test_pytorchjob_trial_spec_is_checked_against_the_pytorchjob_crd() -> None:
    [doc] = upstream("katib_pytorchjob_mnist.yaml")
    master = f"{TS}.spec.pytorchReplicaSpecs.Master"
    assert validate_object(changed(doc, f"{master}.replicas", "${trialParameters.momentum}")) == []
    assert validate_object(changed(doc, f"{master}.replicas", "one")) == [
        FieldViolation(
            f"{master}.replicas",
            "FieldValueTypeInvalid",
            f'Invalid value: "string": {master}.replicas in body must be of type integer: "string"',
        )
    ]


def test_trial_spec_without_api_version_is_required() -> None:
    found = validate_object(changed(experiment(), f"{TS}.apiVersion", DELETE))
    assert _req(TT, "APIVersion and Kind in spec.trialTemplate must be specified") in found
