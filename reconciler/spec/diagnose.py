"""Turn pydantic validation errors into plain-words messages with a fix.

Locations are resolved by the caller (pydantic's ``loc`` walked through the parsed file's positions);
this module only decides what to say.
"""

from __future__ import annotations

import difflib
import functools
import types
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo


@dataclass(frozen=True, slots=True)
class Problem:
    """One validation problem: where (``loc`` in YAML keys), what, and how to fix it."""

    loc: tuple[str | int, ...]
    message: str
    hint: str


def problems(error: ValidationError, model: type[BaseModel]) -> list[Problem]:
    """Explain every error of ``error`` raised while validating ``model``."""
    found = []
    for item in error.errors(include_url=False):
        loc = tuple(step for step in item["loc"] if not _is_union_tag(step))
        found.append(_explain(item, loc, model))
    return _drop_misspelled_missing(_drop_shadowed(found, error))


def _drop_shadowed(found: list[Problem], error: ValidationError) -> list[Problem]:
    """Report only the deepest error: a failing item also fails its container's length check, and a mapping
    given where ``str | Model`` is allowed also fails the ``str`` branch."""
    kinds = [item["type"] for item in error.errors(include_url=False)]
    deeper = [p.loc for p in found]
    return [
        p for p, kind in zip(found, kinds, strict=True)
        if not ((kind == "too_short" or kind.endswith("_type"))
                and any(len(d) > len(p.loc) and d[: len(p.loc)] == p.loc for d in deeper))
    ]


def _drop_misspelled_missing(found: list[Problem]) -> list[Problem]:
    """A misspelt key shows up twice (unknown + missing); keep only the 'did you mean' one."""
    suggested = {
        (p.loc[:-1], p.hint.split("'")[1]) for p in found
        if p.message.startswith("unknown key") and p.hint.startswith("did you mean '")
    }
    return [
        p for p in found
        if not (p.message.startswith("missing required key") and (p.loc[:-1], str(p.loc[-1])) in suggested)
    ]


def _is_union_tag(step: Any) -> bool:
    # pydantic adds tags such as 'int', 'function-after[...]' or a model's class name for union members
    return isinstance(step, str) and (step.startswith("function-") or step in _UNION_TAGS or step in _model_names())


@functools.cache
def _model_names() -> frozenset[str]:
    from reconciler.spec.models.base import SpecModel

    names: set[str] = set()
    pending: list[type[BaseModel]] = [SpecModel]
    while pending:
        cls = pending.pop()
        names.add(cls.__name__)
        pending.extend(cls.__subclasses__())
    return frozenset(names)


_UNION_TAGS = {"int", "float", "str", "bool", "list[any]", "dict[str,any]", "Gpu", "tuple[str, ...]"}


def _explain(item: Any, loc: tuple[str | int, ...], model: type[BaseModel]) -> Problem:
    kind, msg = item["type"], item["msg"]
    where = _dotted(loc)
    if kind == "extra_forbidden":
        parent = _field_model(model, loc[:-1])
        allowed = sorted(_aliases(parent)) if parent else []
        key = str(loc[-1])
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f"did you mean '{close[0]}'?" if close else "remove it"
        if allowed:
            hint += f" Allowed keys here: {', '.join(allowed)}"
        return Problem(loc, f"unknown key '{key}'" + (f" in {_dotted(loc[:-1])}" if loc[:-1] else ""), hint)
    if kind == "missing":
        return Problem(loc, f"missing required key '{loc[-1]}'" + (f" in {_dotted(loc[:-1])}" if loc[:-1] else ""),
                       _describe(model, loc) or f"add '{loc[-1]}'")
    text = msg[len("Value error, "):] if msg.startswith("Value error, ") else msg
    if kind in ("string_pattern_mismatch",):
        text = f"{_shown(item.get('input'))} does not match the required format"
    hint = _describe(model, loc) or _generic_hint(kind)
    return Problem(loc, f"{where}: {text}" if where else text, hint)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _generic_hint(kind: str) -> str:
    if kind.startswith(("int_", "float_", "bool_", "string_type", "dict_type", "list_type", "tuple_type")):
        return "check the value's type against the schema in schemas/"
    if kind.startswith(("greater_than", "less_than", "too_short", "too_long")):
        return "change the value to fit the allowed range"
    return "see the JSON Schema in schemas/ for what is allowed"


def _dotted(loc: tuple[str | int, ...]) -> str:
    out = ""
    for step in loc:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


def _aliases(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def _field(model: type[BaseModel], key: str) -> FieldInfo | None:
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return info
    return None


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        found.extend(_models_in(arg))
    return found


def _field_model(model: type[BaseModel], loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The model class that validates the mapping at ``loc`` (skipping list indexes and dict keys)."""
    current: type[BaseModel] | None = model
    pending_container = False
    for step in loc:
        if current is None:
            return None
        if isinstance(step, int) or pending_container:
            pending_container = False
            continue
        info = _field(current, step)
        if info is None:
            return None
        origin = typing.get_origin(info.annotation)
        inner = _models_in(info.annotation)
        current = inner[0] if inner else None
        pending_container = origin in (dict, tuple, list) or (
            origin in (typing.Union, types.UnionType) and any(
                typing.get_origin(a) in (dict, tuple, list) for a in typing.get_args(info.annotation)
            ) and not any(isinstance(a, type) and issubclass(a, BaseModel) for a in typing.get_args(info.annotation))
        )
        if origin is dict and typing.get_args(info.annotation)[1:] and not _models_in(typing.get_args(info.annotation)[1]):
            return None
    return current


def _describe(model: type[BaseModel], loc: tuple[str | int, ...]) -> str:
    """The field's description, used as the fix hint."""
    keys = [step for step in loc if isinstance(step, str)]
    if not keys:
        return ""
    parent = _field_model(model, loc[:-1]) if isinstance(loc[-1], str) else _field_model(model, loc[:-2])
    key = loc[-1] if isinstance(loc[-1], str) else loc[-2] if len(loc) > 1 else None
    if parent is None or not isinstance(key, str):
        return ""
    info = _field(parent, key)
    return info.description or "" if info else ""
