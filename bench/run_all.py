"""Every benchmark in one run: validate+render throughput, apply beside kubectl, daemon latency, RSS.

Usage: python -m bench.run_all [APPLY_SIZES...]   (default: 100 1000 10000)
Each part runs in its own process (so its peak RSS is its own); apply lines are also summarised
as the ratio of kubectl's wall time to platformctl's. The apply comparison runs against three
server latency models (kubeserver ``set_latency``): loopback with none, a cluster in the
same datacenter, and a remote cluster.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PARTS = [
    ("validate", ["validate_bench", "1000"]),
    ("render + conformance", ["render_bench", "1000"]),
    ("diff between two revisions", ["diff_bench"]),
    ("daemon push-to-applied latency", ["daemon_latency_bench"]),
    ("daemon hand-edit-to-healed latency (drift watch)", ["drift_bench"]),
]
LATENCY_MODELS = [
    # (title, environment, sizes: None = the command line's)
    ("loopback, no added latency", {}, None),
    ("same datacenter: 1 ms round trip, 2 ms etcd commit", {"BENCH_RTT": "0.001", "BENCH_COMMIT": "0.002"}, None),
    ("remote cluster: 20 ms round trip, 2 ms etcd commit", {"BENCH_RTT": "0.02", "BENCH_COMMIT": "0.002"},
     ["100", "1000"]),
]
ROW = re.compile(r"^(platformctl|kubectl)\s+(cold apply|no-op)\s+(\d+)\s+([\d.]+) s")


def run(title: str, args: list[str], env: dict[str, str] | None = None) -> str:
    """Run one bench module (`python -m bench.NAME ARGS`), echo its output under a heading, return it."""
    prefix = "".join(f"{k}={v} " for k, v in (env or {}).items())
    print(f"\n## {title}  ({prefix}python -m bench.{' '.join(args)})", flush=True)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", f"bench.{args[0]}", *args[1:]], cwd=ROOT, capture_output=True,
                          text=True, env={**os.environ, **(env or {})})
    print(done.stdout.rstrip() + (f"\n{done.stderr.rstrip()}" if done.returncode else ""), flush=True)
    print(f"(took {time.perf_counter() - start:.0f} s)", flush=True)
    return done.stdout


def ratios(apply_output: str) -> list[str]:
    """kubectl wall time / platformctl wall time per phase and size."""
    walls: dict[tuple[str, str, str], float] = {}
    for line in apply_output.splitlines():
        match = ROW.match(line)
        if match:
            tool, phase, size, wall = match.groups()
            walls[(tool, phase, size)] = float(wall)
    lines = []
    for (tool, phase, size), wall in sorted(walls.items(), key=lambda kv: (int(kv[0][2]), kv[0][1])):
        theirs = walls.get(("kubectl", phase, size))
        if tool == "platformctl" and theirs:
            lines.append(f"{phase:<10} {size:>6} objects: platformctl {wall:.2f} s, kubectl {theirs:.2f} s, "
                         f"{theirs / wall:.1f}x")
    return lines


def main(sizes: list[str]) -> None:
    """All parts, then the apply ratios."""
    for title, args in PARTS:
        run(title, args)
    summary = []
    for title, env, model_sizes in LATENCY_MODELS:
        output = run(f"apply beside kubectl, {title}", ["apply_bench", *(model_sizes or sizes)], env)
        summary += [f"{title}:", *(f"  {line}" for line in ratios(output))]
    run("scale: 10,000 objects over 3 clusters, loopback", ["scale_bench", "10000"])
    print("\n## kubectl / platformctl wall-time ratio")
    print("\n".join(summary))


if __name__ == "__main__":
    main(sys.argv[1:] or ["100", "1000", "10000"])
