"""KFP Pipeline / PipelineVersion (CRDs + IR webhook) and ScheduledWorkflow (Go types + cron)."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.conformance import FieldViolation, validate_object
from reconciler.spec.robfig_cron import cron_error
from tests.conformance.objects import DELETE, changed, pipeline, pipeline_version, swf, upstream

IR = "spec.pipelineSpec"
BAD_SPEC = "The pipeline spec is invalid: "


def test_upstream_hello_world_pipeline_and_version_pass() -> None:
    assert [validate_object(doc) for doc in upstream("kfp_hello_world.yaml")] == [[], []]


PIPELINE_VERSION_CASES: list[tuple[str, Any, FieldViolation]] = [
    (
        f"{IR}.pipelineInfo.name",
        "",
        FieldViolation(f"{IR}.pipelineInfo.name", "FieldValueInvalid", f'Invalid value: "": {BAD_SPEC}invalid v2 pipeline spec: name is empty'),
    ),
    (
        f"{IR}.pipelineInfo.name",
        "Hello_World",
        FieldViolation(
            f"{IR}.pipelineInfo.name",
            "FieldValueInvalid",
            'Invalid value: "Hello_World": pipeline\'s name must contain only lowercase alphanumeric characters or \'-\' '
            "and must start with alphanumeric characters",
        ),
    ),
    (
        f"{IR}.root",
        DELETE,
        FieldViolation(f"{IR}.root", "FieldValueRequired", f"Required value: {BAD_SPEC}invalid v2 pipeline spec: root component is empty"),
    ),
    (
        f"{IR}.pipelineRoot",
        "s3://bucket",
        FieldViolation(
            IR,
            "FieldValueInvalid",
            f'Invalid value: "": {BAD_SPEC}Message type "ml_pipelines.PipelineSpec" has no field named "pipelineRoot" at "PipelineSpec".',
        ),
    ),
    (
        f"{IR}.schemaVersion",
        2,
        FieldViolation(
            IR,
            "FieldValueInvalid",
            f"Invalid value: \"\": {BAD_SPEC}Failed to parse schemaVersion field: expected string or bytes-like object, got 'int'.",
        ),
    ),
    (IR, DELETE, FieldViolation(IR, "FieldValueRequired", "Required value")),
    (
        "spec.versionName",
        "V1_final",
        FieldViolation(
            "spec.versionName",
            "FieldValueInvalid",
            "Invalid value: \"V1_final\": spec.versionName in body should match '^[a-z0-9]([a-z0-9\\.\\-]*[a-z0-9])?$'",
        ),
    ),
    (
        "spec.pipelineName",
        DELETE,
        FieldViolation("spec.pipelineName", "FieldValueRequired", "Required value: The spec.pipelineName doesn't map to an existing Pipeline object"),
    ),
    ("spec.pipelineRef", "hello-world", FieldViolation("spec.pipelineRef", "FieldValueUnknown", 'unknown field "spec.pipelineRef"')),
]


@pytest.mark.parametrize(("path", "value", "expected"), PIPELINE_VERSION_CASES, ids=[c[0] for c in PIPELINE_VERSION_CASES])
def test_pipeline_version_rule(path: str, value: Any, expected: FieldViolation) -> None:
    assert validate_object(changed(pipeline_version(), path, value)) == [expected]


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (
            "spec.tags",
            {"team": 3},
            FieldViolation("spec.tags.team", "FieldValueTypeInvalid", 'Invalid value: "integer": spec.tags.team in body must be of type string: "integer"'),
        ),
        ("spec.owner", "alice", FieldViolation("spec.owner", "FieldValueUnknown", 'unknown field "spec.owner"')),
    ],
)
def test_pipeline_rule(path: str, value: Any, expected: FieldViolation) -> None:
    assert validate_object(changed(pipeline(), path, value)) == [expected]


def test_scheduled_workflow_in_pipeline_reference_mode_passes() -> None:
    assert validate_object(swf()) == []


@pytest.mark.parametrize("name", ["swf_every_minute_cron.yaml", "swf_parameterized.yaml"])
def test_upstream_samples_lack_status_and_carry_a_field_the_go_types_drop(name: str) -> None:
    [doc] = upstream(name)
    doc = changed(doc, "metadata.namespace", "kubeflow")
    assert validate_object(doc) == [
        FieldViolation("status", "FieldValueRequired", "Required value"),
        FieldViolation("spec.description", "FieldValueUnknown", 'unknown field "spec.description"'),
    ]
    assert validate_object(changed(changed(doc, "status", {}), "spec.description", DELETE)) == []


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("spec.trigger", {"periodicSchedule": {"intervalSecond": 3600}}),
        ("spec.trigger", {}),
        ("spec.trigger.cronSchedule.cron", "@every 1h30m"),
        ("spec.trigger.cronSchedule.cron", "0 0 9 ? * 2-6"),
        ("spec.trigger.cronSchedule.cron", "0 0 2 * *"),
        ("spec.workflow.parameters[0].value", "[[Index]]"),
        ("spec.workflow.parameters[1].value", '"run-[[ScheduledTime.2006-01-02]]"'),
    ],
)
def test_scheduled_workflow_valid_variants(path: str, value: Any) -> None:
    assert validate_object(changed(swf(), path, value)) == []


def _cron_error(cron: str, err: str) -> FieldViolation:
    return FieldViolation(
        "spec.trigger.cronSchedule.cron",
        "FieldValueInvalid",
        f'Invalid value: "{cron}": invalid cron schedule (robfig/cron, seconds first): {err}',
    )


SWF_CASES: list[tuple[str, Any, FieldViolation]] = [
    ("status", DELETE, FieldViolation("status", "FieldValueRequired", "Required value")),
    (
        "spec.maxConcurrency",
        11,
        FieldViolation("spec.maxConcurrency", "FieldValueInvalid", "Invalid value: 11: spec.maxConcurrency in body should be less than or equal to 10"),
    ),
    (
        "spec.maxConcurrency",
        0,
        FieldViolation("spec.maxConcurrency", "FieldValueInvalid", "Invalid value: 0: spec.maxConcurrency in body should be greater than or equal to 1"),
    ),
    (
        "spec.maxHistory",
        101,
        FieldViolation("spec.maxHistory", "FieldValueInvalid", "Invalid value: 101: spec.maxHistory in body should be less than or equal to 100"),
    ),
    (
        "spec.trigger",
        {"periodicSchedule": {"intervalSecond": 0}},
        FieldViolation(
            "spec.trigger.periodicSchedule.intervalSecond",
            "FieldValueInvalid",
            "Invalid value: 0: spec.trigger.periodicSchedule.intervalSecond in body should be greater than or equal to 1",
        ),
    ),
    (
        "spec.trigger.periodicSchedule",
        {"intervalSecond": 60},
        FieldViolation(
            "spec.trigger",
            "FieldValueForbidden",
            "Forbidden: only one of cronSchedule and periodicSchedule may be set (the controller ignores periodicSchedule)",
        ),
    ),
    ("spec.trigger.cronSchedule.cron", "0 2 * * * * *", _cron_error("0 2 * * * * *", "Expected 5 to 6 fields, found 7: 0 2 * * * * *")),
    ("spec.trigger.cronSchedule.cron", "0 61 * * * *", _cron_error("0 61 * * * *", "End of range (61) above maximum (59): 61")),
    ("spec.trigger.cronSchedule.cron", "@nightly", _cron_error("@nightly", "Unrecognized descriptor: @nightly")),
    (
        "spec.trigger.cronSchedule.startTime",
        "2026-01-01",
        FieldViolation(
            "spec.trigger.cronSchedule.startTime",
            "FieldValueTypeInvalid",
            'Invalid value: "2026-01-01": spec.trigger.cronSchedule.startTime in body must be of type date-time: "2026-01-01"',
        ),
    ),
    (
        "spec.trigger.cronSchedule.endTime",
        "2025-12-31T23:00:00+01:00",
        FieldViolation("spec.trigger.cronSchedule.endTime", "FieldValueInvalid", 'Invalid value: "2025-12-31T23:00:00+01:00": must be later than startTime'),
    ),
    (
        "spec.workflow.parameters[1].value",
        "eu",
        FieldViolation(
            "spec.workflow.parameters[1].value",
            "FieldValueInvalid",
            'Invalid value: "eu": must be valid JSON (the controller parses parameter values as JSON; quote strings): Expecting value',
        ),
    ),
    (
        "spec.enabled",
        "yes",
        FieldViolation("spec.enabled", "FieldValueTypeInvalid", 'Invalid value: "string": spec.enabled in body must be of type boolean: "string"'),
    ),
    (
        "spec.pipelineId",
        42,
        FieldViolation("spec.pipelineId", "FieldValueTypeInvalid", 'Invalid value: "integer": spec.pipelineId in body must be of type string: "integer"'),
    ),
    ("spec.catchUp", True, FieldViolation("spec.catchUp", "FieldValueUnknown", 'unknown field "spec.catchUp"')),
]


@pytest.mark.parametrize(("path", "value", "expected"), SWF_CASES, ids=[f"{c[0]}={c[1]!r}"[:60] for c in SWF_CASES])
def test_scheduled_workflow_rule(path: str, value: Any, expected: FieldViolation) -> None:
    assert validate_object(changed(swf(), path, value)) == [expected]


def test_legacy_inline_workflow_parameters_are_plain_strings() -> None:
    obj = changed(swf(), "spec.workflow", {"parameters": [{"name": "m", "value": "hello"}], "spec": {"entrypoint": "main"}})
    assert validate_object(obj) == []


@pytest.mark.parametrize(
    ("cron", "error"),
    [
        ("1 * * * * *", None),
        ("1-10 * * * * *", None),
        ("*/15 * * * * MON-FRI", None),
        ("0 30 9 1,15 JAN-jun ?", None),
        ("0 0 0 0 * *", "Beginning of range (0) below minimum (1): 0"),
        ("0 0 25 * * *", "End of range (25) above maximum (23): 25"),
        ("0 0 5-2 * * *", "Beginning of range (5) beyond end of range (2): 5-2"),
        ("0 0 */0 * * *", "Step of range should be a positive number: */0"),
        ("0 0 1-2-3 * * *", "Too many hyphens: 1-2-3"),
        ("0 x * * * *", 'Failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'),
        ("* * * *", "Expected 5 to 6 fields, found 4: * * * *"),
        ("@hourly", None),
        ("@every 90s", None),
    ],
)
def test_robfig_cron_parser(cron: str, error: str | None) -> None:
    assert cron_error(cron) == error
