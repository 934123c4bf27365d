"""KubeServer: a Kubernetes-API-compatible server for tests, started in-process."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from kubeserver import kubeconfig
from kubeserver.api import Api
from kubeserver.cluster import CRD_KEY, NS_KEY, Cluster
from kubeserver.faults import Faults, Latency, RequestLog, RequestRecord
from kubeserver.protocol import Call
from kubeserver.transport import HTTPServer, apf_headers
from reconciler.conformance.registry import crd_dir

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class KubeServer:
    """One simulated cluster on 127.0.0.1 (port 0); `start()` returns once it accepts."""

    def __init__(self, name: str = "kubeserver", *, seed: int = 0, history: int = 10_000,
                 flow_control: bool = True) -> None:
        self.name = name
        self.flow_control = flow_control
        # Sent on every response, as an apiserver with API Priority and Fairness on does.
        self.flow_headers = apf_headers(name, seed) if flow_control else {}
        self.cluster = Cluster(seed=seed, history=history)
        self.faults = Faults()
        self.latency = Latency()
        self.log = RequestLog()
        self.errors: list[str] = []  # tracebacks of server bugs answered as 500
        self.stop_event = threading.Event()
        self.api = Api(self.cluster, lambda: f"127.0.0.1:{self.port}")
        self._http: HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ----------------------------------------------------------------
    def start(self) -> KubeServer:
        """Bind and serve on a daemon thread; the socket is listening when this returns."""
        self._http = HTTPServer(self)
        self._thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.05},
            name=f"kubeserver-{self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving: end watches, release hung requests, close connections."""
        if self._http is None:
            return
        self.stop_event.set()
        self.faults.heal()
        self.cluster.store.close()
        self._http.shutdown()
        self._http.close_connections()
        self._http.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._http = None

    def __enter__(self) -> KubeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- latency model ------------------------------------------------------------
    def set_latency(self, rtt: float = 0.0, commit: float = 0.0) -> None:
        """Model a real cluster's latency (seconds; 0 turns a part off).

        `rtt` is added to every request (the network round trip). `commit` is added to writes
        that changed storage (2xx create/update/patch/delete/deletecollection, not dryRun=All,
        not no-op updates), as an apiserver waits for the etcd commit. Sleeps hold no lock,
        so requests overlap, and end when the server stops. Adds to `faults.delay` rules.
        """
        if rtt < 0 or commit < 0:
            raise ValueError("latency must not be negative")
        self.latency = Latency(rtt=rtt, commit=commit)

    @property
    def stopping(self) -> bool:
        return self.stop_event.is_set()

    @property
    def port(self) -> int:
        assert self._http is not None, "server not started"
        return int(self._http.server_address[1])

    @property
    def url(self) -> str:
        """Base URL, e.g. `http://127.0.0.1:41234`."""
        return f"http://127.0.0.1:{self.port}"

    # --- clients ------------------------------------------------------------------
    def write_kubeconfig(self, path: Path, *, context: str | None = None) -> Path:
        """Write a kubeconfig for this server (context named after the server)."""
        return kubeconfig.write(path, {context or self.name: self})

    # --- request log --------------------------------------------------------------
    @property
    def requests(self) -> list[RequestRecord]:
        """Every request seen since the last reset."""
        return self.log.records()

    def count(self, verb: str | None = None, resource: str | None = None) -> int:
        """How many requests matched (e.g. `count("patch", "configmaps")`)."""
        return self.log.count(verb, resource)

    def counts(self) -> dict[tuple[str, str], int]:
        """Requests per (verb, resource)."""
        return self.log.counts()

    def reset_requests(self) -> None:
        """Forget the request log and counters."""
        self.log.reset()

    # --- direct state access (no HTTP, not logged) --------------------------------
    def create_namespace(self, name: str) -> None:
        """Create a namespace directly."""
        with self.cluster.store.lock:
            if self.cluster.store.get(NS_KEY, "", name) is None:
                self.cluster.store.put(NS_KEY, self.cluster.new_namespace(name), "ADDED")

    def delete_namespace(self, name: str) -> None:
        """Delete a namespace and its content directly (finalizers on content are honoured)."""
        with self.cluster.store.lock:
            record = self.cluster.store.get(NS_KEY, "", name)
            if record is not None:
                self.cluster.delete_object(NS_KEY, record.obj)

    def get_object(self, group: str, plural: str, name: str, namespace: str = "") -> dict[str, Any] | None:
        """The stored object (read-only view) or None."""
        record = self.cluster.store.get((group, plural), namespace, name)
        return record.obj if record else None

    def install_crds(self, crds: Iterable[Mapping[str, Any]] | None = None) -> list[str]:
        """Register CRDs directly (default: every CRD in reconciler/data/crds)."""
        from kubeserver import handlers

        names = []
        for crd in crds if crds is not None else load_crds():
            call = Call("POST", self.cluster.types[CRD_KEY], "v1", None, None, "", {},
                        {"user-agent": "kubeserver"}, _json_bytes(crd))
            existing = self.cluster.store.get(CRD_KEY, "", crd["metadata"]["name"])
            if existing is None:
                handlers.create(self.cluster, call)
            names.append(crd["metadata"]["name"])
        return names

    @property
    def resource_version(self) -> int:
        """The current global resourceVersion."""
        return self.cluster.store.rv


_CRD_CACHE: list[dict[str, Any]] = []


def load_crds() -> list[dict[str, Any]]:
    """The upstream CRDs shipped in reconciler/data/crds (parsed once per process)."""
    if not _CRD_CACHE:
        crds = crd_dir()
        for path in sorted((p for p in crds.iterdir() if p.name.endswith(".yaml")), key=lambda p: p.name):
            fast = crds / "json" / f"{path.name.removesuffix('.yaml')}.json"  # same content, loads ~10x faster
            docs = [json.loads(fast.read_text())] if fast.is_file() else list(
                yaml.load_all(path.read_text(), Loader=_Loader))
            for doc in docs:
                if doc and doc.get("kind") == "CustomResourceDefinition":
                    _CRD_CACHE.append(doc)
    return _CRD_CACHE


def _json_bytes(obj: Any) -> bytes:
    return json.dumps(obj).encode()
