"""A recording, fault-injecting HTTP proxy in front of a real kube-apiserver.

Clients speak plain HTTP/1.1 to 127.0.0.1; the proxy forwards each request over TLS to the
apiserver (the Authorization header passes through untouched; a request without one, as
kubectl sends over plain HTTP, goes as the admin) and streams the answer back,
watches included. Faults come from `kubeserver.faults.Faults`, so a test drives them the
same way whichever server is behind: errors and 429s answered by the proxy, added latency,
and partitions (`refuse`: every connection reset, open watches cut; `hang`: requests held
unanswered until heal()).
"""

from __future__ import annotations

import http.client
import select
import socket
import ssl
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from kubeserver.errors import from_code, too_many_requests
from kubeserver.faults import Faults, Latency, PartitionMode, RequestLog, RequestRecord, Rule
from kubeserver.transport import read_body

_HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer",
                         "upgrade", "content-length", "host"})
_WRITE_VERBS = frozenset({"create", "update", "patch", "delete", "deletecollection"})


@dataclass(frozen=True, slots=True)
class Addressed:
    """What a request path addresses, in the request log's terms."""

    verb: str
    resource: str  # `configmaps`, `notebooks.kubeflow.org`, `leases.coordination.k8s.io/status`; "" for discovery
    namespace: str
    name: str


def classify(method: str, path: str) -> Addressed:
    """The kube verb, resource, namespace and name of a request (kube-apiserver's RequestInfo rules)."""
    split = urlsplit(path)
    query = dict(parse_qsl(split.query))
    parts = [p for p in split.path.split("/") if p]
    if parts[:1] == ["api"] and len(parts) >= 2:
        group, rest = "", parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 3:
        group, rest = parts[1], parts[3:]
    else:
        return Addressed(method.lower() if method != "GET" else "get", "", "", "")
    watch = rest[:1] == ["watch"]
    if watch:
        rest = rest[1:]
    namespace = ""
    if len(rest) >= 3 and rest[0] == "namespaces" and rest[2] not in ("status", "finalize"):
        namespace, rest = rest[1], rest[2:]
    if not rest:
        return Addressed("get", "", "", "")
    plural, name, sub = rest[0], rest[1] if len(rest) > 1 else "", rest[2] if len(rest) > 2 else ""
    if plural == "namespaces" and name:
        namespace = name
    resource = (f"{plural}.{group}" if group else plural) + (f"/{sub}" if sub else "")
    watch = watch or query.get("watch") in ("true", "1")
    verb = {"POST": "create", "PUT": "update", "PATCH": "patch"}.get(method, "")
    if method == "GET":
        verb = "watch" if watch else ("get" if name else "list")
    elif method == "DELETE":
        verb = "delete" if name else "deletecollection"
    return Addressed(verb or method.lower(), resource, namespace, name)


class ProxyFaults(Faults):
    """Faults whose `refuse` partition also cuts the connections already open (watches)."""

    def __init__(self, on_refuse: Callable[[], None]) -> None:
        super().__init__()
        self._on_refuse = on_refuse

    def partition(self, mode: PartitionMode = "refuse") -> None:
        super().partition(mode)
        if mode == "refuse":
            self._on_refuse()


def _reset(conn: socket.socket) -> None:
    """Cut a connection now, even one another thread is reading or writing (close() alone waits
    for the handler's file objects to let go of it); the final close then sends RST."""
    try:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        conn.close()
    except OSError:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, proxy: FaultProxy) -> None:
        self.proxy = proxy
        super().__init__(("127.0.0.1", 0), _Handler)


