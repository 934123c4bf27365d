"""Render + conformance throughput on generated platforms (objects/s), and peak RSS.

Usage: python -m bench.render_bench [SIZES...]   (default: 1000)
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

from bench.generate import generate
from bench.validate_bench import linearity
from reconciler.collection import collection_paused
from reconciler.conformance import validate_object
from reconciler.render import render_environment
from reconciler.source.directory import DirectorySource
from reconciler.spec.load import load


def main(sizes: list[int]) -> None:
    """Print per size: objects rendered, render-only and render+conformance objects/s."""
    print(f"{'components':>10} {'objects':>8} {'render s':>9} {'render obj/s':>13} {'+conformance s':>15} {'obj/s':>9}")
    rates: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            spec = load(DirectorySource(generate(Path(tmp) / f"p{size}", size)))
            for env in spec.environments:  # warm-up: compile every schema once
                for objects in render_environment(spec, env, "warm").values():
                    for rendered in objects:
                        validate_object(rendered.manifest)
            start = time.perf_counter()
            manifests = [r.manifest for env in spec.environments
                         for objects in render_environment(spec, env, "bench").values() for r in objects]
            rendered_at = time.perf_counter()
            with collection_paused():  # as reconciler.render.verify checks a rendered platform
                invalid = sum(1 for m in manifests if validate_object(m))
            done = time.perf_counter()
            render_s, total_s = rendered_at - start, done - start
            rates[size] = len(manifests) / total_s
            print(f"{len(spec.components):>10} {len(manifests):>8} {render_s:>9.3f} {len(manifests) / render_s:>13.0f} "
                  f"{total_s:>15.3f} {len(manifests) / total_s:>9.0f}" + (f"  ({invalid} invalid!)" if invalid else ""))
    print(linearity(rates, "render+conformance obj/s"))
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000])
