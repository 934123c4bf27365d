"""Progress of a long apply on a terminal: a bar per cluster and one line per object as it is written.

Only when stdout is a terminal: piped or redirected output (CI, ``--output json``) stays exactly the
summary printed at the end.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from reconciler.engine import WRITTEN, ApplyProgress, Change, ChangeAction, Target

_STYLE = {ChangeAction.CREATED: "green", ChangeAction.CONFIGURED: "yellow", ChangeAction.REPLACED: "magenta",
          ChangeAction.PRUNED: "red", ChangeAction.FAILED: "bold red", ChangeAction.REFUSED: "bold red"}


def for_apply(*, text: bool) -> contextlib.AbstractContextManager[ApplyProgress | None]:
    """A progress bar with a line per object when text goes to a terminal; nothing otherwise."""
    if text and wanted():
        return TerminalProgress()
    return contextlib.nullcontext()


def reading(environment: str) -> contextlib.AbstractContextManager[object]:
    """A spinner on stderr while the clusters of ``environment`` are read and planned (a terminal only)."""
    if not wanted(sys.stderr):
        return contextlib.nullcontext()
    return Console(file=sys.stderr).status(f"reading the clusters of {escape(environment)} and planning...")


def wanted(stream: TextIO | None = None) -> bool:
    """Whether progress should be shown: stdout (or ``stream``) is a terminal."""
    stream = stream if stream is not None else sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())


class TerminalProgress:
    """An ``engine.ApplyProgress`` drawn with rich; use it as a context manager around the apply."""

    def __init__(self, console: Console | None = None) -> None:
        self._console = console or Console(file=sys.stdout)
        self._bars = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                              TimeElapsedColumn(), console=self._console, transient=True)
        self._tasks: dict[tuple[str, str], TaskID] = {}
        self._lock = threading.Lock()

    def __enter__(self) -> TerminalProgress:
        self._bars.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._bars.stop()

    def started(self, target: Target, total: int) -> None:
        """A bar for the target's cluster."""
        with self._lock:
            self._tasks[(target.environment, target.cluster)] = self._bars.add_task(
                f"{target.environment}/{target.cluster}", total=total)

    def finished(self, target: Target, change: Change) -> None:
        """A line for every object written, pruned or refused; the bar moves on."""
        if change.action not in WRITTEN and change.action is not ChangeAction.REFUSED:
            return
        with self._lock:
            task = self._tasks.get((target.environment, target.cluster))
        message = f" ({change.message})" if change.message else ""
        style = _STYLE.get(change.action, "")
        self._bars.console.print(f"{escape(target.cluster)}: [{style}]{change.action}[/] "
                                 f"{escape(str(change.key))}{escape(message)}", highlight=False)
        if task is not None and change.action in WRITTEN:
            self._bars.advance(task)
