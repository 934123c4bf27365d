"""Cold apply and no-op reconcile of N objects against the test API server, beside kubectl.

Usage: python -m bench.apply_bench [N ...]   (default: 100 1000 5000)
Each run gets a fresh server process (bench/serve.py) with the real upstream CRDs installed;
BENCH_RTT / BENCH_COMMIT give it a network round trip and an etcd commit time (see serve.py).
platformctl's client is built the way the product builds it (``connect`` of a cluster entry
with the default ``rateLimit``); BENCH_QPS (``auto``, a number, 0), BENCH_BURST and
BENCH_IN_FLIGHT override that entry's fields.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from bench.generate import generate
from kubeserver.kubeconfig import write as write_kubeconfig
from reconciler.cluster.connect import connect
from reconciler.cluster.kube.cluster import KubeCluster
from reconciler.engine import ApplyOptions, Target, reconcile
from reconciler.fleet import targets
from reconciler.policy.enforcement import Enforcement
from reconciler.policy.model import OperatorPolicy
from reconciler.source.directory import DirectorySource
from reconciler.spec.load import load
from reconciler.spec.models import Cluster as ClusterSpec

ROOT = Path(__file__).resolve().parents[1]


def cluster_entry(config: Path, context: str) -> ClusterSpec:
    """The environment entry a user would write, with the BENCH_* overrides of rateLimit."""
    limit: dict[str, Any] = {}
    qps = os.environ.get("BENCH_QPS")
    if qps:
        limit["qps"] = qps if qps == "auto" else float(qps)
    if os.environ.get("BENCH_BURST"):
        limit["burst"] = int(os.environ["BENCH_BURST"])
    in_flight = os.environ.get("BENCH_IN_FLIGHT") or os.environ.get("BENCH_CONCURRENCY")
    if in_flight:
        limit["maxInFlight"] = int(in_flight)
    return ClusterSpec.model_validate({"name": context, "kubeconfig": {"context": context, "path": str(config)},
                                       "rateLimit": limit})


def product_cluster(config: Path, context: str) -> tuple[KubeCluster, ApplyOptions]:
    """A client and apply options exactly as ``platformctl apply`` / the daemon make them."""
    entry = cluster_entry(config, context)
    # The operator's side: kubeconfig files of this bench live in its temporary directory.
    policy = OperatorPolicy.model_validate({"kind": "OperatorPolicy",
                                            "spec": {"kubeconfigDir": str(config.parent)}})
    cluster = connect(entry, config.parent, Enforcement.of(policy, "bench", config.parent))
    assert isinstance(cluster, KubeCluster)
    return cluster, ApplyOptions(concurrency=entry.rate_limit.max_in_flight)


def latency_profile() -> str:
    """The server's latency model, in words."""
    rtt = float(os.environ.get("BENCH_RTT") or os.environ.get("BENCH_LATENCY") or 0)
    commit = float(os.environ.get("BENCH_COMMIT") or 0)
    if not rtt and not commit:
        return "loopback, no added latency"
    return f"round trip {rtt * 1000:g} ms, commit {commit * 1000:g} ms on persisted writes"


class Server:
    """A `python -m bench.serve` process."""

    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "bench.serve"], cwd=ROOT, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        self.url, _, token = self.process.stdout.readline().strip().partition(" ")
        self.token = token or None

    def ask(self, command: str) -> dict[str, int]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        answer: dict[str, int] = json.loads(self.process.stdout.readline())
        return answer

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


class _Url:
    def __init__(self, url: str, token: str | None) -> None:
        self.url = url
        self.token = token


def manifests(count: int, tmp: Path) -> list[dict[str, Any]]:
    """``count`` rendered objects (namespace first) from a generated platform."""
    spec = load(DirectorySource(generate(tmp / "platform", max(8, count))))
    [target] = [t for t in targets(spec, "dev", "bench") if t.cluster == "c1"]
    return target.manifests[:count]


def run_platformctl(server: Server, config: Path, objects: list[dict[str, Any]]) -> list[str]:
    cluster, options = product_cluster(config, "bench")
    target = Target("dev", "bench", "ml-dev", "bench", objects)
    rows = []
    for label in ("cold apply", "no-op"):
        server.ask("reset")
        start = time.perf_counter()
        result = reconcile(cluster, target, options)
        elapsed = time.perf_counter() - start
        assert result.ok, result.error
        rows.append(f"platformctl {label:<10} {len(objects):>6} {elapsed:>8.2f} s  {_counts(server.ask('counts'))}")
    rows.append(f"platformctl peak RSS so far: {peak_rss_mib():.0f} MiB (this process: the generated platform, "
                "its render and both reconciles; before kubectl's YAML file is written)")
    return rows


def run_kubectl(server: Server, config: Path, objects: list[dict[str, Any]], tmp: Path) -> list[str]:
    path = tmp / "objects.yaml"
    path.write_text(yaml.safe_dump_all(objects, sort_keys=False))
    rows = []
    for label in ("cold apply", "no-op"):
        server.ask("reset")
        start = time.perf_counter()
        subprocess.run([kubectl_binary(), "--kubeconfig", str(config), "--context", "bench", "apply", "--server-side",
                        "--force-conflicts", "--field-manager", "kubectl-bench", "-f", str(path)],
                       check=True, capture_output=True)
        elapsed = time.perf_counter() - start
        rows.append(f"kubectl     {label:<10} {len(objects):>6} {elapsed:>8.2f} s  {_counts(server.ask('counts'))}")
    return rows


def kubectl_binary() -> str | None:
    """kubectl from PATH, else the one scripts/build-kube.sh built (same release as the real server)."""
    found = shutil.which("kubectl")
    if found:
        return found
    built = sorted(Path.home().glob(".cache/platformctl/kube/*/bin/kubectl"))
    return str(built[-1]) if built else None


def _counts(counts: dict[str, int]) -> str:
    total = sum(counts.values())
    return f"{total:>6} requests  " + ", ".join(f"{verb} {n}" for verb, n in sorted(counts.items()))


def main(sizes: list[int]) -> None:
    """Print one line per tool, phase and size."""
    entry = cluster_entry(Path("kubeconfig"), "bench").rate_limit
    kind = "real kube-apiserver (tests/realkube)" if os.environ.get("BENCH_SERVER") == "real" else "test server"
    print(f"server: {kind}, {latency_profile()}; platformctl rateLimit: qps {entry.qps}, burst {entry.burst}, "
          f"maxInFlight {entry.max_in_flight}")
    print(f"{'tool':<11} {'phase':<10} {'objects':>6} {'wall':>10}  requests")
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            objects = manifests(size, tmp)
            for tool in ("platformctl", "kubectl"):
                if tool == "kubectl" and kubectl_binary() is None:
                    print("kubectl not installed: skipped")
                    continue
                server = Server()
                try:
                    config = write_kubeconfig(tmp / f"config-{tool}", {"bench": _Url(server.url, server.token)})  # type: ignore[dict-item]
                    rows = (run_platformctl(server, config, objects) if tool == "platformctl"
                            else run_kubectl(server, config, objects, tmp))
                finally:
                    server.close()
                print("\n".join(rows), flush=True)


def peak_rss_mib() -> float:
    """This process's peak resident memory (the servers run in their own processes)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100, 1000, 5000])
    print(f"bench process peak RSS: {peak_rss_mib():.0f} MiB (kubectl's YAML file of the objects included)")
