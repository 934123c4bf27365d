"""Render + conformance throughput on generated platforms (objects per CPU second, best of 3), and peak RSS.

Usage: python -m bench.render_bench [SIZES...] [--compare-gc]   (default: 1000)
"""

from __future__ import annotations

import gc
import resource
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.generate import generate
from bench.timing import RUNS, Timing, timed
from bench.validate_bench import linearity
from reconciler import collection
from reconciler.conformance import validate_object
from reconciler.render import render_environment
from reconciler.source.directory import DirectorySource
from reconciler.spec.document import Spec
from reconciler.spec.load import load


def main(sizes: list[int], compare: bool = False) -> None:
    """Print per size: objects rendered, render-only and render+conformance objects per CPU second (best of
    3, bench/timing.py; the wall seconds of the same run beside them); with ``compare``, also with the
    garbage-collector pause off, in the same run: what ``reconciler.collection`` buys."""
    print(f"{'components':>10} {'gc pause':>9} {'objects':>8} {'render s':>9} {'render obj/s':>13} "
          f"{'+conformance s':>15} {'obj/s':>9} {'wall s':>7}")
    rates: dict[bool, dict[int, float]] = {True: {}, False: {}}
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            spec = load(DirectorySource(generate(Path(tmp) / f"p{size}", size)))
            for env in spec.environments:  # warm-up: compile every schema once
                for objects in render_environment(spec, env, "warm").values():
                    for rendered in objects:
                        validate_object(rendered.manifest)
            for pausing in ((True, False) if compare else (True,)):
                collection.PAUSING = pausing
                run = min((_timed_run(spec) for _ in range(RUNS)), key=lambda r: r.total.cpu)
                rates[pausing][size] = run.objects / run.total.cpu
                print(f"{len(spec.components):>10} {'on' if pausing else 'off':>9} {run.objects:>8} "
                      f"{run.render.cpu:>9.3f} {run.objects / run.render.cpu:>13.0f} {run.total.cpu:>15.3f} "
                      f"{rates[pausing][size]:>9.0f} {run.total.wall:>7.2f}"
                      + (f"  ({run.invalid} invalid!)" if run.invalid else ""))
            collection.PAUSING = True
            del spec
    print(linearity(rates[True], "render+conformance obj/s"))
    if compare:
        print(linearity(rates[False], "render+conformance obj/s, gc pause off"))
        top = max(sizes)
        print(f"gc pause at {top}: {rates[True][top] / rates[False][top]:.2f}x the objects/s without it")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


@dataclass(frozen=True, slots=True)
class _Run:
    render: Timing
    total: Timing
    objects: int
    invalid: int


def _timed_run(spec: Spec) -> _Run:
    """Render every environment, then check every object (as reconciler.render.verify checks a rendered platform)."""
    gc.collect()
    render, manifests = timed(lambda: [r.manifest for env in spec.environments
                                       for objects in render_environment(spec, env, "bench").values() for r in objects])

    def check() -> int:
        with collection.collection_paused():
            return sum(1 for m in manifests if validate_object(m))

    conformance, invalid = timed(check)
    total = Timing(render.cpu + conformance.cpu, render.wall + conformance.wall)
    return _Run(render, total, len(manifests), invalid)


if __name__ == "__main__":
    arguments = sys.argv[1:]
    main([int(a) for a in arguments if a != "--compare-gc"] or [1000], compare="--compare-gc" in arguments)
