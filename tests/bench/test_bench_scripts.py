"""The benchmark scripts still run: each at a tiny size, as `make bench` would run it (figures are not checked).

A product change that breaks a script (a new required argument, the operator policy refusing
its kubeconfig) would otherwise surface only when someone next measures.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_script(module: str, *args: str, timeout: float = 120) -> str:
    """`python -m MODULE ARGS` from the repository root, as `make bench` runs it; its stdout."""
    done = subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    return done.stdout


def test_apply_bench_applies_and_finds_nothing_to_do_on_the_second_run() -> None:
    out = run_script("bench.apply_bench", "20")
    assert re.search(r"^platformctl\s+cold apply\s+20\s", out, re.M)
    assert re.search(r"^platformctl\s+no-op\s+20\s.*\b8 requests\b", out, re.M)  # reads only


def test_scale_bench_applies_to_three_clusters() -> None:
    out = run_script("bench.scale_bench", "60")
    assert out.count("writes 0,") == 3  # the no-op phase writes nothing on any cluster


@pytest.mark.realkube  # only for its duration (a few seconds of waiting on the daemon)
def test_drift_bench_heals_a_hand_edit() -> None:
    out = run_script("bench.drift_bench", "--edits", "2", "--delay", "0")
    assert "0 s" in out and "never applied" not in out
