"""Where the daemon's memory goes: VmRSS and VmHWM after each phase of ``bench.watchcache_daemon_bench``.

Usage: python -m bench.memory_phases [COMPONENTS] [--no-cache] [--commit] [--tracemalloc N]

Runs the daemon bench with its phases wrapped (Git read, spec load, conformance, render, each
reconcile's live read, plan, dry runs, apply, prune, the daemon's bookkeeping) and prints, per call,
the process's resident memory when it began and ended and its peak so far (``/proc/self/status``).
``--tracemalloc N`` also prints the N biggest allocation sites alive at the end of each phase (slow:
tracing doubles the run's time and adds its own memory, so RSS figures of such a run are not the
bench's).
"""

from __future__ import annotations

import argparse
import functools
import importlib
import threading
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import bench.watchcache_daemon_bench as daemon_bench

PHASES: tuple[tuple[str, str, str], ...] = (
    ("reconciler.source.tracking", "LocalGitSource.read", "git read"),
    ("reconciler.checked", "load", "spec load"),
    ("reconciler.checked", "verify", "conformance"),
    ("reconciler.daemon.revisions", "_desired", "render"),
    ("reconciler.engine", "read_state", "live read"),
    ("reconciler.engine", "make_plan", "plan"),
    ("reconciler.engine", "_dry_run", "dry run"),
    ("reconciler.engine", "_apply", "apply"),
    ("reconciler.engine", "_prune", "prune"),
    ("reconciler.daemon.worker", "reconcile", "reconcile"),
    ("reconciler.daemon.history", "History.record", "history"),
    ("reconciler.daemon.outcomes", "OutcomeRecorder.record", "record"),
)

_lock = threading.Lock()
_top = 0
_rows: list[str] = []


def status_mib() -> tuple[float, float]:
    """(VmRSS, VmHWM) of this process in MiB."""
    values = {}
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(("VmRSS:", "VmHWM:")):
                name, amount, _unit = line.split()
                values[name] = int(amount) / 1024
    return values["VmRSS:"], values["VmHWM:"]


def _note(text: str) -> None:
    with _lock:
        _rows.append(text)
        print(text, flush=True)


def mark(label: str) -> None:
    """One line: the figures now."""
    rss, hwm = status_mib()
    _note(f"{time.strftime('%H:%M:%S')} {label:<28} rss {rss:6.0f}  hwm {hwm:6.0f}")
    if _top:
        _tops(label)


_previous: tracemalloc.Snapshot | None = None


def _tops(label: str) -> None:
    """The biggest changes since the last snapshot, each charged to the innermost frame in reconciler/
    (or in bench/; else the allocating line itself)."""
    global _previous
    snapshot = tracemalloc.take_snapshot().filter_traces((tracemalloc.Filter(False, tracemalloc.__file__),))
    traced, peak = tracemalloc.get_traced_memory()
    _note(f"    tracemalloc after {label}: {traced / 2**20:.1f} MiB traced, peak {peak / 2**20:.1f} MiB")
    now = _by_site(snapshot)
    before = _by_site(_previous) if _previous is not None else {}
    changes = sorted(((size - before.get(site, (0, 0))[0], size, count, site) for site, (size, count) in now.items()),
                     key=lambda row: -abs(row[0]))
    for change, size, count, site in changes[:_top]:
        _note(f"      {change / 2**20:+7.1f} MiB (now {size / 2**20:6.1f} MiB, {count:7d} blocks)  {site}")
    _previous = snapshot
    tracemalloc.reset_peak()


def _by_site(snapshot: tracemalloc.Snapshot) -> dict[str, tuple[int, int]]:
    sites: dict[str, tuple[int, int]] = {}
    for stat in snapshot.statistics("traceback"):
        frames = list(stat.traceback)  # most recent call last
        ours = [f for f in frames if "/reconciler/" in f.filename or "/bench/" in f.filename]
        frame = ours[-1] if ours else frames[-1]
        site = f"{frame.filename.split('/wt-mem/')[-1]}:{frame.lineno}"
        size, count = sites.get(site, (0, 0))
        sites[site] = (size + stat.size, count + stat.count)
    return sites


def _wrap(module_name: str, qualified: str, label: str) -> None:
    module = importlib.import_module(module_name)
    owner: Any = module
    *path, name = qualified.split(".")
    for part in path:
        owner = getattr(owner, part)
    original: Callable[..., Any] = getattr(owner, name)

    @functools.wraps(original)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        rss, hwm = status_mib()
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            after, peak = status_mib()
            _note(f"{time.strftime('%H:%M:%S')} {label:<28} rss {rss:6.0f} -> {after:6.0f}  "
                  f"hwm {hwm:6.0f} -> {peak:6.0f}  ({time.perf_counter() - started:.2f} s)")
            if _top and label not in ("plan", "history", "record"):
                _tops(label)

    setattr(owner, name, wrapped)


def main() -> None:
    global _top
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("components", type=int, nargs="?", default=daemon_bench.DEFAULT_COMPONENTS)
    parser.add_argument("--no-cache", action="store_true")
    parser.add_argument("--commit", action="store_true", help="then apply a second commit (one change)")
    parser.add_argument("--tracemalloc", type=int, default=0, metavar="N")
    args = parser.parse_args()
    _top = args.tracemalloc
    if _top:
        tracemalloc.start(12)
    for module_name, qualified, label in PHASES:
        _wrap(module_name, qualified, label)
    daemon_bench.MARK = mark
    mark("start")
    daemon_bench.main(args.components, not args.no_cache, args.commit)
    mark("end")


if __name__ == "__main__":
    main()
