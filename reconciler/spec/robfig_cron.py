"""Cron expressions as `github.com/robfig/cron` v1.2.0 `cron.Parse` reads them (what KFP uses).

Fields: second minute hour day-of-month month [day-of-week]; five fields mean the
day-of-week is omitted (NOT unix cron). `?` is allowed in any field; `@yearly`,
`@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight`, `@hourly` and `@every <duration>`
are descriptors. Error texts are robfig's.
"""

from __future__ import annotations

import json
import re

def go_quote(text: str) -> str:
    """Go's `%q` for a string (close enough: JSON escaping keeps printable Unicode)."""
    return json.dumps(text, ensure_ascii=False)


_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("second", 0, 59, {}),
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, {m: i + 1 for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())}),
    ("day of week", 0, 6, {d: i for i, d in enumerate("sun mon tue wed thu fri sat".split())}),
)
_DESCRIPTORS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
_GO_DURATION = re.compile(r"^[+-]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$|^0$")


def cron_error(spec: str) -> str | None:
    """robfig's error for `spec`, or None when it parses."""
    spec = spec.strip()
    if not spec:
        return "Empty spec string"
    if spec.startswith("@"):
        return _descriptor_error(spec)
    fields = spec.split()
    if len(fields) not in (5, 6):
        return f"Expected 5 to 6 fields, found {len(fields)}: {spec}"
    for text, (_, low, high, names) in zip(fields, _FIELDS, strict=False):
        for part in text.split(","):
            if (err := _range_error(part, low, high, names)) is not None:
                return err
    return None


def _descriptor_error(spec: str) -> str | None:
    if spec in _DESCRIPTORS:
        return None
    if spec.startswith("@every "):
        duration = spec[len("@every ") :]
        if _GO_DURATION.match(duration):
            return None
        return f"Failed to parse duration {spec}: time: invalid duration {go_quote(duration)}"
    return f"Unrecognized descriptor: {spec}"


def _value(text: str, names: dict[str, int]) -> int | str:
    if text.lower() in names:
        return names[text.lower()]
    if not text.isdigit():
        return f"Failed to parse int from {text}: strconv.Atoi: parsing {go_quote(text)}: invalid syntax"
    return int(text)


def _range_error(expr: str, low: int, high: int, names: dict[str, int]) -> str | None:
    range_and_step = expr.split("/")
    low_and_high = range_and_step[0].split("-")
    single_digit = len(low_and_high) == 1
    if low_and_high[0] in ("*", "?"):
        start, end = low, high
    else:
        first = _value(low_and_high[0], names)
        if isinstance(first, str):
            return first
        start = end = first
        if len(low_and_high) == 2:
            second = _value(low_and_high[1], names)
            if isinstance(second, str):
                return second
            end = second
        elif len(low_and_high) > 2:
            return f"Too many hyphens: {expr}"
    if len(range_and_step) == 2:
        step = _value(range_and_step[1], {})
        if isinstance(step, str):
            return step
        if single_digit:
            end = high  # "N/step" means N-max/step
        if step <= 0:
            return f"Step of range should be a positive number: {expr}"
    elif len(range_and_step) > 2:
        return f"Too many slashes: {expr}"
    if start < low:
        return f"Beginning of range ({start}) below minimum ({low}): {expr}"
    if end > high:
        return f"End of range ({end}) above maximum ({high}): {expr}"
    if start > end:
        return f"Beginning of range ({start}) beyond end of range ({end}): {expr}"
    return None
