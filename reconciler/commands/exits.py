"""Exit codes, and the one place that turns an exception into one.

======  =====================================================================================
code    meaning
======  =====================================================================================
0       done: valid, in sync, no change, applied, promoted
1       failed: an invalid spec or policy, a cluster that failed, a refused promotion
2       usage: an unknown environment or cluster, a bad argument (``plan`` and ``diff``: changes)
70      internal error: a bug in platformctl (sysexits' EX_SOFTWARE); the traceback follows
======  =====================================================================================

``plan`` and ``diff`` follow Terraform's ``-detailed-exitcode``, so 2 also means "changes
present" there; ``diff`` reports an unknown environment with 1 for that reason.
"""

from __future__ import annotations

import functools
import sys
import traceback
from collections.abc import Callable
from enum import IntEnum
from typing import ParamSpec

import click

from reconciler import report
from reconciler.errors import SpecErrors, UsageError

P = ParamSpec("P")


class ExitCode(IntEnum):
    """What the process tells its caller (see the module's table)."""

    OK = 0
    FAILED = 1
    USAGE = 2
    CHANGES = 2
    INTERNAL = 70


def mapped(func: Callable[P, int]) -> Callable[P, int]:
    """Run a command; an error it raises becomes its message on stderr and its exit code."""
    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> int:
        try:
            return func(*args, **kwargs)
        except SpecErrors as exc:
            sys.stderr.write(report.errors_text(exc.errors))
            return ExitCode.FAILED
        except UsageError as exc:
            sys.stderr.write(f"error: {exc}\n")
            return ExitCode.USAGE
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise  # click's own: a declined prompt, Ctrl-D
        except Exception as exc:  # noqa: BLE001 - anything else is a bug: say so, never "usage error"
            sys.stderr.write(internal_error(exc))
            return ExitCode.INTERNAL

    return wrapper


def internal_error(exc: BaseException) -> str:
    """The message for an exception nobody expected: what it was, the traceback, where to report it."""
    trace = "".join(traceback.format_exception(exc))
    return (f"internal error: {type(exc).__name__}: {exc}\n{trace}"
            "this is a bug in platformctl; please report it with the traceback above\n")
