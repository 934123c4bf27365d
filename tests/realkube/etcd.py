"""etcd on loopback, and the key operations a reset between tests needs (through its JSON gateway)."""

from __future__ import annotations

import base64
import json
import time
import urllib.request
from pathlib import Path
from typing import Any

from tests.realkube.binaries import binary
from tests.realkube.process import Child, free_port


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _prefix_end(prefix: str) -> str:
    """etcd's range end for "every key starting with prefix"."""
    raw = bytearray(prefix.encode())
    raw[-1] += 1
    return base64.b64encode(bytes(raw)).decode()


class Etcd:
    """One etcd member with its data in a temporary directory; several apiservers may share it."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        peer = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        directory.mkdir(parents=True, exist_ok=True)
        self.child = Child("etcd", [
            binary("etcd"), "--name=test", f"--data-dir={directory / 'data'}",
            f"--listen-client-urls={self.url}", f"--advertise-client-urls={self.url}",
            f"--listen-peer-urls=http://127.0.0.1:{peer}", f"--initial-advertise-peer-urls=http://127.0.0.1:{peer}",
            f"--initial-cluster=test=http://127.0.0.1:{peer}", "--unsafe-no-fsync", "--log-level=error",
            "--quota-backend-bytes=4294967296", "--listen-metrics-urls=",
        ], directory / "etcd.log")
        self._wait_ready(30.0)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.child.alive():
                raise RuntimeError(f"etcd exited at start:\n{self.child.tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=1) as answer:  # noqa: S310 - loopback
                    if json.loads(answer.read()).get("health") == "true":
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"etcd not healthy after {timeout} s:\n{self.child.tail()}")

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(f"{self.url}{path}", data=json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - loopback
            result: dict[str, Any] = json.loads(answer.read())
            return result

    def keys(self, prefix: str) -> list[str]:
        """Every key under `prefix`."""
        found = self._post("/v3/kv/range", {"key": _b64(prefix), "range_end": _prefix_end(prefix),
                                             "keys_only": True})
        return [base64.b64decode(kv["key"]).decode() for kv in found.get("kvs", [])]

    def delete(self, keys: list[str]) -> None:
        """Delete keys in transactions of at most 100 operations."""
        for start in range(0, len(keys), 100):
            ops = [{"request_delete_range": {"key": _b64(k)}} for k in keys[start:start + 100]]
            self._post("/v3/kv/txn", {"success": ops})

    def stop(self) -> None:
        self.child.stop()
