"""Hand-edit-to-healed latency of the daemon's drift watch, against the test API server.

Usage: python -m bench.drift_bench [--edits 15] [--delay 2.0]

The bundled platform's dev environment is pointed at a test API server (kubeserver, in
this process, real CRDs) instead of its local directory; the daemon (``build_service``, real
clock, no endpoints, no lease) applies it, then the InferenceService fraud-detector is edited
by hand (a merge patch by another field manager) again and again. The latency runs from the
edit's answer to the daemon's re-apply being visible on the server; the periodic drift check
is set to an hour so only the watch can heal in time. ``--delay`` is
``PLATFORMCTL_DRIFT_WATCH_DELAY`` (the default 2 s, and 0 to show detection alone).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from bench.daemon_latency_bench import make_repo
from kubeserver.server import KubeServer
from reconciler.daemon import DaemonConfig, build_service
from reconciler.observability.logging import configure_logging

ISVC = "/apis/serving.kserve.io/v1beta1/namespaces/ml-dev/inferenceservices/fraud-detector"


def point_dev_at(repo: Path, kubeconfig: Path) -> None:
    """Make the dev environment's cluster the test server (committed)."""
    env = repo / "environments" / "dev.yaml"
    text = env.read_text()
    local = "      directory: .platformctl/clusters/dev\n"
    assert local in text, "the dev environment no longer uses a local directory"
    env.write_text(text.replace(local, f"      kubeconfig: {{context: bench, path: {kubeconfig}}}\n"))


def min_replicas(server: KubeServer) -> int:
    found = server.get_object("serving.kserve.io", "inferenceservices", "fraud-detector", "ml-dev")
    assert found is not None
    return int(found["spec"]["predictor"]["minReplicas"])


def hand_edit(server: KubeServer, replicas: int) -> None:
    request = urllib.request.Request(f"{server.url}{ISVC}?fieldManager=kubectl-edit", method="PATCH",
                                     data=json.dumps({"spec": {"predictor": {"minReplicas": replicas}}}).encode(),
                                     headers={"Content-Type": "application/merge-patch+json"})
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - loopback test server
        assert answer.status == 200


def measure(edits: int, delay: float) -> list[float]:
    """Latencies of ``edits`` hand edits, each healed before the next."""
    with tempfile.TemporaryDirectory(prefix="drift-bench-") as tmp, KubeServer("bench") as server:
        server.install_crds()
        kubeconfig = server.write_kubeconfig(Path(tmp) / "kubeconfig")
        repo = make_repo(Path(tmp) / "repo")
        point_dev_at(repo, kubeconfig)
        subprocess.run(["git", "-C", str(repo), "commit", "-q", "-am", "dev on the test server"], check=True)
        policy = Path(tmp) / "operator-policy.yaml"  # the operator's side: kubeconfigs live in tmp
        policy.write_text("kind: OperatorPolicy\nspec: {kubeconfigDir: .}\n")
        config = DaemonConfig(repo=str(repo), environments=("dev",), listen=None, lease="none", watch=False,
                              poll_interval=0.0, drift_interval=3600.0, drift_watch_delay=delay,
                              log_level="warning", policy=policy)
        service = build_service(config, endpoints=False)
        runner = threading.Thread(target=service.run, name="daemon", daemon=True)
        runner.start()
        try:
            if not service.daemon.wait_until(lambda: any(t.applied for t in service.daemon.targets()), 60):
                raise SystemExit("the platform was never applied")
            wanted = min_replicas(server)
            time.sleep(1.0)  # let the watches open
            latencies = []
            for i in range(edits):
                hand_edit(server, wanted + 5 + i)
                edited = time.perf_counter()
                while min_replicas(server) != wanted:
                    if time.perf_counter() - edited > 60:
                        raise SystemExit(f"edit {i} was never healed")
                    time.sleep(0.005)
                latencies.append(time.perf_counter() - edited)
        finally:
            service.daemon.request_stop()
            runner.join(30)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=15)
    parser.add_argument("--delay", type=float, action="append", help="drift watch delay(s), seconds")
    args = parser.parse_args()
    configure_logging(json=False, level="warning")
    print(f"hand-edit-to-healed latency, {args.edits} edits of one InferenceService, periodic check 1 h")
    print(f"{'watch delay':<14}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    for delay in args.delay or [2.0, 0.0]:
        found = measure(args.edits, delay)
        cuts = statistics.quantiles(found, n=100, method="inclusive")
        print(f"{f'{delay:g} s':<14}{cuts[49] * 1000:>9.0f}{cuts[94] * 1000:>9.0f}{max(found) * 1000:>9.0f}")


if __name__ == "__main__":
    main()
