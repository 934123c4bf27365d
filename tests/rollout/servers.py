"""Real parts for rollout tests: Prometheus (Debian's package) on loopback, scraping a small exporter
that plays a model server's request counters per version (a healthy one and one answering errors).

Both stop by themselves: the exporter is a daemon thread of the test process, Prometheus runs
under ``timeout`` (and is stopped by the fixture when the tests end).
"""

from __future__ import annotations

import http.server
import json
import shutil
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

REQUESTS_PER_SECOND = 50.0
PROMETHEUS_LIFETIME = 900
"""Seconds after which Prometheus ends on its own, whatever happens to the test process."""
ERROR_RATE_QUERY = ('(sum(rate(model_requests_total{version="$version",code=~"5.."}[5s])) or vector(0))'
                    ' / sum(rate(model_requests_total{version="$version"}[5s]))')
"""The fraction of the new version's requests that failed, over the last five seconds."""


class Exporter:
    """Serves ``/metrics``: ``model_requests_total{version, code}`` growing at REQUESTS_PER_SECOND per
    version, a share ``errors[version]`` of them with code 500."""

    def __init__(self, errors: Mapping[str, float]) -> None:
        self.errors = dict(errors)
        self._start = time.monotonic()
        exporter = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                body = exporter.text().encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: object) -> None:
                return

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, name="exporter", daemon=True).start()

    def text(self) -> str:
        elapsed = time.monotonic() - self._start
        lines = ["# TYPE model_requests_total counter"]
        for version, share in sorted(self.errors.items()):
            total = REQUESTS_PER_SECOND * elapsed
            lines.append(f'model_requests_total{{version="{version}",code="500"}} {total * share:.3f}')
            lines.append(f'model_requests_total{{version="{version}",code="200"}} {total * (1 - share):.3f}')
        return "\n".join(lines) + "\n"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass
class PrometheusServer:
    """A Prometheus process on 127.0.0.1 with its data in a temporary directory."""

    url: str
    process: subprocess.Popen[bytes]

    def query(self, promql: str) -> list[object]:
        address = f"{self.url}/api/v1/query?{urllib.parse.urlencode({'query': promql})}"
        with urllib.request.urlopen(address, timeout=5) as answer:  # noqa: S310 - loopback
            return list(json.loads(answer.read())["data"]["result"])

    def wait_for(self, promql: str, timeout: float = 60.0) -> None:
        """Until ``promql`` returns a sample (Prometheus has scraped enough for a rate)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.query(promql):
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"Prometheus returned no sample for {promql} within {timeout}s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_prometheus(directory: Path, target_port: int) -> PrometheusServer:
    """Prometheus scraping ``127.0.0.1:target_port`` every second; ready when it answers /-/ready."""
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail("prometheus is not installed: run `make prometheus` (apt-get install prometheus)")
    config = directory / "prometheus.yml"
    config.write_text("global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
                      "scrape_configs:\n"
                      "  - job_name: model\n"
                      f"    static_configs: [{{targets: ['127.0.0.1:{target_port}']}}]\n")
    port = _free_port()
    log = (directory / "prometheus.log").open("wb")
    process = subprocess.Popen(
        ["timeout", str(PROMETHEUS_LIFETIME), binary, f"--config.file={config}",
         f"--storage.tsdb.path={directory / 'data'}", f"--web.listen-address=127.0.0.1:{port}"],
        stdout=log, stderr=subprocess.STDOUT)
    server = PrometheusServer(f"http://127.0.0.1:{port}", process)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"prometheus exited: {(directory / 'prometheus.log').read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{server.url}/-/ready", timeout=2) as answer:  # noqa: S310
                if answer.status == 200:
                    return server
        except OSError:
            time.sleep(0.2)
    server.stop()
    raise AssertionError("prometheus did not become ready within 60s")


@pytest.fixture(scope="module")
def model_metrics(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Exporter, PrometheusServer]]:
    """The exporter (versions 7, 8 and 10 healthy, 9 failing a third of its requests) and Prometheus scraping it."""
    exporter = Exporter({"7": 0.0, "8": 0.0, "9": 0.3, "10": 0.0})
    prometheus = start_prometheus(tmp_path_factory.mktemp("prometheus"), exporter.port)
    try:
        yield exporter, prometheus
    finally:
        prometheus.stop()
        exporter.close()
