"""The project's error types: one root, spec errors with locations, cluster errors with keys."""

from __future__ import annotations

from dataclasses import dataclass


class PlatformctlError(Exception):
    """Root of every error platformctl raises on purpose."""


@dataclass(frozen=True, slots=True, order=True)
class SpecError:
    """One problem in the platform spec, located at ``path:line:col`` (1-based)."""

    path: str
    line: int
    col: int
    message: str
    hint: str = ""

    def __str__(self) -> str:
        text = f"{self.path}:{self.line}:{self.col}: {self.message}"
        return f"{text}; {self.hint}" if self.hint else text


class SpecErrors(PlatformctlError):
    """Every problem found in one load, reported together."""

    def __init__(self, errors: list[SpecError]) -> None:
        self.errors = sorted(set(errors))
        super().__init__("\n".join(str(e) for e in self.errors))
