"""validate_object: dispatch, metadata rules, core kinds and the plain-CRD kinds."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from reconciler.conformance import FieldViolation, validate_object
from tests.conformance.objects import ALL_VALID, DELETE, changed, namespace, notebook, profile, pvc, pytorchjob, trainjob

SUBDOMAIN = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and "
    "end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
LABEL = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with "
    "an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
QNAME = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character "
    "(e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)


@pytest.mark.parametrize("kind", sorted(ALL_VALID))
def test_valid_object_of_each_kind_passes(kind: str) -> None:
    assert validate_object(ALL_VALID[kind]()) == []


Make = Callable[[], dict[str, Any]]

CASES: list[tuple[Make, str, Any, FieldViolation]] = [
    (notebook, "metadata.name", DELETE, FieldViolation("metadata.name", "FieldValueRequired", "Required value: name or generateName is required")),
    (notebook, "metadata.name", "Analytics", FieldViolation("metadata.name", "FieldValueInvalid", f'Invalid value: "Analytics": {SUBDOMAIN}')),
    (notebook, "metadata.namespace", DELETE, FieldViolation("metadata.namespace", "FieldValueRequired", "Required value")),
    (notebook, "metadata.namespace", "ML_prod", FieldViolation("metadata.namespace", "FieldValueInvalid", f'Invalid value: "ML_prod": {LABEL}')),
    (
        notebook,
        "metadata.labels",
        {"app.kubernetes.io/part-of": "x" * 64},
        FieldViolation("metadata.labels", "FieldValueInvalid", f'Invalid value: "{"x" * 64}": must be no more than 63 characters'),
    ),
    (
        notebook,
        "metadata.labels",
        {"team": "fraud detection"},
        FieldViolation(
            "metadata.labels",
            "FieldValueInvalid",
            'Invalid value: "fraud detection": a valid label must be an empty string or consist of alphanumeric characters, '
            "'-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or "
            "'12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
        ),
    ),
    (  # a trailing newline: Go's '$' is the end of the text, Python's would also match before the newline
        notebook,
        "metadata.labels",
        {"team": "fraud\n"},
        FieldViolation(
            "metadata.labels",
            "FieldValueInvalid",
            'Invalid value: "fraud\\n": a valid label must be an empty string or consist of alphanumeric characters, '
            "'-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or "
            "'12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
        ),
    ),
    (notebook, "metadata.labels", {"bad key!": "v"}, FieldViolation("metadata.labels", "FieldValueInvalid", f'Invalid value: "bad key!": name part {QNAME}')),
    (
        notebook,
        "metadata.annotations",
        {"Example.com/Owner": "x", "a/b/c": "v"},
        FieldViolation(
            "metadata.annotations",
            "FieldValueInvalid",
            f'Invalid value: "a/b/c": a qualified name {QNAME} with an optional DNS subdomain prefix and \'/\' (e.g. \'example.com/MyName\')',
        ),
    ),
    (
        notebook,
        "metadata.annotations",
        {"notebooks.kubeflow.org/http-headers-request-set": "x" * (256 * 1024)},
        FieldViolation("metadata.annotations", "FieldValueTooLong", "Too long: may not be more than 262144 bytes"),
    ),
    (
        notebook,
        "spec.template.spec.containers",
        [],
        FieldViolation(
            "spec.template.spec.containers", "FieldValueInvalid", "Invalid value: 0: spec.template.spec.containers in body should have at least 1 items"
        ),
    ),
    (notebook, "spec.template.spec.containers[0].image", DELETE, FieldViolation("spec.template.spec.containers[0].image", "FieldValueRequired", "Required value")),
    (
        notebook,
        "spec.template.metadata",
        {"labels": {"a": "b"}},
        FieldViolation("spec.template.metadata", "FieldValueUnknown", 'unknown field "spec.template.metadata"'),
    ),
    (
        notebook,
        "spec.template.spec.containers[0].resources.requests.cpu",
        True,
        FieldViolation(
            "spec.template.spec.containers[0].resources.requests.cpu",
            "FieldValueTypeInvalid",
            'Invalid value: "boolean": spec.template.spec.containers[0].resources.requests.cpu in body must be of type integer,string: "boolean"',
        ),
    ),
    (
        notebook,
        "spec.template.spec.containers[0].ports",
        [{"containerPort": 8888}, {"containerPort": 8888, "protocol": "TCP"}],
        FieldViolation(
            "spec.template.spec.containers[0].ports[1]",
            "FieldValueDuplicate",
            'Duplicate value: {"containerPort":8888,"protocol":"TCP"}',
        ),
    ),
    (pvc, "spec.accessModes", [], FieldViolation("spec.accessModes", "FieldValueRequired", "Required value: at least 1 access mode is required")),
    (
        pvc,
        "spec.accessModes",
        ["ReadWriteSometimes"],
        FieldViolation(
            "spec.accessModes",
            "FieldValueNotSupported",
            'Unsupported value: "ReadWriteSometimes": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"',
        ),
    ),
    (
        pvc,
        "spec.resources.requests.storage",
        "10 GB",
        FieldViolation(
            "spec.resources[storage]",
            "FieldValueInvalid",
            "Invalid value: \"10 GB\": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
        ),
    ),
    (pvc, "spec.resources.requests.storage", "0", FieldViolation("spec.resources[storage]", "FieldValueInvalid", 'Invalid value: "0": must be greater than zero')),
    (pvc, "spec.resources", DELETE, FieldViolation("spec.resources[storage]", "FieldValueRequired", "Required value")),
    (pvc, "spec.storageClass", "fast", FieldViolation("spec.storageClass", "FieldValueUnknown", 'unknown field "spec.storageClass"')),
    (namespace, "metadata.name", "ml.prod", FieldViolation("metadata.name", "FieldValueInvalid", 'Invalid value: "ml.prod": must not contain dots')),
    (namespace, "metadata.name", "ML.prod", FieldViolation("metadata.name", "FieldValueInvalid", f'Invalid value: "ML.prod": {LABEL}')),
    (namespace, "metadata.namespace", "default", FieldViolation("metadata.namespace", "FieldValueForbidden", "Forbidden: not allowed on this type")),
    (profile, "metadata.name", "team.fraud", FieldViolation("metadata.name", "FieldValueInvalid", f'Invalid value: "team.fraud": {LABEL}')),
    (profile, "metadata.namespace", "kubeflow", FieldViolation("metadata.namespace", "FieldValueForbidden", "Forbidden: not allowed on this type")),
    (profile, "spec.owner", {"kind": "User"}, FieldViolation("spec.owner.name", "FieldValueRequired", "Required value")),
    (
        pytorchjob,
        "spec.pytorchReplicaSpecs.Master.replicas",
        "one",
        FieldViolation(
            "spec.pytorchReplicaSpecs.Master.replicas",
            "FieldValueTypeInvalid",
            'Invalid value: "string": spec.pytorchReplicaSpecs.Master.replicas in body must be of type integer: "string"',
        ),
    ),
    (pytorchjob, "spec.pytorchReplicaSpecs", DELETE, FieldViolation("spec.pytorchReplicaSpecs", "FieldValueRequired", "Required value")),
    (trainjob, "spec.runtimeRef", DELETE, FieldViolation("spec.runtimeRef", "FieldValueRequired", "Required value")),
    (
        trainjob,
        "spec.trainer.numNodes",
        -1,
        FieldViolation("spec.trainer.numNodes", "FieldValueInvalid", "Invalid value: -1: spec.trainer.numNodes in body should be greater than or equal to 0"),
    ),
    (trainjob, "spec.trainer.nodes", 2, FieldViolation("spec.trainer.nodes", "FieldValueUnknown", 'unknown field "spec.trainer.nodes"')),
]


@pytest.mark.parametrize(("make", "path", "value", "expected"), CASES, ids=[f"{c[0].__name__}:{c[1]}" for c in CASES])
def test_rule_violation_is_reported(make: Make, path: str, value: Any, expected: FieldViolation) -> None:
    assert validate_object(changed(make(), path, value)) == [expected]


def test_null_in_an_optional_field_is_dropped_like_the_apiserver_does() -> None:
    assert validate_object(changed(notebook(), "spec.template.spec.serviceAccountName", None)) == []


def test_missing_api_version_or_kind() -> None:
    assert validate_object({"kind": "Notebook"}) == [FieldViolation("apiVersion", "FieldValueRequired", "Required value: must not be empty")]
    assert validate_object({"apiVersion": "v1"}) == [FieldViolation("kind", "FieldValueRequired", "Required value: must not be empty")]


def test_kind_without_schema_is_reported_on_kind() -> None:
    [violation] = validate_object({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"}})
    assert violation.field == "kind"
    assert violation.reason == "FieldValueNotSupported"
    assert violation.message.startswith('Unsupported value (no schema for this kind): "apps/v1 Deployment": supported values: "v1 Namespace"')
    assert '"kubeflow.org Notebook"' in violation.message


def test_unserved_version_lists_the_served_ones() -> None:
    assert validate_object(changed(notebook(), "apiVersion", "kubeflow.org/v2")) == [
        FieldViolation(
            "apiVersion",
            "FieldValueNotSupported",
            'Unsupported value: "kubeflow.org/v2": supported values: "kubeflow.org/v1", "kubeflow.org/v1alpha1", "kubeflow.org/v1beta1"',
        )
    ]


def test_older_served_notebook_version_uses_its_own_schema() -> None:
    assert validate_object(changed(notebook(), "apiVersion", "kubeflow.org/v1beta1")) == []


def test_unquoted_yaml_timestamps_are_checked_as_the_json_a_client_sends() -> None:
    import datetime as dt

    from tests.conformance.objects import swf

    path = "spec.trigger.cronSchedule.startTime"
    assert validate_object(changed(swf(), path, dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))) == []
    assert validate_object(changed(swf(), path, dt.date(2026, 1, 1))) == [
        FieldViolation(path, "FieldValueTypeInvalid", f'Invalid value: "2026-01-01": {path} in body must be of type date-time: "2026-01-01"')
    ]
