"""Scale: cold apply and no-op reconcile of N objects spread over 3 clusters (3 test server processes).

Usage: python -m bench.scale_bench [TOTAL_OBJECTS]   (default 10000)
Prints per cluster: wall time, write requests, LIST requests (pages of 500) per kind.
"""

from __future__ import annotations

import concurrent.futures
import sys
import tempfile
import time
from pathlib import Path

from bench.apply_bench import Server, _Url, cluster_entry, latency_profile, manifests, product_cluster
from kubeserver.kubeconfig import write as write_kubeconfig
from reconciler.engine import Result, Target, reconcile

CLUSTERS = ("east", "west", "south")


def main(total: int) -> None:
    """Cold apply then no-op on three clusters at once; print figures."""
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        per_cluster = total // len(CLUSTERS)
        objects = manifests(per_cluster, tmp)
        servers = {name: Server() for name in CLUSTERS}
        try:
            config = write_kubeconfig(tmp / "config", {n: _Url(s.url, None) for n, s in servers.items()})
            made = {n: product_cluster(config, n) for n in CLUSTERS}
            clusters = {n: cluster for n, (cluster, _) in made.items()}
            options = made[CLUSTERS[0]][1]
            limit = cluster_entry(config, CLUSTERS[0]).rate_limit
            print(f"{len(objects)} objects per cluster x {len(CLUSTERS)} clusters; server: {latency_profile()}; "
                  f"rateLimit qps {limit.qps}, burst {limit.burst}, maxInFlight {limit.max_in_flight}")
            for phase in ("cold apply", "no-op"):
                for server in servers.values():
                    server.ask("reset")
                start = time.perf_counter()
                with concurrent.futures.ThreadPoolExecutor(len(CLUSTERS)) as pool:
                    results: list[Result] = list(pool.map(
                        lambda n: reconcile(clusters[n], Target("dev", n, "ml-dev", "bench", objects),
                                            options), CLUSTERS))
                wall = time.perf_counter() - start
                assert all(r.ok for r in results), [r.error for r in results]
                print(f"{phase}: {wall:.2f} s for {len(objects) * len(CLUSTERS)} objects")
                for name, server in servers.items():
                    counts = server.ask("counts")
                    writes = sum(v for k, v in counts.items() if k.split()[0] in ("patch", "create", "update", "delete")
                                 and "dry-run" not in k)
                    print(f"  {name}: writes {writes}, requests {sum(counts.values())} ({counts})")
        finally:
            for server in servers.values():
                server.close()


def peak_rss_mib() -> float:
    """This process's peak resident memory (the servers run in their own processes)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
    print(f"platformctl client peak RSS: {peak_rss_mib():.0f} MiB")
