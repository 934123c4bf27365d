"""Reads from watches: a no-op reconcile of N objects planned from LISTs and from the watch cache,
and the memory the cache costs.

Usage: python -m bench.watchcache_bench [TOTAL_OBJECTS]   (default 10000)

One test API server process (``bench.serve``). In this process, as in the daemon: the worker's
client wrapped in ``CachedCluster``, an ``Informer`` on a second client (the drift watches'), the
generated platform loaded and rendered, a cold apply (the cache watches every group it read),
then no-op reconciles: with plain LISTs (what the CLI does) and from the warm cache. Prints wall
time and requests of each, the objects the cache holds, the RSS the cache added, and the peak RSS
of the process (platform, render, apply and cache included).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import psutil

from bench.apply_bench import Server, _Url, manifests, peak_rss_mib, product_cluster
from kubeserver.kubeconfig import write as write_kubeconfig
from reconciler.cluster.kube.cached import CachedCluster
from reconciler.cluster.kube.informer import Informer
from reconciler.engine import Result, Target, reconcile


def _rss_mib() -> float:
    return float(psutil.Process().memory_info().rss) / 2**20


def main(total: int) -> None:
    """Cold apply, then a no-op from LISTs and one from the cache; print figures."""
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        objects = manifests(total, tmp)
        server = Server()
        try:
            config = write_kubeconfig(tmp / "config", {"bench": _Url(server.url, server.token)})
            worker, options = product_cluster(config, "bench")
            watcher, _ = product_cluster(config, "bench")
            informer = Informer(watcher)
            target = Target("dev", "bench", "ml-dev", "bench", objects)
            result = reconcile(worker, target, options)
            assert result.ok, result.error
            del result
            print(f"{len(objects)} objects applied; RSS {_rss_mib():.0f} MiB before the cache")

            rows = []
            server.ask("reset")
            start = time.perf_counter()
            listed = reconcile(worker, target, options)
            rows.append(_row("no-op from LISTs", listed, time.perf_counter() - start, server.ask("counts")))
            del listed

            before = _rss_mib()
            cached = CachedCluster(worker, lambda: informer)
            cold = reconcile(cached, target, options)  # reads fall back to LISTs and start the watches
            assert cold.ok, cold.error
            del cold
            start = time.perf_counter()
            deadline = start + 300
            while not (informer.groups and all(informer.store.caught_up(g) for g in informer.groups)):
                assert time.perf_counter() < deadline, "the cache never caught up"
                time.sleep(0.05)
            warm_seconds = time.perf_counter() - start
            counts = informer.store.counts()
            after = _rss_mib()
            print(f"cache warm {warm_seconds:.2f} s after the first cached reconcile: {len(informer.groups)} "
                  f"groups, {counts.objects} objects held in {counts.bytes / 2**20:.1f} MiB of JSON; RSS "
                  f"{after:.0f} MiB (+{after - before:.0f} MiB, the cached reconcile's own allocations included)")

            for label in ("no-op from the cache", "no-op from the cache (again)"):
                server.ask("reset")
                cached.reset()
                start = time.perf_counter()
                done = reconcile(cached, target, options)
                rows.append(_row(label, done, time.perf_counter() - start, server.ask("counts")))
                del done
            print("\n".join(rows))
            informer.stop()
        finally:
            server.close()


def _row(label: str, result: Result, seconds: float, counts: dict[str, int]) -> str:
    assert result.ok, result.error
    changed = sum(1 for c in result.changes if c.action.value != "unchanged")
    return f"{label:<30} {seconds:>7.3f} s  requests {sum(counts.values()):>4} {counts}  changes {changed}"


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
    print(f"peak RSS of this process: {peak_rss_mib():.0f} MiB")
