"""Safe readers for live objects (untyped JSON) and condition helpers shared by the kind checks (pure).

Live objects come from the API server as JSON, but tests and the localdir cluster may hand us YAML
where a timestamp or ``True`` was left unquoted; every reader here tolerates that instead of raising.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from reconciler.health.model import iso

Obj = Mapping[str, Any]

# Messages longer than this are cut (with an ellipsis): a health line is read by people.
MAX_MESSAGE = 400


def mapping(obj: Any, *path: str) -> Obj:
    """The mapping at ``path`` (``{}`` when absent or not a mapping)."""
    cur: Any = obj
    for key in path:
        if not isinstance(cur, Mapping):
            return {}
        cur = cur.get(key)
    return cur if isinstance(cur, Mapping) else {}


def items(obj: Any, *path: str) -> list[Obj]:
    """The list of mappings at ``path`` (non-mappings dropped; ``[]`` when absent)."""
    cur: Any = obj
    for key in path:
        if not isinstance(cur, Mapping):
            return []
        cur = cur.get(key)
    if isinstance(cur, Sequence) and not isinstance(cur, (str, bytes)):
        return [x for x in cur if isinstance(x, Mapping)]
    return []


def strings(obj: Any, *path: str) -> list[str]:
    """The list of scalars at ``path`` as text (empty entries dropped; ``[]`` when absent or not a list)."""
    *head, last = path
    value = mapping(obj, *head).get(last)
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return [t for t in (text(v) for v in value if not isinstance(v, (Mapping, list))) if t]
    return []


def text(value: Any) -> str:
    """A scalar as plain text: times as ISO 8601, ``True``/``False`` as Kubernetes writes them, None as ''."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, datetime):
        return iso(value)
    return " ".join(str(value).split())


def string(obj: Any, *path: str) -> str:
    """The scalar at ``path`` as text (``''`` when absent)."""
    *head, last = path
    return text(mapping(obj, *head).get(last))


def integer(obj: Any, *path: str) -> int | None:
    """The integer at ``path`` (None when absent or not a whole number)."""
    *head, last = path
    value = mapping(obj, *head).get(last)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def count(obj: Any, *path: str) -> int:
    """A counter at ``path``; absent counts as 0."""
    return integer(obj, *path) or 0


def clip(message: str, limit: int = MAX_MESSAGE) -> str:
    """One line, at most ``limit`` characters."""
    flat = " ".join(message.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


# --- conditions -------------------------------------------------------------------------------


def conditions(obj: Any) -> list[Obj]:
    """``status.conditions`` of a live object."""
    return items(obj, "status", "conditions")


def condition(obj: Any, kind: str) -> Obj | None:
    """The last condition of type ``kind`` (controllers that append keep the newest last)."""
    found = [c for c in conditions(obj) if text(c.get("type")) == kind]
    return found[-1] if found else None


def state(cond: Obj | None) -> str:
    """A condition's status: 'True', 'False', 'Unknown', or '' when there is none."""
    if cond is None:
        return ""
    return text(cond.get("status"))


def is_true(cond: Obj | None) -> bool:
    return state(cond) == "True"


def describe(cond: Obj, *, with_status: bool = True) -> str:
    """``Type=Status: Reason: message`` with the empty parts left out."""
    head = text(cond.get("type")) or "condition"
    if with_status and state(cond):
        head += f"={state(cond)}"
    parts = [head, text(cond.get("reason")), text(cond.get("message"))]
    return clip(": ".join(p for p in parts if p))


def reason_and_message(cond: Obj) -> str:
    """``Reason: message`` (either part may be absent)."""
    parts = [text(cond.get("reason")), text(cond.get("message"))]
    return clip(": ".join(p for p in parts if p))


# --- metadata ---------------------------------------------------------------------------------


def annotations_of(obj: Any) -> Obj:
    return mapping(obj, "metadata", "annotations")


def names(values: Sequence[str], limit: int = 3) -> str:
    """``a, b, c and 2 more``."""
    shown = ", ".join(values[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")
