"""StructuralSchema on small hand-made schemas: one case per Kubernetes extension/keyword."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.conformance.structural import FieldViolation, StructuralSchema, crd_schemas


def _root(spec: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": spec,
        },
        **extra,
    }


SPEC = _root(
    {
        "type": "object",
        "required": ["replicas", "image"],
        "properties": {
            "replicas": {"type": "integer", "minimum": 0, "maximum": 10, "format": "int32"},
            "ratio": {"type": "number", "minimum": 0, "exclusiveMinimum": True, "maximum": 1, "exclusiveMaximum": True},
            "image": {"type": "string", "minLength": 1, "maxLength": 8},
            "name": {"type": "string", "pattern": "^[a-z]+$"},
            "metric": {"type": "string", "enum": ["cpu", "memory", "concurrency", "rps"]},
            "port": {"x-kubernetes-int-or-string": True, "anyOf": [{"type": "integer"}, {"type": "string"}]},
            "note": {"type": "string", "nullable": True},
            "mode": {"type": "string", "default": "auto"},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 2},
            "uniq": {"type": "array", "items": {"type": "integer"}, "uniqueItems": True},
            "set": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"},
            "ports": {
                "type": "array",
                "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["port", "protocol"],
                "items": {
                    "type": "object",
                    "properties": {
                        "port": {"type": "integer"},
                        "protocol": {"type": "string", "default": "TCP"},
                    },
                },
            },
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            "template": {"type": "object", "x-kubernetes-embedded-resource": True, "properties": {"spec": {"type": "object"}}},
            "raw": {
                "type": "object",
                "x-kubernetes-embedded-resource": True,
                "x-kubernetes-preserve-unknown-fields": True,
            },
            "start": {"type": "string", "format": "date-time"},
            "pair": {"type": "object", "oneOf": [{"required": ["a"]}, {"required": ["b"]}], "properties": {"a": {"type": "string"}, "b": {"type": "string"}}},
        },
    }
)

VALID: dict[str, Any] = {
    "apiVersion": "example.com/v1",
    "kind": "Thing",
    "metadata": {"name": "x", "anything": {"goes": True}},
    "spec": {
        "replicas": 3,
        "ratio": 0.5,
        "image": "img:1",
        "name": "abc",
        "metric": "rps",
        "port": "http",
        "note": None,
        "tags": ["a"],
        "uniq": [1, 2],
        "set": ["a", "b"],
        "ports": [{"port": 80}, {"port": 80, "protocol": "UDP"}],
        "labels": {"k": "v"},
        "free": {"anything": {"nested": [1, 2]}},
        "template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": {"a": "b"}}, "spec": {}},
        "raw": {"apiVersion": "batch/v1", "kind": "Job", "spec": {"whatever": 1}},
        "start": "2024-01-02T03:04:05Z",
        "pair": {"a": "x"},
    },
}

SCHEMA = StructuralSchema(SPEC)


def _with(path: str, value: Any) -> dict[str, Any]:
    import copy

    obj = copy.deepcopy(VALID)
    *parents, last = path.split(".")
    node: Any = obj
    for part in parents:
        node = node[part]
    if value is _DELETE:
        del node[last]
    else:
        node[last] = value
    return obj


class _Delete:
    def __repr__(self) -> str:
        return "<delete>"


_DELETE = _Delete()


def test_valid_object_passes_strict_and_lax() -> None:
    assert SCHEMA.validate(VALID) == []
    assert SCHEMA.validate(VALID, strict=True) == []


def test_int_or_string_accepts_integers_too() -> None:
    assert SCHEMA.validate(_with("spec.port", 8080), strict=True) == []


def test_float_with_integral_value_is_an_integer_for_kube() -> None:
    assert SCHEMA.validate(_with("spec.replicas", 3.0)) == []


def test_defaulted_required_field_may_be_missing() -> None:
    schema = StructuralSchema(_root({"type": "object", "required": ["mode"], "properties": {"mode": {"type": "string", "default": "a"}}}))
    assert schema.validate({"spec": {}}) == []


def test_non_nullable_null_is_dropped_like_kube_does() -> None:
    assert SCHEMA.validate(_with("spec.name", None), strict=True) == []


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("spec.replicas", _DELETE, FieldViolation("spec.replicas", "FieldValueRequired", "Required value")),
        (
            "spec.replicas",
            "three",
            FieldViolation(
                "spec.replicas",
                "FieldValueTypeInvalid",
                'Invalid value: "string": spec.replicas in body must be of type integer: "string"',
            ),
        ),
        (
            "spec.replicas",
            -1,
            FieldViolation(
                "spec.replicas",
                "FieldValueInvalid",
                "Invalid value: -1: spec.replicas in body should be greater than or equal to 0",
            ),
        ),
        (
            "spec.replicas",
            11,
            FieldViolation(
                "spec.replicas",
                "FieldValueInvalid",
                "Invalid value: 11: spec.replicas in body should be less than or equal to 10",
            ),
        ),
        (
            "spec.ratio",
            0,
            FieldViolation("spec.ratio", "FieldValueInvalid", "Invalid value: 0: spec.ratio in body should be greater than 0"),
        ),
        (
            "spec.ratio",
            1.0,
            FieldViolation("spec.ratio", "FieldValueInvalid", "Invalid value: 1: spec.ratio in body should be less than 1"),
        ),
        (
            "spec.image",
            "",
            FieldViolation(
                "spec.image", "FieldValueInvalid", 'Invalid value: "": spec.image in body should be at least 1 chars long'
            ),
        ),
        (
            "spec.image",
            "registry/image:tag",
            FieldViolation("spec.image", "FieldValueTooLong", "Too long: may not be more than 8 bytes"),
        ),
        (
            "spec.name",
            "ABC",
            FieldViolation("spec.name", "FieldValueInvalid", "Invalid value: \"ABC\": spec.name in body should match '^[a-z]+$'"),
        ),
        (
            "spec.metric",
            "qps",
            FieldViolation(
                "spec.metric",
                "FieldValueNotSupported",
                'Unsupported value: "qps": supported values: "cpu", "memory", "concurrency", "rps"',
            ),
        ),
        (
            "spec.port",
            True,
            FieldViolation(
                "spec.port",
                "FieldValueTypeInvalid",
                'Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"',
            ),
        ),
        (
            "spec.tags",
            [],
            FieldViolation("spec.tags", "FieldValueInvalid", "Invalid value: 0: spec.tags in body should have at least 1 items"),
        ),
        (
            "spec.tags",
            ["a", "b", "c"],
            FieldViolation("spec.tags", "FieldValueTooMany", "Too many: 3: must have at most 2 items"),
        ),
        (
            "spec.tags",
            ["a", None],
            FieldViolation(
                "spec.tags[1]", "FieldValueTypeInvalid", 'Invalid value: "null": spec.tags[1] in body must be of type string: "null"'
            ),
        ),
        (
            "spec.uniq",
            [1, 1],
            FieldViolation("spec.uniq", "FieldValueInvalid", 'Invalid value: "": spec.uniq in body shouldn\'t contain duplicates'),
        ),
        ("spec.set", ["a", "b", "a"], FieldViolation("spec.set[2]", "FieldValueDuplicate", 'Duplicate value: "a"')),
        (
            "spec.ports",
            [{"port": 80}, {"port": 80, "protocol": "TCP"}],
            FieldViolation(
                "spec.ports[1]",
                "FieldValueDuplicate",
                'Duplicate value: {"port":80,"protocol":"TCP"}',
            ),
        ),
        ("spec.ports", [{"protocol": "TCP"}], FieldViolation("spec.ports[0].port", "FieldValueRequired", "Required value")),
        (
            "spec.labels",
            {"k": 1},
            FieldViolation(
                "spec.labels.k", "FieldValueTypeInvalid", 'Invalid value: "integer": spec.labels.k in body must be of type string: "integer"'
            ),
        ),
        (
            "spec.template",
            {"kind": "Pod", "spec": {}},
            FieldViolation("spec.template.apiVersion", "FieldValueRequired", "Required value: must not be empty"),
        ),
        (
            "spec.raw",
            {"apiVersion": "a/b/c", "kind": "Job"},
            FieldViolation("spec.raw.apiVersion", "FieldValueInvalid", 'Invalid value: "a/b/c": unexpected GroupVersion string: a/b/c'),
        ),
        (
            "spec.start",
            "yesterday",
            FieldViolation(
                "spec.start",
                "FieldValueTypeInvalid",
                'Invalid value: "yesterday": spec.start in body must be of type date-time: "yesterday"',
            ),
        ),
        (
            "spec.pair",
            {"a": "x", "b": "y"},
            FieldViolation("spec.pair", "FieldValueInvalid", 'Invalid value: "": "spec.pair" must validate one and only one schema (oneOf)'),
        ),
    ],
)
def test_schema_rule_is_reported_like_kube(path: str, value: Any, expected: FieldViolation) -> None:
    assert SCHEMA.validate(_with(path, value)) == [expected]


def test_embedded_kind_must_look_like_a_kind() -> None:
    [violation] = SCHEMA.validate(_with("spec.raw", {"apiVersion": "v1", "kind": "My_Kind"}))
    assert violation.field == "spec.raw.kind"
    assert violation.message.startswith('Invalid value: "My_Kind": may have mixed case, but should otherwise match: a DNS-1035 label')


def test_missing_root_field_is_required() -> None:
    schema = StructuralSchema(_root({"type": "object"}, required=["spec", "status"]))
    assert schema.validate({"spec": {}}) == [FieldViolation("status", "FieldValueRequired", "Required value")]


def test_several_violations_are_all_reported() -> None:
    obj = _with("spec.replicas", -1)
    obj["spec"]["metric"] = "qps"
    assert {v.field for v in SCHEMA.validate(obj)} == {"spec.replicas", "spec.metric"}


UNKNOWN_CASES = [
    ("spec.extra", 1, ["spec.extra"]),
    ("spec.ports", [{"port": 1, "hostIP": "x"}], ["spec.ports[0].hostIP"]),
    ("spec.free", {"anything": 1}, []),
    ("spec.labels", {"any": "key"}, []),
    ("spec.template", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a", "bogus": 1}, "spec": {}, "x": 1}, ["spec.template.metadata.bogus", "spec.template.x"]),
    ("spec.raw", {"apiVersion": "v1", "kind": "Pod", "metadata": {"bogus": 1}}, []),
    ("spec.name", {"a": 1}, ["spec.name.a"]),
]


@pytest.mark.parametrize(("path", "value", "unknown"), UNKNOWN_CASES)
def test_unknown_fields_follow_kube_pruning(path: str, value: Any, unknown: list[str]) -> None:
    assert sorted(SCHEMA.unknown_fields(_with(path, value))) == unknown


def test_strict_reports_unknown_fields_and_lax_ignores_them() -> None:
    obj = _with("spec.extra", 1)
    assert SCHEMA.validate(obj) == []
    assert SCHEMA.validate(obj, strict=True) == [
        FieldViolation("spec.extra", "FieldValueUnknown", 'unknown field "spec.extra"')
    ]


def test_unknown_keys_under_root_metadata_are_left_to_kube() -> None:
    assert SCHEMA.unknown_fields(VALID) == []
    assert SCHEMA.validate(VALID, strict=True) == []


def test_prune_drops_unknown_fields_and_copies() -> None:
    obj = _with("spec.extra", {"deep": 1})
    obj["spec"]["ports"] = [{"port": 1, "junk": True}]
    pruned = SCHEMA.prune(obj)
    assert "extra" not in pruned["spec"]
    assert pruned["spec"]["ports"] == [{"port": 1}]
    assert pruned["spec"]["free"] == VALID["spec"]["free"]
    assert obj["spec"]["extra"] == {"deep": 1}  # input untouched
    pruned["spec"]["free"]["anything"]["nested"].append(3)
    assert obj["spec"]["free"]["anything"]["nested"] == [1, 2]


def test_schemaless_root_preserves_everything() -> None:
    schema = StructuralSchema({"type": "object", "x-kubernetes-preserve-unknown-fields": True})
    assert schema.validate({"spec": {"x": 1}}, strict=True) == []
    assert schema.unknown_fields({"spec": {"x": 1}}) == []


def test_crd_schemas_indexes_served_versions() -> None:
    crd = {
        "spec": {
            "versions": [
                {"name": "v1", "served": True, "schema": {"openAPIV3Schema": _root({"type": "object", "required": ["a"]})}},
                {"name": "v0", "served": False, "schema": {"openAPIV3Schema": _root({"type": "object"})}},
            ]
        }
    }
    schemas = crd_schemas(crd)
    assert list(schemas) == ["v1"]
    assert schemas["v1"].validate({"spec": {}}) == [FieldViolation("spec.a", "FieldValueRequired", "Required value")]


def test_root_metadata_constraints_from_the_crd_apply() -> None:
    schema = StructuralSchema(
        {"type": "object", "properties": {"metadata": {"type": "object", "properties": {"name": {"type": "string", "maxLength": 10}}}}}
    )
    assert schema.validate({"metadata": {"name": "a-very-long-name", "labels": {"x": "y"}}}, strict=True) == [
        FieldViolation("metadata.name", "FieldValueTooLong", "Too long: may not be more than 10 bytes")
    ]


def test_non_object_root_is_a_type_error() -> None:
    assert SCHEMA.validate([]) == [  # type: ignore[arg-type]
        FieldViolation("", "FieldValueTypeInvalid", 'Invalid value: "array":  in body must be of type object: "array"')
    ]
