"""Shared helpers for resilience scenarios: generated platforms and fake clocks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bench.generate import generate
from reconciler.source.directory import DirectorySource
from reconciler.spec.document import Spec
from reconciler.spec.load import load


@dataclass
class FakeClock:
    """A monotonic clock that only moves when something sleeps."""

    now: float = 1000.0
    slept: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += max(0.0, seconds)


@pytest.fixture
def generated(tmp_path: Path) -> Callable[[int], Spec]:
    """A generated platform of about ``n`` components (three environments, one directory cluster each)."""
    def make(n: int) -> Spec:
        return load(DirectorySource(generate(tmp_path / f"platform-{n}", n)))

    return make
