"""Throughput of `reconciler.conformance.validate_object`, per kind and overall.

Usage: python -m bench.conformance_bench [N]   (N copies of each kind, default 2000)

Each copy gets its own name so nothing is cached per object; schemas are compiled
before timing starts (that one-off cost is printed separately). Prints figures only.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from reconciler.conformance import validate_object
from tests.conformance.objects import ALL_VALID, changed


def copies(kind: str, n: int) -> list[dict[str, Any]]:
    base = ALL_VALID[kind]()
    return [changed(base, "metadata.name", f"{base['metadata']['name'][:30]}-{i}") for i in range(n)]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    warm = time.perf_counter()
    for make in ALL_VALID.values():
        assert validate_object(make()) == [], make.__name__
    print(f"schema load + compile (one-off): {time.perf_counter() - warm:.2f} s")
    total_objects, total_time = 0, 0.0
    invalid_objs = [changed(ALL_VALID["InferenceService"](), "spec.predictor.scaleMetric", "qps") for _ in range(n)]
    for kind in ALL_VALID:
        objs = copies(kind, n)
        start = time.perf_counter()
        for obj in objs:
            validate_object(obj)
        elapsed = time.perf_counter() - start
        total_objects += n
        total_time += elapsed
        print(f"{kind:<22} {n / elapsed:>10,.0f} objects/s  ({elapsed / n * 1e6:7.1f} us/object)")
    print(f"{'overall (valid)':<22} {total_objects / total_time:>10,.0f} objects/s")
    start = time.perf_counter()
    for obj in invalid_objs:
        validate_object(obj)
    elapsed = time.perf_counter() - start
    print(f"{'invalid ISVC (slow path)':<22} {n / elapsed:>10,.0f} objects/s  ({elapsed / n * 1e6:7.1f} us/object)")


if __name__ == "__main__":
    main()
