"""Durations as people write them, parsed in one place (pure): the daemon's settings and the
spec's schedule intervals both read them here.

Accepted: a number of seconds (``42``, ``0.5``); one or more ``<number><unit>`` parts with the
units ``d``, ``h``, ``m``, ``s``, ``ms`` in that order, each at most once (``90s``, ``250ms``,
``1.5h``, ``1d12h``, ``1h 30m``); or an ISO 8601 duration (``PT1H``, ``P1DT2H``). Blanks around the
whole and between a number and its unit are ignored. Negative durations do not exist here.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from pydantic import TypeAdapter, ValidationError

_NUMBER = r"\d+(?:\.\d+)?"
_BARE = re.compile(rf"{_NUMBER}")
_PART = re.compile(rf"\s*({_NUMBER})\s*(ms|d|h|m|s)")
_UNITS = {"d": Decimal(86400), "h": Decimal(3600), "m": Decimal(60), "s": Decimal(1), "ms": Decimal("0.001")}
_ORDER = list(_UNITS)
_ISO = TypeAdapter(timedelta)


class DurationError(ValueError):
    """Text that is not a duration."""


def duration_seconds(text: str) -> Decimal:
    """The exact number of seconds ``text`` stands for; DurationError when it is not a duration."""
    stripped = str(text).strip()
    if _BARE.fullmatch(stripped):
        return Decimal(stripped)
    if stripped.startswith("P"):
        return _iso(text, stripped)
    total, position, last = Decimal(0), 0, -1
    while position < len(stripped):
        part = _PART.match(stripped, position)
        if part is None or _ORDER.index(part[2]) <= last:
            raise DurationError(f"{text!r} is not a duration")
        total += Decimal(part[1]) * _UNITS[part[2]]
        position, last = part.end(), _ORDER.index(part[2])
    if last < 0:
        raise DurationError(f"{text!r} is not a duration")
    return total


def duration_timedelta(text: str) -> timedelta:
    """``duration_seconds`` as a timedelta (rounded to the microsecond, half to even)."""
    return timedelta(microseconds=round(duration_seconds(text) * 1_000_000))


def _iso(text: str, stripped: str) -> Decimal:
    try:
        value = _ISO.validate_python(stripped)
    except ValidationError:
        raise DurationError(f"{text!r} is not a duration") from None
    if value < timedelta(0):
        raise DurationError(f"{text!r} is not a duration")
    return Decimal(value.days * 86400 + value.seconds) + Decimal(value.microseconds) / 1_000_000
