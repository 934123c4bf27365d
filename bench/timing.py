"""Timing for the single-threaded benches: this process's CPU seconds, best of a few runs.

The development machine is shared (2 cores; test runs and other jobs come and go), so wall time
of one pass can double from one run to the next while the CPU time it costs stays within a few
per cent. Benches of pure computation (load, render, conformance) report CPU seconds as their
figure, and the wall time of the same run beside it; on an idle machine the two agree.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")
RUNS = 3


@dataclass(frozen=True, slots=True, order=True)
class Timing:
    """CPU and wall seconds of one run (ordered by CPU seconds)."""

    cpu: float
    wall: float


def timed(work: Callable[[], T]) -> tuple[Timing, T]:
    """Run ``work`` once: its timing and its result."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return Timing(time.process_time() - cpu, time.perf_counter() - wall), result


def best_of(work: Callable[[], T], runs: int = RUNS) -> tuple[Timing, T]:
    """The run of ``work`` that cost the least CPU time, and its result."""
    results = [timed(work) for _ in range(runs)]
    return min(results, key=lambda pair: pair[0])
