"""Cron expressions: the spec's 5-field unix form and KFP's 6-field form with seconds (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from croniter import croniter

from reconciler.spec.robfig_cron import cron_error

DESCRIPTORS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")


class CronError(ValueError):
    """A cron expression that neither form accepts."""


@dataclass(frozen=True, slots=True)
class Cron:
    """A parsed schedule: the KFP expression to render and how to compute fire times."""

    source: str
    kfp: str
    with_seconds: bool

    def next_times(self, start: datetime, count: int) -> list[datetime]:
        """The next ``count`` fire times after ``start`` (in start's time zone)."""
        expr = self.kfp if self.with_seconds else self.source
        it = croniter(expr, start, second_at_beginning=self.with_seconds)
        return [it.get_next(datetime) for _ in range(count)]


def _kfp_accepts(cron: Cron) -> Cron:
    """KFP parses crons with robfig/cron v1, stricter than unix cron (weekdays 0-6, no L or #)."""
    problem = cron_error(cron.kfp)
    if problem is not None:
        raise CronError(f"{cron.source!r} renders as KFP cron {cron.kfp!r}, which KFP rejects: {problem}")
    return cron


@lru_cache(maxsize=4096)
def parse_cron(expression: str) -> Cron:
    """Read 5 fields as unix cron (rendered for KFP with a leading seconds field ``0``), 6 fields as KFP's form."""
    text = " ".join(expression.split())
    if text.startswith("@"):
        if text not in DESCRIPTORS:
            raise CronError(f"unknown cron descriptor {text!r}; use one of {', '.join(DESCRIPTORS)}")
        return Cron(text, text, False)
    fields = text.split(" ")
    if len(fields) == 5:
        if not croniter.is_valid(text):
            raise CronError(f"{text!r} is not a valid 5-field cron (minute hour day-of-month month day-of-week)")
        return _kfp_accepts(Cron(text, "0 " + text, False))
    if len(fields) == 6:
        if not croniter.is_valid(text, second_at_beginning=True):
            raise CronError(
                f"{text!r} is not a valid 6-field KFP cron (second minute hour day-of-month month day-of-week)"
            )
        return _kfp_accepts(Cron(text, text, True))
    raise CronError(
        f"{text!r} has {len(fields)} fields; write 5 (minute hour day-of-month month day-of-week, "
        "unix cron) or 6 (second first, the KFP form)"
    )
