"""FieldViolation and the kube-apiserver wording of field errors.

The helpers mirror `k8s.io/apimachinery/pkg/util/validation/field` (`Required`,
`Invalid`, `NotSupported`, ...) and `Error.ErrorBody()`, so a violation reads exactly
like a `Status.details.causes[]` entry of a 422 answer.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.spec.robfig_cron import go_quote as go_quote

REQUIRED = "FieldValueRequired"
INVALID = "FieldValueInvalid"
NOT_SUPPORTED = "FieldValueNotSupported"
TYPE_INVALID = "FieldValueTypeInvalid"
TOO_LONG = "FieldValueTooLong"
TOO_MANY = "FieldValueTooMany"
DUPLICATE = "FieldValueDuplicate"
FORBIDDEN = "FieldValueForbidden"
UNKNOWN = "FieldValueUnknown"


@dataclass(frozen=True, slots=True)
class FieldViolation:
    """One rejected field, worded as kube-apiserver words a StatusCause."""

    field: str
    reason: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


def join_path(parts: Sequence[str | int]) -> str:
    """Render path parts the way `field.Path.String()` does: `a.b[0].c`."""
    out: list[str] = []
    for part in parts:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif out:
            out.append("." + part)
        else:
            out.append(part)
    return "".join(out)


def child(path: str, name: str) -> str:
    """`path.name` (or `name` at the root)."""
    return f"{path}.{name}" if path else name




def go_float(value: float) -> str:
    """Go's `%v` for a float64: integral values print without a fraction below 1e21."""
    if value != value or value in (float("inf"), float("-inf")):
        return {"nan": "NaN", "inf": "+Inf", "-inf": "-Inf"}[repr(value)]
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    text = repr(value)
    if "e" in text:
        mantissa, exp = text.split("e")
        sign = "-" if exp.startswith("-") else "+"
        text = f"{mantissa}e{sign}{exp.lstrip('+-').rjust(2, '0')}"
    return text


def go_value(value: Any) -> str:
    """How `ErrorBody()` prints a bad value: %q for strings, %v for scalars, %#v else."""
    if value is None:
        return '"null"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_float(value)
    if isinstance(value, str):
        return go_quote(value)
    return _go_syntax(value)


def _go_syntax(value: Any) -> str:
    """Go's `%#v` of decoded JSON (map[string]interface {} / []interface {})."""
    if isinstance(value, dict):
        inner = ", ".join(f"{go_quote(str(k))}:{_go_inner(v)}" for k, v in sorted(value.items()))
        return "map[string]interface {}{" + inner + "}"
    if isinstance(value, (list, tuple)):
        return "[]interface {}{" + ", ".join(_go_inner(v) for v in value) + "}"
    return go_value(value)


def _go_inner(value: Any) -> str:
    if value is None:
        return "interface {}(nil)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value}"
    if isinstance(value, float):
        return go_float(value)
    if isinstance(value, str):
        return go_quote(value)
    return _go_syntax(value)


def jsonable(value: Any) -> Any:
    """`value` with YAML-only scalars made JSON: timestamps become RFC 3339 strings, tuples lists."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dt.datetime):
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def required(field: str, detail: str = "") -> FieldViolation:
    """`field.Required`: "Required value[: detail]"."""
    return FieldViolation(field, REQUIRED, _with_detail("Required value", detail))


def invalid(field: str, value: Any, detail: str) -> FieldViolation:
    """`field.Invalid`: "Invalid value: <value>: detail"."""
    return FieldViolation(field, INVALID, _with_detail(f"Invalid value: {go_value(value)}", detail))


def type_invalid(field: str, value: Any, detail: str) -> FieldViolation:
    """`field.TypeInvalid`: worded like Invalid, typed FieldValueTypeInvalid."""
    return FieldViolation(field, TYPE_INVALID, _with_detail(f"Invalid value: {go_value(value)}", detail))


def not_supported(field: str, value: Any, supported: Iterable[str]) -> FieldViolation:
    """`field.NotSupported`: 'Unsupported value: "x": supported values: "a", "b"'."""
    quoted = ", ".join(go_quote(v) for v in supported)
    detail = f"supported values: {quoted}" if quoted else ""
    return FieldViolation(field, NOT_SUPPORTED, _with_detail(f"Unsupported value: {go_value(value)}", detail))


def forbidden(field: str, detail: str) -> FieldViolation:
    """`field.Forbidden`: "Forbidden: detail"."""
    return FieldViolation(field, FORBIDDEN, _with_detail("Forbidden", detail))


def too_long(field: str, max_length: int) -> FieldViolation:
    """`field.TooLong` (Kubernetes >= 1.32 wording; the value is omitted)."""
    unit = "byte" if max_length == 1 else "bytes"
    return FieldViolation(field, TOO_LONG, f"Too long: may not be more than {max_length} {unit}")


def too_many(field: str, actual: int, max_items: int) -> FieldViolation:
    """`field.TooMany`: "Too many: <actual>: must have at most <max> items"."""
    return FieldViolation(field, TOO_MANY, f"Too many: {actual}: must have at most {max_items} items")


def duplicate(field: str, value: Any) -> FieldViolation:
    """`field.Duplicate`: "Duplicate value: <value>" (objects and lists as compact JSON, as 1.34 prints them)."""
    shown = json.dumps(value, separators=(",", ":"), sort_keys=True) if isinstance(value, Mapping | list) \
        else go_value(value)
    return FieldViolation(field, DUPLICATE, f"Duplicate value: {shown}")


def unknown_field(path: str) -> FieldViolation:
    """What `fieldValidation=Strict` reports for a field the schema does not declare."""
    return FieldViolation(path, UNKNOWN, f"unknown field {go_quote(path)}")


def _with_detail(head: str, detail: str) -> str:
    return f"{head}: {detail}" if detail else head


def under(prefix: str, violation: FieldViolation) -> FieldViolation:
    """The same violation for a value validated on its own and embedded at `prefix`."""
    old = violation.field
    new = (f"{prefix}{old}" if old.startswith("[") else f"{prefix}.{old}") if old else prefix
    message = violation.message.replace(f"{old} in body", f"{new} in body").replace(go_quote(old), go_quote(new))
    return FieldViolation(new, violation.reason, message)
