"""HTTP/1.1 transport: keep-alive, chunked watch streams, and where faults are applied."""

from __future__ import annotations

import email.message
import email.parser
import http.client
import re
import select
import socket
import struct
import threading
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from kubeserver.errors import ApiError, from_code, too_many_requests
from kubeserver.faults import RequestRecord, Rule
from kubeserver.protocol import Reply

if TYPE_CHECKING:
    from kubeserver.server import KubeServer


class HTTPServer(ThreadingHTTPServer):
    """Threading server that remembers its open connections so stop() can cut them."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, kube: KubeServer) -> None:
        self.kube = kube
        self.connections: set[socket.socket] = set()
        self.conn_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), Handler)

    def close_connections(self) -> None:
        with self.conn_lock:
            conns = list(self.connections)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


# Header names as Go's net/http canonicalizes k8s.io/api/flowcontrol's
# ResponseHeaderMatchedFlowSchemaUID / ResponseHeaderMatchedPriorityLevelConfigurationUID.
FLOW_SCHEMA_HEADER = "X-Kubernetes-Pf-Flowschema-Uid"
PRIORITY_LEVEL_HEADER = "X-Kubernetes-Pf-Prioritylevel-Uid"
_APF_NAMESPACE = uuid.UUID("6f1d2c3e-8a4b-5c6d-9e0f-a1b2c3d4e5f6")


def apf_headers(name: str, seed: int) -> dict[str, str]:
    """APF response headers with UUIDs stable for a server's name and seed."""
    def uid(kind: str) -> str:
        return str(uuid.uuid5(_APF_NAMESPACE, f"{name}/{seed}/{kind}"))

    return {FLOW_SCHEMA_HEADER: uid("flowschema"), PRIORITY_LEVEL_HEADER: uid("prioritylevel")}


_MAX_LINE = 65536  # http.client's limits on request headers
_MAX_HEADERS = 100
_PLAIN_HEADER = re.compile(r"[\041-\071\073-\176]+:[^\r\n]*\r?\n\Z")


def read_headers(rfile: Any) -> http.client.HTTPMessage:
    """`http.client.parse_headers` for a request; plain `Name: value` lines skip the email parser.

    The result is the same HTTPMessage: for such lines the parser only appends
    (name, value.lstrip(" \t").rstrip("\r\n")); anything else (folded lines, odd names) goes
    through it. Raises http.client.LineTooLong / HTTPException like parse_headers.
    """
    lines = []
    while True:
        line = rfile.readline(_MAX_LINE + 1)
        if len(line) > _MAX_LINE:
            raise http.client.LineTooLong("header line")
        lines.append(line)
        if len(lines) > _MAX_HEADERS:
            raise http.client.HTTPException(f"got more than {_MAX_HEADERS} headers")
        if line in (b"\r\n", b"\n", b""):
            break
    text = [str(line, "iso-8859-1") for line in lines[:-1]]
    if not all(_PLAIN_HEADER.match(t) for t in text):
        parser = email.parser.Parser(_class=http.client.HTTPMessage)
        return parser.parsestr(b"".join(lines).decode("iso-8859-1"))
    message = http.client.HTTPMessage()
    for t in text:
        name, value = t.split(":", 1)
        message.set_raw(name, value.lstrip(" \t").rstrip("\r\n"))
    message.set_payload("")  # the (empty) body the parser would have read
    return message


def _reset(conn: socket.socket) -> None:
    """Close with RST, as a refusing/partitioned peer looks to the client."""
    try:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()
    except OSError:
        pass


