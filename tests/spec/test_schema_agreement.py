"""The JSON Schemas agree with the loader: every bundled file passes its own declared ``$schema``
under an independent validator (python-jsonschema, not the loader's pydantic models)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = REPO / "schemas"
_DECLARED = re.compile(r"^#\s*yaml-language-server:\s*\$schema=(\S+)", re.MULTILINE)
_SKIPPED = ("tests/data/bad/",)  # broken on purpose: each must fail the loader


def _bundled() -> list[Path]:
    files = []
    for path in sorted(REPO.rglob("*.y*ml")):
        relative = path.relative_to(REPO).as_posix()
        if relative.startswith((".venv/", ".git/", *_SKIPPED)):
            continue
        if _DECLARED.search(path.read_text(encoding="utf-8")[:2000]):
            files.append(path)
    return files


BUNDLED = _bundled()


def _validator(name: str) -> jsonschema.protocols.Validator:
    schema = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)  # type: ignore[no-any-return]


def _errors(name: str, document: Any) -> list[str]:
    return [f"{'.'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
            for e in _validator(name).iter_errors(document)]


def test_the_bundled_platform_declares_schemas() -> None:
    relative = {p.relative_to(REPO).as_posix() for p in BUNDLED}
    assert "platform.yaml" in relative and "environments/prod-cloud.yaml" in relative
    assert "components/serving/fraud-detector.yaml" in relative and len(relative) >= 15


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_bundled_file_passes_its_declared_schema(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    match = _DECLARED.search(text)
    assert match is not None
    schema = (path.parent / match[1]).resolve()
    assert schema.parent == SCHEMAS and schema.is_file(), f"{path} declares a schema that does not exist: {match[1]}"
    assert _errors(schema.name, yaml.safe_load(text)) == []


def _environment(**spec: Any) -> dict[str, Any]:
    document = yaml.safe_load((REPO / "environments" / "prod-cloud.yaml").read_text(encoding="utf-8"))
    document["spec"].update(spec)
    return document  # type: ignore[no-any-return]


@pytest.mark.parametrize("overrides", [
    {"serving/fraud-detector": {"replicas": {"min": 4, "max": 16}, "canary": {"trafficPercent": 10}}},
    {"serving/fraud-detector": {"canary": None}},                  # null removes a key
    {"serving/fraud-detector": {"resources": {"gpu": 2}}},          # the loader's shorthand
    {"notebooks/analytics": {"resources": {"gpu": {"count": 1}}}},
    {"tuning/fraud-xgb-search": {"objective": {"goal": 0.99}}},
])
def test_overrides_that_the_loader_merges_pass_the_schema(overrides: dict[str, Any]) -> None:
    assert _errors("environment.schema.json", _environment(overrides=overrides)) == []


@pytest.mark.parametrize(("overrides", "error"), [
    ({"serving/fraud-detector": {"replicas": {"min": "many"}}}, "replicas: {'min': 'many'} is not valid"),
    ({"serving/fraud-detector": {"replica": {"min": 2}}}, "'replica' was unexpected"),
    ({"notebooks/analytics": {"canary": {"trafficPercent": 10}}}, "'canary' was unexpected"),  # a serving key
    ({"serving/Fraud": {}}, "'serving/Fraud' does not match any of the regexes"),
])
def test_overrides_are_typed_per_component_kind(overrides: dict[str, Any], error: str) -> None:
    errors = _errors("environment.schema.json", _environment(overrides=overrides))
    assert errors and any(error in e for e in errors), errors


def test_a_version_written_as_a_number_passes_as_the_loader_reads_it() -> None:
    assert _errors("environment.schema.json", _environment(versions={"serving/fraud-detector": 7})) == []
    assert _errors("environment.schema.json", _environment(versions={"serving/fraud-detector": ""})) != []


def test_gpu_count_shorthand_is_in_the_schema_as_in_the_loader() -> None:
    from reconciler.spec.models.base import Resources

    assert Resources.model_validate({"gpu": 1}).gpu.count == 1
    document = yaml.safe_load((REPO / "components/serving/fraud-detector.yaml").read_text(encoding="utf-8"))
    for gpu, valid in ((1, True), ({"count": 2, "resource": "amd.com/gpu"}, True), (-1, False), ("1", False)):
        document["spec"].setdefault("resources", {})["gpu"] = gpu
        assert (_errors("serving.schema.json", document) == []) is valid, gpu


def test_every_kind_directory_a_reference_may_name_has_a_typed_override() -> None:
    from reconciler.schemas import OVERRIDABLE

    schema = json.loads((SCHEMAS / "environment.schema.json").read_text(encoding="utf-8"))
    overrides = schema["$defs"]["EnvironmentSpec"]["properties"]["overrides"]["patternProperties"]
    [reference] = [p for p in overrides if p.startswith("^(")]  # the loader's pattern
    directories = set(re.match(r"\^\(([^)]*)\)", reference)[1].split("|"))  # type: ignore[index]
    assert directories == set(OVERRIDABLE)
    assert {f"^{d}/" for d in directories} == {p.split("[", 1)[0] for p in overrides if not p.startswith("^(")}
