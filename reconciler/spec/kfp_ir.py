"""A compiled KFP v2 pipeline (IR YAML) checked for what would fail only at run time (pure).

The KFP API server accepts any IR that parses; a hand-edited or half-merged package then fails
when a run starts ("component not found", "missing input"). What the KFP compiler always
guarantees is checked here, offline: every task's ``componentRef`` and every component's
executor resolve; a task supplies only the inputs its component declares and every required
one; a task's dependencies and producers are tasks of the same DAG; an input read from the
enclosing component exists there; and defaults and constants match their parameter types.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

Loc = tuple[str | int, ...]
Problem = tuple[Loc, str, str]
"""Where in the IR document (a path of keys), what is wrong, and how to fix it."""

_RECOMPILE = "recompile the pipeline with the KFP SDK instead of editing the IR by hand"


def ir_problems(ir: Mapping[str, Any]) -> list[Problem]:
    """Every inconsistency of a compiled pipeline, in document order."""
    components = _mapping(ir.get("components"))
    executors = _mapping(_mapping(ir.get("deploymentSpec")).get("executors"))
    found: list[Problem] = []
    for name, component in components.items():
        label = _mapping(component).get("executorLabel")
        if label is not None and label not in executors:
            found.append((("components", name, "executorLabel"),
                          f"component '{name}' runs executor '{label}', which deploymentSpec.executors does not define",
                          _RECOMPILE))
        found.extend(_default_problems(("components", name), _mapping(component)))
        if "dag" in _mapping(component):
            found.extend(_dag_problems(("components", name), _mapping(component), components))
    root = _mapping(ir.get("root"))
    found.extend(_default_problems(("root",), root))
    if "dag" in root:
        found.extend(_dag_problems(("root",), root, components))
    return found


def _dag_problems(where: Loc, owner: Mapping[str, Any], components: Mapping[str, Any]) -> Iterator[Problem]:
    """The tasks of one DAG against the components they call and the inputs of the DAG's owner."""
    tasks = _mapping(_mapping(owner.get("dag")).get("tasks"))
    own_inputs = _parameters(owner)
    for task_name, task in tasks.items():
        task = _mapping(task)
        at: Loc = (*where, "dag", "tasks", task_name)
        ref = str(_mapping(task.get("componentRef")).get("name"))
        if ref not in components:
            yield ((*at, "componentRef", "name"),
                   f"task '{task_name}' calls component '{ref}', which the package does not define", _RECOMPILE)
            continue
        for other in task.get("dependentTasks") or ():
            if other not in tasks:
                yield ((*at, "dependentTasks"), f"task '{task_name}' depends on '{other}', which is not a task of "
                       "the same DAG", _RECOMPILE)
        declared = _parameters(_mapping(components[ref]))
        given = _mapping(_mapping(task.get("inputs")).get("parameters"))
        for name, value in given.items():
            yield from _input_problems((*at, "inputs", "parameters", name), task_name, ref, name, _mapping(value),
                                       declared, own_inputs, tasks)
        looped = _mapping(task.get("parameterIterator")).get("itemInput")  # a ParallelFor gives its item itself
        for name, definition in declared.items():
            if name not in given and name != looped and not _optional(_mapping(definition)):
                yield ((*at, "inputs"), f"task '{task_name}' does not give '{name}', a required input of '{ref}'",
                       _RECOMPILE)


def _input_problems(at: Loc, task: str, ref: str, name: str, value: Mapping[str, Any],
                    declared: Mapping[str, Any], own_inputs: Mapping[str, Any],
                    tasks: Mapping[str, Any]) -> Iterator[Problem]:
    if name not in declared:
        yield (at, f"task '{task}' gives '{name}', which component '{ref}' does not take "
               f"(it takes: {', '.join(sorted(declared)) or 'nothing'})", _RECOMPILE)
        return
    upstream = value.get("componentInputParameter")
    if upstream is not None and upstream not in own_inputs:
        yield ((*at, "componentInputParameter"), f"task '{task}' reads input '{upstream}', which the enclosing "
               "component does not declare", _RECOMPILE)
    producer = _mapping(value.get("taskOutputParameter")).get("producerTask")
    if producer is not None and producer not in tasks:
        yield ((*at, "taskOutputParameter", "producerTask"), f"task '{task}' reads an output of '{producer}', "
               "which is not a task of the same DAG", _RECOMPILE)
    constant = _mapping(value.get("runtimeValue")).get("constant", _ABSENT)
    expected = _mapping(declared[name]).get("parameterType")
    if constant is not _ABSENT and not _fits(constant, expected):
        yield ((*at, "runtimeValue", "constant"), f"task '{task}' passes {constant!r} to '{name}', which is "
               f"{expected}", f"give a {_WORDS.get(str(expected), str(expected))}, or recompile")


def _default_problems(where: Loc, component: Mapping[str, Any]) -> Iterator[Problem]:
    for name, definition in _parameters(component).items():
        definition = _mapping(definition)
        if "defaultValue" in definition and not _fits(definition["defaultValue"], definition.get("parameterType")):
            expected = str(definition.get("parameterType"))
            yield ((*where, "inputDefinitions", "parameters", name, "defaultValue"),
                   f"the default of '{name}' ({definition['defaultValue']!r}) is not a {_WORDS.get(expected, expected)}",
                   _RECOMPILE)


_ABSENT = object()
_WORDS = {"STRING": "string", "NUMBER_INTEGER": "whole number", "NUMBER_DOUBLE": "number", "BOOLEAN": "boolean",
          "LIST": "list", "STRUCT": "mapping"}


def _fits(value: Any, parameter_type: Any) -> bool:
    """Whether a value is of a KFP parameter type (the compiler writes integers as 16.0)."""
    if parameter_type == "STRING":
        return isinstance(value, str)
    if parameter_type == "NUMBER_INTEGER":
        return isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer()
    if parameter_type == "NUMBER_DOUBLE":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if parameter_type == "BOOLEAN":
        return isinstance(value, bool)
    if parameter_type == "LIST":
        return isinstance(value, list)
    if parameter_type == "STRUCT":
        return isinstance(value, dict)
    return True  # TASK_FINAL_STATUS and types this check does not know


def _optional(definition: Mapping[str, Any]) -> bool:
    return bool(definition.get("isOptional")) or "defaultValue" in definition


def _parameters(component: Mapping[str, Any]) -> Mapping[str, Any]:
    return _mapping(_mapping(component.get("inputDefinitions")).get("parameters"))


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
