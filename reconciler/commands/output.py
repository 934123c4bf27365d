"""How commands print: text to stdout and stderr, JSON documents, fixed-width tables."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from enum import Enum
from typing import Any

from reconciler.commands.outcome import Outcome


class Output(str, Enum):
    """The ``--output`` formats most commands take."""

    text = "text"
    json = "json"


class Format(str, Enum):
    """Error annotation formats."""

    plain = "plain"
    github = "github"


class RenderOutput(str, Enum):
    """Render output formats."""

    yaml = "yaml"
    json = "json"


class ReviewOutput(str, Enum):
    """Diff output formats."""

    text = "text"
    json = "json"
    markdown = "markdown"


def emit(out: str = "", err: str = "") -> None:
    """Write ``out`` to stdout and ``err`` to stderr (either may be empty)."""
    if out:
        sys.stdout.write(out)
    if err:
        sys.stderr.write(err)


def emit_outcome(outcome: Outcome) -> int:
    """Print what a command produced; its exit code."""
    emit(outcome.stdout, outcome.stderr)
    return outcome.code


def json_text(data: Any, *, sort_keys: bool = False) -> str:
    """A JSON document, indented by two, with a final newline (``sort_keys``: stable key order)."""
    return json.dumps(data, indent=2, sort_keys=sort_keys, default=str) + "\n"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Fixed-width lines, columns two spaces apart; the last column is not padded, trailing space trimmed."""
    lines = [header, *rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
    return [("  ".join(v.ljust(w) for v, w in zip(line[:-1], widths, strict=True)) + "  " + line[-1]).rstrip()
            for line in lines]
