"""Validate throughput on generated platforms: components per CPU second (bench/timing.py) and peak RSS.

Usage: python -m bench.validate_bench [SIZES...]   (default: 100 1000 3000)
"""

from __future__ import annotations

import resource
import sys
import tempfile
from pathlib import Path

from bench.generate import generate
from bench.timing import best_of
from reconciler.source.directory import DirectorySource
from reconciler.spec.load import load


def main(sizes: list[int]) -> None:
    """Print one line per size: components, environments, CPU and wall seconds (best of 3), components/s."""
    print(f"{'components':>10} {'envs':>5} {'resolved':>9} {'cpu s':>8} {'wall s':>8} {'components/s':>13}")
    rates: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            root = generate(Path(tmp) / f"p{size}", size)
            timing, spec = best_of(lambda: load(DirectorySource(root)))  # noqa: B023 (called at once)
            resolved = sum(len(v.components) for v in spec.environments.values())
            rates[size] = len(spec.components) / timing.cpu
            print(f"{len(spec.components):>10} {len(spec.environments):>5} {resolved:>9} {timing.cpu:>8.3f} "
                  f"{timing.wall:>8.3f} {rates[size]:>13.0f}")
            del spec
    print(linearity(rates, "components/s"))
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak_mib:.0f} MiB")


def linearity(rates: dict[int, float], unit: str) -> str:
    """The rate at the largest size over the rate at the smallest size of at least 1,000 (1.0: linear)."""
    base = min((n for n in rates if n >= 1000), default=min(rates))
    top = max(rates)
    return f"linearity: {unit} at {top} / at {base} = {rates[top] / rates[base]:.2f} (1.00 is linear)"


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100, 1000, 3000])