class FaultProxy:
    """Plain-HTTP front of one apiserver: request log, faults, latency model."""

    def __init__(self, upstream_host: str, upstream_port: int, context: ssl.SSLContext, default_token: str) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.default_token = default_token
        self.context = context
        self.faults = ProxyFaults(self._cut_connections)
        self.log = RequestLog()
        self.latency = Latency()
        self.stop_event = threading.Event()
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._server = _Server(self)
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def set_latency(self, rtt: float = 0.0, commit: float = 0.0) -> None:
        """`rtt` before every request is forwarded; `commit` after each successful real write."""
        self.latency = Latency(rtt, commit)

    def track(self, conn: socket.socket, add: bool) -> None:
        with self._lock:
            (self._connections.add if add else self._connections.discard)(conn)

    def _cut_connections(self) -> None:
        with self._lock:
            conns = list(self._connections)
        for conn in conns:
            _reset(conn)

    def stop(self) -> None:
        self.stop_event.set()
        self.faults.heal()
        self._server.shutdown()
        self._cut_connections()
        self._server.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.proxy.track(self.connection, True)
        self._upstream: http.client.HTTPSConnection | None = None

    def finish(self) -> None:
        self.server.proxy.track(self.connection, False)
        if self._upstream is not None:
            self._upstream.close()
        try:
            super().finish()
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def handle_one_request(self) -> None:
        proxy = self.server.proxy
        if proxy.faults.mode == "refuse" or proxy.stop_event.is_set():
            self.close_connection = True
            _reset(self.connection)
            return
        try:
            self.raw_requestline = self.rfile.readline(65537)
        except OSError:
            self.close_connection = True
            return
        if not self.raw_requestline:
            self.close_connection = True
            return
        if proxy.faults.mode == "refuse":  # type: ignore[comparison-overlap]  # set concurrently
            self.close_connection = True
            _reset(self.connection)
            return
        if not self.parse_request():
            return
        try:
            self._serve()
        except OSError:
            self.close_connection = True


    def _pause(self, seconds: float) -> bool:
        if seconds > 0 and self.server.proxy.stop_event.wait(seconds):
            self.close_connection = True
            return False
        return True

    def _serve(self) -> None:
        proxy = self.server.proxy
        body = read_body(self.headers, self.rfile)
        addressed = classify(self.command, self.path)
        fault = ""
        if proxy.faults.mode == "hang":
            fault = "hang"
            while not proxy.faults.wait_released(0.1):
                if proxy.stop_event.is_set():
                    self.close_connection = True
                    return
        if not self._pause(proxy.latency.rtt):
            return
        latency, rule = proxy.faults.pick(addressed.verb, addressed.resource, f"{self.command} {self.path}")
        if not self._pause(latency):
            return
        logged = False

        def log(code: int) -> None:  # before the answer is written, as a real client may look at once
            nonlocal logged
            if not logged:
                logged = True
                proxy.log.add(RequestRecord(self.command, self.path, addressed.verb, addressed.resource,
                                            addressed.namespace, addressed.name, code, fault))

        try:
            if rule is not None:
                fault = rule.kind
                self._answer_fault(rule, log)
            else:
                self._forward(body, addressed, log)
        finally:  # a request whose client went away (hung until heal()) is logged all the same
            log(0)

    def _answer_fault(self, rule: Rule, log: Callable[[int], None]) -> int:
        headers: dict[str, str]
        if rule.kind == "throttle" and not rule.status_body:
            payload = b"Too many requests, please try again later.\n"
            headers = {"Retry-After": str(rule.retry_after), "Content-Type": "text/plain; charset=utf-8"}
            code = 429
        else:
            err = too_many_requests(rule.retry_after) if rule.kind == "throttle" else from_code(rule.code, rule.message)
            if err.code == 429:
                err.headers["Retry-After"] = str(rule.retry_after)
            payload, headers, code = err.body(), {"Content-Type": "application/json", **err.headers}, err.code
        log(code)
        self.send_response_only(code)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        return code

    def _connection(self) -> http.client.HTTPSConnection:
        if self._upstream is None:
            host, port = self.server.proxy.upstream
            self._upstream = http.client.HTTPSConnection(host, port, context=self.server.proxy.context)
        return self._upstream

    def _forward(self, body: bytes, addressed: Addressed, log: Callable[[int], None]) -> int:
        proxy = self.server.proxy
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        if "Authorization" not in self.headers:  # kubectl sends no token over plain HTTP
            headers["Authorization"] = f"Bearer {proxy.default_token}"
        if body or self.command in ("POST", "PUT", "PATCH"):
            headers["Content-Length"] = str(len(body))
        answer = None
        for _attempt in range(2):  # a kept-alive upstream connection the server closed: once more, fresh
            reused = self._upstream is not None
            try:
                upstream = self._connection()
                upstream.request(self.command, self.path, body=body or None, headers=headers)
                answer = upstream.getresponse()
                break
            except (OSError, http.client.HTTPException) as err:
                if self._upstream is not None:
                    self._upstream.close()
                    self._upstream = None
                stale = isinstance(err, http.client.RemoteDisconnected | BrokenPipeError | ConnectionResetError)
                if not (reused and stale):
                    break
        if answer is None:
            self.close_connection = True
            _reset(self.connection)
            return 0
        chunked = addressed.verb == "watch" and 200 <= answer.status < 300  # streamed; the rest read whole
        persisted = (200 <= answer.status < 300 and addressed.verb in _WRITE_VERBS and "dryRun=All" not in self.path)
        payload = b"" if chunked else answer.read()
        if persisted and not self._pause(proxy.latency.commit):
            return answer.status
        log(answer.status)
        self.send_response_only(answer.status, answer.reason)
        for key, value in answer.getheaders():
            if key.lower() not in _HOP_BY_HOP:
                self.send_header(key, value)
        if not chunked:
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return answer.status
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        self._stream(answer)
        return answer.status

    def _stream(self, answer: http.client.HTTPResponse) -> None:
        """Copy a streamed answer (a watch) chunk by chunk until either side ends it."""
        proxy = self.server.proxy
        upstream = self._upstream
        assert upstream is not None and upstream.sock is not None
        upstream_sock: socket.socket = upstream.sock
        proxy.track(upstream_sock, True)
        done = threading.Event()

        def watch_client() -> None:  # a client that hangs up ends the upstream read too
            while not done.is_set():
                try:
                    ready, _, _ = select.select([self.connection], [], [], 0.5)
                    if ready and not self.connection.recv(1, socket.MSG_PEEK):
                        break
                except (OSError, ValueError):
                    break
            try:
                upstream_sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

        watcher = threading.Thread(target=watch_client, name="fault-proxy-watch", daemon=True)
        watcher.start()
        try:
            while not proxy.stop_event.is_set():
                try:
                    chunk = answer.read1(65536)
                except (OSError, http.client.HTTPException, ValueError):
                    break
                if not chunk:
                    self.wfile.write(b"0\r\n\r\n")
                    break
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.flush()
        finally:
            done.set()
            proxy.track(upstream_sock, False)
            self.close_connection = True
            upstream.close()
            self._upstream = None
