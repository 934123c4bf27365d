"""Exit codes, and the one place that turns an exception into one.

======  =====================================================================================
code    meaning
======  =====================================================================================
0       done: valid, in sync, no change, applied, promoted
1       failed: an invalid spec or policy, a cluster that failed, a refused promotion
2       ``plan`` and ``diff`` only: changes present (Terraform's ``-detailed-exitcode``)
64      usage: an unknown environment or cluster, a mistyped flag, a bad argument (EX_USAGE)
70      internal error: a bug in platformctl (sysexits' EX_SOFTWARE); the traceback follows
======  =====================================================================================

Usage errors never share a code with "changes", so a script can tell ``plan --env typo`` from a
plan with changes. Argument errors found by the parser itself become 64 in ``UsageCodeGroup``.
"""

from __future__ import annotations

import functools
import sys
import traceback
from collections.abc import Callable
from enum import IntEnum
from typing import Any, ParamSpec

import typer
from typer.core import TyperGroup

from reconciler import report
from reconciler.errors import SpecErrors, UsageError

P = ParamSpec("P")


class ExitCode(IntEnum):
    """What the process tells its caller (see the module's table)."""

    OK = 0
    FAILED = 1
    CHANGES = 2
    USAGE = 64
    INTERNAL = 70


_USAGE_ERROR: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")
"""The parser's usage error (click's, or the copy typer bundles)."""
_PASS_THROUGH: tuple[type[BaseException], ...] = (
    typer.Exit, typer.Abort, next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"))
"""The parser's own signals (a declined prompt, Ctrl-D, an exit code): never a bug."""


class UsageCodeGroup(TyperGroup):
    """The command group; the parser's usage errors (unknown option, bad value, missing argument) exit 64."""

    def make_context(self, info_name: Any, args: Any, parent: Any = None, **extra: Any) -> Any:
        """Parse the group's arguments; a usage error gets exit code 64."""
        try:
            return super().make_context(info_name, args, parent, **extra)
        except _USAGE_ERROR as exc:
            exc.exit_code = ExitCode.USAGE  # type: ignore[attr-defined]
            raise

    def invoke(self, ctx: Any) -> Any:
        """Parse the subcommand's arguments and run it; a usage error gets exit code 64."""
        try:
            return super().invoke(ctx)
        except _USAGE_ERROR as exc:
            exc.exit_code = ExitCode.USAGE  # type: ignore[attr-defined]
            raise


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
        except _PASS_THROUGH:
            raise  # the parser's own: a declined prompt, Ctrl-D
        except Exception as exc:  # noqa: BLE001 - anything else is a bug: say so, never "usage error"
            sys.stderr.write(internal_error(exc))
            return ExitCode.INTERNAL

    return wrapper


def internal_error(exc: BaseException) -> str:
    """The message for an exception nobody expected: what it was, the traceback, where to report it."""
    trace = "".join(traceback.format_exception(exc))
    return (f"internal error: {type(exc).__name__}: {exc}\n{trace}"
            "this is a bug in platformctl; please report it with the traceback above\n")
