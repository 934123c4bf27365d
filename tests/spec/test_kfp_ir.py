"""A compiled pipeline checked offline for what KFP would refuse only when a run starts (issue 14)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from reconciler.errors import SpecErrors
from reconciler.source.directory import DirectorySource
from reconciler.spec.kfp_ir import ir_problems
from reconciler.spec.load import load
from tests.spec.conftest import REPO, copy_platform

PACKAGE = "kfp-pipelines/batch_scoring.yaml"


def errors_after(tmp_path: Path, old: str, new: str) -> list[str]:
    """Load the bundled platform with one edit to its batch-scoring IR; the errors about that file."""
    repo = copy_platform(tmp_path / "platform")
    path = repo / PACKAGE
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(SpecErrors) as raised:
        load(DirectorySource(repo))
    return [str(e) for e in raised.value.errors if e.path == PACKAGE]


def line_of(text: str, tmp_path: Path) -> int:
    return next(i for i, line in enumerate((tmp_path / "platform" / PACKAGE).read_text().splitlines(), 1)
                if text in line)


def test_the_bundled_pipelines_are_consistent() -> None:
    assert load(DirectorySource(REPO)).packages  # loads: no problem in either compiled pipeline


def test_a_task_calling_a_component_the_package_lacks_is_located(tmp_path: Path) -> None:
    [error] = errors_after(tmp_path, "name: comp-score-shard\n", "name: comp-score-shards\n")
    assert re.match(rf"{PACKAGE}:{line_of('name: comp-score-shards', tmp_path)}:\d+: task 'score-shard' calls "
                    "component 'comp-score-shards', which the package does not define; recompile", error)


def test_an_executor_the_deployment_spec_lacks(tmp_path: Path) -> None:
    [error] = errors_after(tmp_path, "executorLabel: exec-plan-shards", "executorLabel: exec-plan-shard")
    assert "component 'comp-plan-shards' runs executor 'exec-plan-shard', which deploymentSpec.executors" in error


def test_a_default_of_the_wrong_type(tmp_path: Path) -> None:
    [error] = errors_after(tmp_path, "defaultValue: 16.0", "defaultValue: sixteen")
    assert f"{PACKAGE}:{line_of('defaultValue: sixteen', tmp_path)}:" in error
    assert "the default of 'max_shards' ('sixteen') is not a whole number" in error


def test_an_input_the_component_does_not_take_and_the_one_it_misses(tmp_path: Path) -> None:
    found = errors_after(tmp_path, "              output_prefix:\n                runtimeValue:",
                         "              output_prefx:\n                runtimeValue:")
    assert any("task 'score-shard' gives 'output_prefx', which component 'comp-score-shard' does not take" in e
               for e in found)
    assert any("task 'score-shard' does not give 'output_prefix', a required input of 'comp-score-shard'" in e
               for e in found)


def test_a_constant_of_the_wrong_type(tmp_path: Path) -> None:
    [error] = errors_after(tmp_path, "constant: s3://acme-scoring/tmp", "constant: 3")
    assert "task 'score-shard' passes 3 to 'output_prefix', which is STRING; give a string, or recompile" in error


def _ir(tasks: dict[str, Any], callee_inputs: dict[str, Any]) -> dict[str, Any]:
    return {"components": {"comp-a": {"executorLabel": "exec-a", "inputDefinitions": {"parameters": callee_inputs}}},
            "deploymentSpec": {"executors": {"exec-a": {"container": {"image": "python:3.11"}}}},
            "root": {"dag": {"tasks": tasks},
                     "inputDefinitions": {"parameters": {"items": {"parameterType": "LIST"}}}}}


def test_a_parallel_for_gives_its_loop_item_and_dependencies_name_tasks_of_the_dag() -> None:
    looped = {"componentRef": {"name": "comp-a"},
              "parameterIterator": {"itemInput": "item", "items": {"inputParameter": "items"}}}
    assert ir_problems(_ir({"loop": looped}, {"item": {"parameterType": "STRING"}})) == []
    broken = {"componentRef": {"name": "comp-a"}, "dependentTasks": ["gone"],
              "inputs": {"parameters": {"item": {"componentInputParameter": "nope"},
                                        "other": {"taskOutputParameter": {"producerTask": "ghost"}}}}}
    messages = [m for _at, m, _hint in ir_problems(_ir({"t": broken}, {"item": {"parameterType": "STRING"},
                                                                         "other": {"parameterType": "STRING"}}))]
    assert messages == ["task 't' depends on 'gone', which is not a task of the same DAG",
                        "task 't' reads input 'nope', which the enclosing component does not declare",
                        "task 't' reads an output of 'ghost', which is not a task of the same DAG"]
