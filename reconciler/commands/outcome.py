"""What a command hands back to the CLI: an exit code and the text for stdout and stderr."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Outcome:
    """Exit code and what to print."""

    code: int
    stdout: str = ""
    stderr: str = ""