def read_body(headers: email.message.Message[str, str], rfile: Any) -> bytes:
    """A request's body: Content-Length bytes, or the chunks of a chunked one."""
    length = int(headers.get("Content-Length") or 0)
    if length:
        return bytes(rfile.read(length))
    if "chunked" in (headers.get("Transfer-Encoding") or "").lower():
        chunks = []
        while True:
            size = int(rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                rfile.readline()
                break
            chunks.append(rfile.read(size))
            rfile.readline()
        return b"".join(chunks)
    return b""


class Handler(BaseHTTPRequestHandler):
    """One connection; requests are answered by the server's Api."""

    protocol_version = "HTTP/1.1"
    server_version = "kubeserver"
    sys_version = ""
    server: HTTPServer

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.conn_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.conn_lock:
            self.server.connections.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def handle_one_request(self) -> None:
        kube = self.server.kube
        if kube.faults.mode == "refuse" or kube.stopping:
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
        if kube.faults.mode == "refuse":  # type: ignore[comparison-overlap]  # set concurrently
            self.close_connection = True
            _reset(self.connection)
            return
        if not self.parse_request():
            return
        try:
            self._serve()
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True

    def parse_request(self) -> bool:
        """BaseHTTPRequestHandler.parse_request, with `read_headers` for HTTP/1.1 requests."""
        requestline = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        words = requestline.split()
        if len(words) != 3 or words[2] != "HTTP/1.1":
            return super().parse_request()  # HTTP/1.0, 0.9, 2 and malformed lines
        self.requestline = requestline
        self.command, self.path = words[0], words[1]
        self.request_version = "HTTP/1.1"
        self.close_connection = False
        if self.path.startswith("//"):
            self.path = "/" + self.path.lstrip("/")
        try:
            self.headers = read_headers(self.rfile)
        except http.client.LineTooLong as err:
            self.send_error(431, "Line too long", str(err))
            return False
        except http.client.HTTPException as err:
            self.send_error(431, "Too many headers", str(err))
            return False
        if self.headers.get("Connection", "").lower() == "close":
            self.close_connection = True
        if self.headers.get("Expect", "").lower() == "100-continue":
            return self.handle_expect_100()
        return True

    def _read_body(self) -> bytes:
        return read_body(self.headers, self.rfile)

    def _alive(self) -> bool:
        """False once the client has closed its end or the cluster is cut off (watches)."""
        if self.server.kube.faults.mode == "refuse" or self.server.kube.stopping:
            return False
        try:
            ready, _, _ = select.select([self.connection], [], [], 0)
            if ready:
                return bool(self.connection.recv(1, socket.MSG_PEEK))
            return True
        except (OSError, ValueError):
            return False

    def _serve(self) -> None:
        kube = self.server.kube
        method = self.command
        split = urlsplit(self.path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        headers = {k.lower(): v for k, v in self.headers.items()}
        body = self._read_body()
        fault = ""
        if kube.faults.mode == "hang":
            fault = "hang"
            while not kube.faults.wait_released(0.1):
                if kube.stopping:
                    self.close_connection = True
                    return
        if not self._pause(kube.latency.rtt):
            return
        route = None
        try:
            route = kube.api.route(method, split.path, query, headers, body)
            latency, rule = kube.faults.pick(route.verb, route.resource, f"{method} {self.path}")
            if not self._pause(latency):
                return
            if rule is not None:
                fault = rule.kind
                reply = _fault_reply(rule)
            else:
                reply = kube.api.answer(route, split.path, headers, self._alive)
        except ApiError as err:
            reply = Reply(err.code, err.body(), dict(err.headers), content_type=err.content_type)
        except Exception as exc:  # a server bug: answer 500 and keep it for the test
            kube.errors.append(traceback.format_exc())
            bug = ApiError(500, "InternalError", f"Internal error occurred: {exc!r}",
                           {"causes": [{"message": repr(exc)}]})
            reply = Reply(500, bug.body())
        if reply.persisted and not self._pause(kube.latency.commit):
            return
        verb = route.verb if route else method.lower()
        resource = route.resource if route else ""
        kube.log.add(RequestRecord(
            method, self.path, verb, resource, route.namespace if route else "",
            route.name if route else "", reply.code, fault))
        self._write(reply)

    def _pause(self, seconds: float) -> bool:
        """Sleep (holding no lock); False, with the connection to close, if the server stops."""
        if seconds > 0 and self.server.kube.stop_event.wait(seconds):
            self.close_connection = True
            return False
        return True

    def _write(self, reply: Reply) -> None:
        head = [f"HTTP/1.1 {reply.code} {self.responses.get(reply.code, ('',))[0]}\r\n"]
        headers = {"Content-Type": reply.content_type, "Cache-Control": "no-cache, private",
                   "Audit-Id": "kubeserver", **self.server.kube.flow_headers, **reply.headers}
        if reply.stream is None:
            headers["Content-Length"] = str(len(reply.body))
        else:
            headers["Transfer-Encoding"] = "chunked"
        head += [f"{k}: {v}\r\n" for k, v in headers.items()]
        head.append("\r\n")
        data = "".join(head).encode("latin-1")
        if reply.stream is None:
            self.wfile.write(data + reply.body)
            return
        self.wfile.write(data)
        try:
            for chunk in reply.stream:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            if self.server.kube.faults.mode == "refuse":
                self.close_connection = True
                _reset(self.connection)  # a partition cuts open watches too
                return
            self.wfile.write(b"0\r\n\r\n")
        finally:
            close = getattr(reply.stream, "close", None)
            if close:
                close()


def _fault_reply(rule: Rule) -> Reply:
    if rule.kind == "throttle":
        if rule.status_body:
            err = too_many_requests(rule.retry_after)
            return Reply(429, err.body(), dict(err.headers))
        return Reply(
            429, b"Too many requests, please try again later.\n",
            {"Retry-After": str(rule.retry_after), "X-Content-Type-Options": "nosniff"},
            content_type="text/plain; charset=utf-8",
        )
    err = from_code(rule.code, rule.message)
    if rule.code == 429:
        err.headers["Retry-After"] = str(rule.retry_after)
    return Reply(err.code, err.body(), dict(err.headers))

