"""Render + conformance throughput on generated platforms (objects/s), and peak RSS.

Usage: python -m bench.render_bench [SIZES...] [--compare-gc]   (default: 1000)
"""

from __future__ import annotations

import gc
import resource
import sys
import tempfile
import time
from pathlib import Path

from bench.generate import generate
from bench.validate_bench import linearity
from reconciler import collection
from reconciler.conformance import validate_object
from reconciler.render import render_environment
from reconciler.source.directory import DirectorySource
from reconciler.spec.load import load


def main(sizes: list[int], compare: bool = False) -> None:
    """Print per size: objects rendered, render-only and render+conformance objects/s (with ``compare``, also
    with the garbage-collector pause off, in the same run: what ``reconciler.collection`` buys)."""
    print(f"{'components':>10} {'gc pause':>9} {'objects':>8} {'render s':>9} {'render obj/s':>13} "
          f"{'+conformance s':>15} {'obj/s':>9}")
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
                gc.collect()
                start = time.perf_counter()
                manifests = [r.manifest for env in spec.environments
                             for objects in render_environment(spec, env, "bench").values() for r in objects]
                rendered_at = time.perf_counter()
                with collection.collection_paused():  # as reconciler.render.verify checks a rendered platform
                    invalid = sum(1 for m in manifests if validate_object(m))
                done = time.perf_counter()
                render_s, total_s = rendered_at - start, done - start
                rates[pausing][size] = len(manifests) / total_s
                print(f"{len(spec.components):>10} {'on' if pausing else 'off':>9} {len(manifests):>8} "
                      f"{render_s:>9.3f} {len(manifests) / render_s:>13.0f} {total_s:>15.3f} "
                      f"{len(manifests) / total_s:>9.0f}" + (f"  ({invalid} invalid!)" if invalid else ""))
                del manifests
            collection.PAUSING = True
            del spec
    print(linearity(rates[True], "render+conformance obj/s"))
    if compare:
        print(linearity(rates[False], "render+conformance obj/s, gc pause off"))
        top = max(sizes)
        print(f"gc pause at {top}: {rates[True][top] / rates[False][top]:.2f}x the objects/s without it")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    arguments = sys.argv[1:]
    main([int(a) for a in arguments if a != "--compare-gc"] or [1000], compare="--compare-gc" in arguments)
