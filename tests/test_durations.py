"""One duration parser (reconciler.durations) for the daemon's settings and the spec's schedule intervals."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from reconciler.daemon.config import parse_duration
from reconciler.durations import DurationError, duration_seconds, duration_timedelta
from reconciler.spec.models.schedule import Trigger

UNION = [
    ("42", Decimal(42)), ("0.5", Decimal("0.5")), ("90s", Decimal(90)), ("250ms", Decimal("0.25")),
    ("15m", Decimal(900)), ("6h", Decimal(21600)), ("1.5h", Decimal(5400)), ("1d", Decimal(86400)),
    ("1d12h", Decimal(129600)), ("1h30m", Decimal(5400)), ("1h 30m", Decimal(5400)), ("2m1s500ms", Decimal("121.5")),
    (" 30s ", Decimal(30)), ("30 s", Decimal(30)), ("0s", Decimal(0)), ("PT1H", Decimal(3600)),
    ("P1DT2H", Decimal(93600)), ("PT1.5S", Decimal("1.5")),
]
"""What either call site accepted before, and their union."""

REFUSED = ["", " ", "soon", "hourly", "1h1d", "1m1m", "1s1m", "ms", "h", "-1s", "1.s", ".5s", "1e3", "1d12", "30s,",
           "1 h x", "P-1D", "Pxyz", "1w"]


@pytest.mark.parametrize(("text", "seconds"), UNION)
def test_the_union_of_both_forms_parses(text: str, seconds: Decimal) -> None:
    assert duration_seconds(text) == seconds
    assert duration_timedelta(text) == timedelta(seconds=float(seconds))


@pytest.mark.parametrize("text", REFUSED)
def test_what_is_not_a_duration_is_refused(text: str) -> None:
    with pytest.raises(DurationError, match="is not a duration"):
        duration_seconds(text)


@pytest.mark.parametrize(("text", "seconds"), UNION)
def test_the_daemon_settings_accept_the_union(text: str, seconds: Decimal) -> None:
    assert parse_duration(text) == float(seconds)


@pytest.mark.parametrize(("text", "seconds"), [(t, s) for t, s in UNION if s >= 1])
def test_schedule_intervals_accept_the_union(text: str, seconds: Decimal) -> None:
    assert Trigger.model_validate({"interval": text}).interval == timedelta(seconds=float(seconds))


@pytest.mark.parametrize("text", [t for t, s in UNION if s < 1])
def test_a_schedule_interval_under_a_second_parses_and_is_then_refused(text: str) -> None:
    with pytest.raises(ValidationError, match="interval must be at least one second"):
        Trigger.model_validate({"interval": text})


@pytest.mark.parametrize(("text", "seconds"), [("1d12h", 129600.0), ("1h30m", 5400.0), ("PT1H", 3600.0)])
def test_the_daemon_now_takes_what_only_the_spec_took(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(("text", "seconds"), [("42", 42), ("1500ms", 1.5), ("1.5h", 5400), (" 30s ", 30), ("30 s", 30)])
def test_the_spec_now_takes_what_only_the_daemon_took(text: str, seconds: float) -> None:
    assert Trigger.model_validate({"interval": text}).interval == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", [t for t in REFUSED if not t.startswith("P")])
def test_both_call_sites_keep_their_messages(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration \\(write e.g. 30s, 5m, 1m30s, 1h or a number of seconds\\)"):
        parse_duration(text)
    with pytest.raises(ValidationError, match="is not a duration; write 90s, 15m, 6h, 1d12h or a number of seconds"):
        Trigger.model_validate({"interval": text})


def test_the_spec_leaves_numbers_and_iso_strings_to_pydantic() -> None:
    assert Trigger.model_validate({"interval": 3600}).interval == timedelta(hours=1)
    with pytest.raises(ValidationError, match="valid timedelta"):
        Trigger.model_validate({"interval": "Pxyz"})
