"""Pure building blocks of the spec: quantities, durations, cron, merge, globs, paths, images."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from reconciler.spec.checks.policy import normalise_image
from reconciler.spec.cron import CronError, parse_cron
from reconciler.spec.merge import deep_merge
from reconciler.quantity import quantity_value
from reconciler.spec.models.base import Gpu, Resources
from reconciler.spec.models.schedule import Trigger
from reconciler.spec.sources import MemorySource, SourceFileError, check_relative, glob


@pytest.mark.parametrize(("given", "stored"), [(2, "2"), (0.5, "0.5"), ("500m", "500m"), ("4Gi", "4Gi"), ("1e3", "1e3")])
def test_quantities_accept_numbers_and_suffixes(given: Any, stored: str) -> None:
    assert Resources(cpu=given).cpu == stored


@pytest.mark.parametrize("bad", ["two", "4 gigs", "-1", "1.2.3", True, "4GiB"])
def test_quantities_refuse_what_kubernetes_refuses(bad: Any) -> None:
    with pytest.raises(ValidationError):
        Resources(cpu=bad)


@pytest.mark.parametrize(("text", "value"), [("500m", 0.5), ("2", 2.0), ("1Gi", 2.0**30), ("1k", 1000.0), ("1e3", 1000.0)])
def test_quantity_value(text: str, value: float) -> None:
    assert quantity_value(text) == pytest.approx(value)


def test_gpu_count_shorthand_and_vendor() -> None:
    assert Resources.model_validate({"gpu": 2}).gpu == Gpu(count=2, resource="nvidia.com/gpu")
    assert Resources.model_validate({"gpu": {"count": 1, "resource": "amd.com/gpu"}}).gpu.resource == "amd.com/gpu"


@pytest.mark.parametrize(("given", "seconds"), [("90s", 90), ("15m", 900), ("6h", 21600), ("1d12h", 129600), (3600, 3600), ("PT1H", 3600)])
def test_interval_durations(given: Any, seconds: int) -> None:
    assert Trigger.model_validate({"interval": given}).interval == timedelta(seconds=seconds)


def test_trigger_needs_exactly_one_kind() -> None:
    with pytest.raises(ValidationError, match="exactly one"):
        Trigger.model_validate({"interval": "1h", "cron": "0 * * * *"})
    with pytest.raises(ValidationError, match="exactly one"):
        Trigger.model_validate({})


@pytest.mark.parametrize(
    ("expression", "kfp", "first_fire"),
    [
        ("0 2 * * *", "0 0 2 * * *", datetime(2026, 1, 1, 2, 0, tzinfo=UTC)),
        ("*/15 * * * *", "0 */15 * * * *", datetime(2026, 1, 1, 0, 15, tzinfo=UTC)),
        ("30 0 9 * * 1-5", "30 0 9 * * 1-5", datetime(2026, 1, 1, 9, 0, 30, tzinfo=UTC)),
        ("0 0 9 ? * 2-6", "0 0 9 ? * 2-6", datetime(2026, 1, 1, 9, 0, tzinfo=UTC)),
        ("@daily", "@daily", datetime(2026, 1, 2, 0, 0, tzinfo=UTC)),
    ],
)
def test_cron_five_fields_are_unix_and_six_fields_are_kfp(expression: str, kfp: str, first_fire: datetime) -> None:
    cron = parse_cron(expression)
    assert cron.kfp == kfp
    assert cron.next_times(datetime(2026, 1, 1, tzinfo=UTC), 1) == [first_fire]


@pytest.mark.parametrize(("expression", "says"), [
    ("0 2 * *", "has 4 fields"), ("61 * * * *", "not a valid 5-field cron"),
    ("0 0 25 * * *", "not a valid 6-field KFP cron"), ("@fortnightly", "unknown cron descriptor"),
    ("1 2 3 4 5 6 7", "has 7 fields"),
])
def test_cron_errors_say_which_form_was_read(expression: str, says: str) -> None:
    with pytest.raises(CronError, match=says):
        parse_cron(expression)


@pytest.mark.parametrize(("base", "override", "merged"), [
    ({"a": 1, "b": {"c": 2, "d": 3}}, {"b": {"c": 9}}, {"a": 1, "b": {"c": 9, "d": 3}}),
    ({"a": [1, 2]}, {"a": [3]}, {"a": [3]}),
    ({"a": 1, "b": 2}, {"b": None}, {"a": 1}),
    ({"a": {"x": 1}}, {"a": 5}, {"a": 5}),
    ({}, {"new": {"k": "v"}}, {"new": {"k": "v"}}),
])
def test_deep_merge(base: dict[str, Any], override: dict[str, Any], merged: dict[str, Any]) -> None:
    assert deep_merge(base, override) == merged


def test_deep_merge_leaves_inputs_untouched() -> None:
    base = {"a": {"b": 1}}
    deep_merge(base, {"a": {"b": 2}})
    assert base == {"a": {"b": 1}}


@pytest.mark.parametrize(("pattern", "found"), [
    ("components/**/*.yaml", ["components/a.yaml", "components/x/b.yaml", "components/x/y/c.yaml"]),
    ("components/*.yaml", ["components/a.yaml"]),
    ("environments/*.yaml", ["environments/dev.yaml"]),
    ("**/*.txt", ["notes.txt"]),
])
def test_glob(pattern: str, found: list[str]) -> None:
    files = ["components/a.yaml", "components/x/b.yaml", "components/x/y/c.yaml", "environments/dev.yaml", "notes.txt"]
    assert glob(MemorySource({f: b"" for f in files}), pattern) == found


@pytest.mark.parametrize("path", ["/etc/passwd", "../secrets.yaml", "a/../../b", "C:/x", "\\\\server\\share"])
def test_paths_that_leave_the_repository_are_refused(path: str) -> None:
    with pytest.raises(SourceFileError):
        check_relative(path)


def test_relative_paths_are_normalised() -> None:
    assert check_relative("./components//serving/a.yaml") == "components/serving/a.yaml"


@pytest.mark.parametrize(("image", "full"), [
    ("python:3.11-slim", "docker.io/library/python:3.11-slim"),
    ("bitnami/redis:7", "docker.io/bitnami/redis:7"),
    ("registry.acme.io/x/y:1", "registry.acme.io/x/y:1"),
    ("localhost/x:1", "localhost/x:1"),
    ("my-registry:5000/x", "my-registry:5000/x"),
])
def test_image_references_are_normalised_before_policy_checks(image: str, full: str) -> None:
    assert normalise_image(image) == full


def test_yaml_1_2_scalars_keep_strings_strings() -> None:
    from reconciler.spec.yamlio import parse_yaml

    data = parse_yaml(b"a: NO\nb: on\nc: 12:30\nd: 0o17\ne: 017\nf: true\ng: ~\nh: 1.5e3\ni: '7'\n")
    assert data == {"a": "NO", "b": "on", "c": "12:30", "d": 15, "e": 17, "f": True, "g": None, "h": 1500.0, "i": "7"}


def test_merge_keys_and_positions() -> None:
    from reconciler.spec.yamlio import locate, parse_yaml

    data = parse_yaml(b"base: &b {cpu: 1, memory: 2Gi}\nbig:\n  <<: *b\n  cpu: 4\n")
    assert data["big"] == {"cpu": 4, "memory": "2Gi"}
    assert locate(data, ("big", "cpu")) == (4, 3)
    assert locate(data, ("big", "missing")) == (2, 1)


@pytest.mark.parametrize(("text", "says"), [
    (b"a: 1\na: 2\n", 'duplicate key "a"'),
    (b"a: [1,\n", "invalid YAML"),
    (b"a: 1\n---\nb: 2\n", "exactly one YAML document"),
    (b"? [a]\n: 1\n", "mapping keys must be plain values"),
])
def test_yaml_errors_are_located(text: bytes, says: str) -> None:
    from reconciler.spec.yamlio import YamlParseError, parse_yaml

    with pytest.raises(YamlParseError, match=says) as caught:
        parse_yaml(text)
    assert caught.value.line >= 1 and caught.value.col >= 1
