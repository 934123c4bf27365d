"""Fuzzing the loader: arbitrary bytes and arbitrary YAML never crash it; errors are always located."""

from __future__ import annotations

import re
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.errors import SpecErrors
from reconciler.source.directory import DirectorySource
from reconciler.spec.load import load
from reconciler.spec.sources import MemorySource
from tests.spec.conftest import REPO

TARGET = "components/serving/fraud-detector.yaml"
LOCATED = re.compile(r"^[^:\n]+:\d+:\d+: .+")


def _bundled() -> dict[str, bytes]:
    source = DirectorySource(REPO)
    wanted = ("platform.yaml", "components/", "environments/", "kfp-pipelines/")
    return {p: source.read(p) for p in source.files() if p.startswith(wanted) and p.endswith(".yaml")}


BUNDLED = _bundled()
SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _check(data: bytes) -> None:
    files = dict(BUNDLED)
    files[TARGET] = data
    try:
        load(MemorySource(files))
    except SpecErrors as exc:
        assert exc.errors, "an empty error list would read as valid"
        for error in exc.errors:
            assert LOCATED.match(str(error)), str(error)
            assert error.line >= 1 and error.col >= 1


@SETTINGS
@given(st.binary(max_size=4096))
def test_arbitrary_bytes_never_crash_the_loader(data: bytes) -> None:
    _check(data)


YAML_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                         st.text(max_size=30), st.sampled_from(["Serving", "platformctl.dev/v1alpha1", "fraud-detector",
                                                                "s3://m/{version}", "{version}", "*", "&a", "!!str"]))
KEYS = st.one_of(st.sampled_from(["apiVersion", "kind", "metadata", "spec", "name", "model", "format", "storageUri",
                                  "replicas", "min", "max", "resources", "gpu", "canary", "trafficPercent", "version"]),
                 st.text(min_size=1, max_size=12))
YAML_VALUES: st.SearchStrategy[Any] = st.recursive(
    YAML_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=5)),
    max_leaves=25)


@SETTINGS
@given(YAML_VALUES)
def test_arbitrary_yaml_documents_never_crash_the_loader(value: Any) -> None:
    _check(yaml.safe_dump(value).encode())


@SETTINGS
@given(st.dictionaries(KEYS, YAML_VALUES, max_size=6))
def test_arbitrary_component_specs_never_crash_the_loader(spec: dict[str, Any]) -> None:
    document = {"apiVersion": "platformctl.dev/v1alpha1", "kind": "Serving", "metadata": {"name": "fraud-detector"},
                "spec": spec}
    _check(yaml.safe_dump(document).encode())
