"""Run one test API server (kubeserver) in its own process for benchmarks.

Latency model (seconds, all optional; see KubeServer.set_latency):
  BENCH_RTT     added to every request, the network round trip to a remote cluster
                (BENCH_LATENCY is kept as an alias, used when BENCH_RTT is unset);
  BENCH_COMMIT  added to writes that change storage (2xx, not dryRun=All, not no-ops), the
                etcd commit a real apiserver waits for; reads and dry-runs skip it.
BENCH_SERVER=real serves a real kube-apiserver + etcd (tests/realkube, built by
scripts/build-kube.sh) through its recording proxy, which applies the same latency model;
the first line then carries the URL and the admin token.
Prints its URL on the first line, then request counts as JSON whenever a line arrives on
stdin ("counts" / "reset"); exits when stdin closes.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from kubeserver.server import KubeServer


def main() -> None:
    """Serve until stdin closes."""
    if os.environ.get("BENCH_SERVER") == "real":
        from tests.realkube.pool import POOL

        real = POOL.acquire()  # every upstream CRD already served
        try:
            serve(real, f"{real.url} {real.token}")
        finally:
            POOL.stop()
        return
    with KubeServer("bench", history=200_000) as server:
        server.install_crds()
        serve(server, server.url)


def serve(server: Any, first_line: str) -> None:
    """Set the latency model, announce ``first_line``, answer commands until stdin closes."""
    rtt = float(os.environ.get("BENCH_RTT") or os.environ.get("BENCH_LATENCY") or "0")
    server.set_latency(rtt=rtt, commit=float(os.environ.get("BENCH_COMMIT") or "0"))
    print(first_line, flush=True)
    for line in sys.stdin:
        command = line.strip()
        if command == "reset":
            server.reset_requests()
            print("{}", flush=True)
        elif command == "counts":
            counts: dict[str, int] = {}
            for record in server.requests:
                verb = record.verb + (" (dry-run)" if "dryRun=All" in record.path else "")
                counts[verb] = counts.get(verb, 0) + 1
            print(json.dumps(counts, sort_keys=True), flush=True)


if __name__ == "__main__":
    main()
