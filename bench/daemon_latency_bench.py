"""Push-to-applied latency of the daemon on a local repository, with the ref watcher and with polling.

Usage: python -m bench.daemon_latency_bench [--commits 25] [--poll 1.0]

For each mode a fresh temporary Git repository holds the bundled platform; the daemon
(``build_service``, real clock, no endpoints, no lease) manages its ``dev`` environment, whose
cluster is a local directory. Each commit changes one notebook's CPU request with the git CLI;
the latency runs from ``git commit`` returning to the daemon recording the commit as applied
(source refresh, signature-free load + conformance check + render, then the apply). Commits
are spaced by a random pause of up to one poll interval, so they land at random phases of
the poll cycle. The
daemon runs in this process, so the RSS figures include the (small) benchmark harness.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import psutil

from bench.generate import copy_platform
from reconciler.daemon import DaemonConfig, build_service
from reconciler.observability.logging import configure_logging

NOTEBOOK = "components/notebooks/analytics.yaml"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


def make_repo(path: Path) -> Path:
    copy_platform(path)
    (path / ".gitignore").write_text("/.platformctl/\n")
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.name", "Bench")
    git(path, "config", "user.email", "bench@example.com")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "initial platform")
    return path


def set_cpu(repo: Path, value: int) -> None:
    target = repo / NOTEBOOK
    lines = target.read_text().splitlines(keepends=True)
    target.write_text("".join(f'    cpu: "{value}"\n' if line.startswith("    cpu:") else line for line in lines))


def measure(mode: str, commits: int, poll: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix=f"daemon-bench-{mode}-") as tmp:
        repo = make_repo(Path(tmp) / "repo")
        config = DaemonConfig(repo=str(repo), environments=("dev",), listen=None, lease="none",
                              watch=mode == "watch", poll_interval=0.0 if mode == "watch" else poll,
                              drift_interval=0.0, log_level="warning")
        service = build_service(config, endpoints=False)
        daemon = service.daemon
        runner = threading.Thread(target=service.run, name="daemon", daemon=True)
        runner.start()

        def applied(sha: str) -> bool:
            return any(t.applied == sha for t in daemon.targets())

        head = git(repo, "rev-parse", "HEAD")
        if not daemon.wait_until(lambda: applied(head), 60):
            raise SystemExit(f"{mode}: the initial revision was never applied")
        latencies: list[float] = []
        commit_times: list[float] = []
        pauses = random.Random(7)
        for i in range(commits):
            # Commits land at random phases of the poll cycle (else each would wait a full interval).
            time.sleep(pauses.uniform(0, poll))
            set_cpu(repo, 3 + i % 2)  # alternate 3 and 4 CPUs: every commit changes one object
            started = time.perf_counter()
            git(repo, "commit", "-q", "-am", f"analytics: {3 + i % 2} CPUs ({i})")
            committed = time.perf_counter()
            sha = git(repo, "rev-parse", "HEAD")
            if not daemon.wait_until(lambda sha=sha: applied(sha), 60):  # type: ignore[misc]
                raise SystemExit(f"{mode}: commit {i} was never applied")
            latencies.append(time.perf_counter() - committed)
            commit_times.append(committed - started)
        rss = psutil.Process().memory_info().rss
        daemon.request_stop()
        runner.join(30)
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {"p50": cuts[49], "p95": cuts[94], "max": max(latencies), "mean": statistics.fmean(latencies),
            "git_commit": statistics.median(commit_times), "rss": rss}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=25)
    parser.add_argument("--poll", type=float, default=1.0, help="poll interval of the polling mode, seconds")
    args = parser.parse_args()
    configure_logging(json=False, level="warning")
    baseline = psutil.Process().memory_info().rss
    print(f"push-to-applied latency, {args.commits} commits, dev environment (18 objects, local directory)")
    print(f"{'mode':<16}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'mean ms':>9}{'commit ms':>11}{'RSS MiB':>9}")
    for mode in ("watch", "poll"):
        found = measure(mode, args.commits, args.poll)
        label = "watcher" if mode == "watch" else f"poll {args.poll:g}s"
        print(f"{label:<16}{found['p50'] * 1000:>9.0f}{found['p95'] * 1000:>9.0f}{found['max'] * 1000:>9.0f}"
              f"{found['mean'] * 1000:>9.0f}{found['git_commit'] * 1000:>11.0f}{found['rss'] / 2**20:>9.1f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"RSS: {baseline / 2**20:.1f} MiB after imports, peak {peak:.1f} MiB (daemon and harness in one process)")


if __name__ == "__main__":
    main()
