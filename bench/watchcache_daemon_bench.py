"""The daemon with its watch cache at N managed objects: requests of its drift checks and its peak RSS.

Usage: python -m bench.watchcache_daemon_bench [COMPONENTS] [--no-cache]
(default 7800: the dev environment the daemon manages renders 9,753 objects)

A generated platform (``bench.generate``) whose dev environment's cluster is a test API server in
its own process (``bench.serve``: its memory is not counted); the daemon (``build_service``, real
clock, no endpoints, no lease, drift check every 2 s) runs in this process and applies it. Once every
group of the cache is caught up, the requests the server saw during five drift checks are counted,
then the process's peak RSS (the daemon: Git source, load, render, conformance, apply, the cache;
plus this small harness) is printed. ``--no-cache`` runs the same daemon planning from LISTs.
``bench.memory_phases`` runs it with the process's memory printed at each phase.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.apply_bench import Server, _Url, peak_rss_mib
from bench.generate import generate
from kubeserver.kubeconfig import write as write_kubeconfig
from reconciler.daemon import DaemonConfig, build_service
from reconciler.observability.logging import configure_logging

KEY = ("dev", "c1")
CHECKS = 5
DEFAULT_COMPONENTS = 7800
"""Components whose dev environment renders ~10,000 objects (9,753)."""
MARK: Callable[[str], None] = lambda _label: None
"""Told of each phase of the harness (``bench.memory_phases`` prints the process's memory there)."""


def _repo(path: Path, components: int, kubeconfig: Path) -> Path:
    generate(path, components)
    env = path / "environments" / "dev.yaml"
    local = "clusters: [{name: c1, directory: .platformctl/clusters/dev}]"
    text = env.read_text()
    assert local in text, "the generated dev environment no longer uses a local directory"
    env.write_text(text.replace(local, f"clusters: [{{name: c1, kubeconfig: {{context: bench, path: {kubeconfig}}}}}]"))
    (path / ".gitignore").write_text("/.platformctl/\n")
    for args in (["init", "-q", "-b", "main"], ["config", "user.name", "Bench"],
                 ["config", "user.email", "bench@example.com"], ["add", "-A"], ["commit", "-q", "-m", "bench"]):
        subprocess.run(["git", "-C", str(path), *args], check=True)
    return path


def main(components: int, cache: bool, commit: bool = False) -> None:
    """Apply, warm the cache, count the requests of a few drift checks, print figures; ``commit``: then
    commit a change to one component and wait until the daemon applied it (a load while running)."""
    configure_logging(json=False, level="warning")
    with tempfile.TemporaryDirectory(prefix="watchcache-bench-") as tmp_name:
        tmp = Path(tmp_name)
        server = Server()
        try:
            kubeconfig = write_kubeconfig(tmp / "config", {"bench": _Url(server.url, server.token)})
            repo = _repo(tmp / "repo", components, kubeconfig)
            MARK("platform generated")
            policy = tmp / "operator-policy.yaml"
            policy.write_text("kind: OperatorPolicy\nspec: {kubeconfigDir: .}\n")
            config = DaemonConfig(repo=str(repo), environments=("dev",), listen=None, lease="none", watch=False,
                                  poll_interval=0.0, drift_interval=2.0, watch_cache=cache, log_level="warning",
                                  policy=policy)
            service = build_service(config, endpoints=False)
            MARK("service built")
            runner = threading.Thread(target=service.run, name="daemon", daemon=True)
            start = time.perf_counter()
            runner.start()
            daemon = service.daemon
            try:
                if not daemon.wait_until(lambda: KEY in daemon.pool.states
                                         and daemon.target(*KEY).applied is not None, 900):
                    raise SystemExit(f"never applied: {[(t.cluster, t.error) for t in daemon.targets()]}")
                state = daemon.target(*KEY)
                objects = len(state.objects)
                MARK("applied")
                print(f"{components} components, {objects} objects applied in {time.perf_counter() - start:.1f} s "
                      f"(watch cache {'on' if cache else 'off'})")
                informer = daemon.watches.informer(KEY)
                if informer is not None:
                    deadline = time.perf_counter() + 300
                    while not (informer.groups and all(informer.store.caught_up(g) for g in informer.groups)
                               and informer.store.counts().objects >= objects):
                        if time.perf_counter() > deadline:
                            raise SystemExit("the cache never caught up")
                        time.sleep(0.1)
                    counts = informer.store.counts()
                    print(f"cache: {len(informer.groups)} groups, {counts.objects} objects, "
                          f"{counts.bytes / 2**20:.1f} MiB of JSON")
                    MARK("cache caught up")
                    _reconciles(daemon, 2)  # the first checks still fall back for groups the apply left stale
                server.ask("reset")
                seconds = _reconciles(daemon, CHECKS)
                seen = server.ask("counts")
                MARK("steady state")
                print(f"{CHECKS} drift checks ({seconds / CHECKS:.2f} s apart): {sum(seen.values())} requests {seen}; "
                      f"error: {daemon.target(*KEY).error}")
                if commit:
                    _commit_one_change(repo, daemon)
                    MARK("second commit applied")
            finally:
                daemon.request_stop()
                runner.join(60)
        finally:
            server.close()


def _commit_one_change(repo: Path, daemon: Any) -> None:
    """One served model's maximum replicas changed in a new commit; returns once the daemon applied it."""
    component = repo / "components" / "serving" / "5.yaml"
    component.write_text(component.read_text().replace("max: 3", "max: 5"))
    subprocess.run(["git", "-C", str(repo), "commit", "-q", "-am", "model-5: 5 replicas at most"], check=True)
    head = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], check=True, capture_output=True,
                          text=True).stdout.strip()
    daemon.trigger.fire("bench")
    start = time.perf_counter()
    if not daemon.wait_until(lambda: daemon.target(*KEY).applied == head, 600):
        raise SystemExit(f"the second commit was never applied: {daemon.target(*KEY).error}")
    print(f"second commit (one object changed) applied {time.perf_counter() - start:.1f} s after it was made")


def _reconciles(daemon: object, count: int) -> float:
    """Wait for ``count`` more finished reconciles of the target; the seconds it took."""
    target = getattr(daemon, "target")
    start = time.perf_counter()
    for _ in range(count):
        before = target(*KEY).last_reconcile
        deadline = time.perf_counter() + 300
        while target(*KEY).last_reconcile == before:
            if time.perf_counter() > deadline:
                raise SystemExit("no drift check finished")
            time.sleep(0.02)
    return time.perf_counter() - start


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("components", type=int, nargs="?", default=DEFAULT_COMPONENTS)
    parser.add_argument("--no-cache", action="store_true")
    parser.add_argument("--commit", action="store_true", help="then apply a second commit (one change)")
    args = parser.parse_args()
    main(args.components, not args.no_cache, args.commit)
    print(f"daemon process peak RSS: {peak_rss_mib():.0f} MiB")
