"""A local HTTP receiver for notification tests: on 127.0.0.1 (port 0), records every POST it gets.

``answers`` lists the statuses to give, in order (then 200); each may come with headers
(``(429, {"Retry-After": "0"})``). ``wait_for(n)`` blocks (bounded) until ``n`` requests came.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    """One request as the receiver got it."""

    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """The server, what it got, and what it answers next."""

    server: ThreadingHTTPServer
    answers: list[int | tuple[int, dict[str, str]]] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    hold: threading.Event | None = None
    """When set: every request waits for it before answering (a slow provider)."""
    _cond: threading.Condition = field(default_factory=threading.Condition)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        with self._cond:
            self._cond.wait_for(lambda: len(self.received) >= count, timeout)
            return list(self.received)

    def _record(self, got: Received) -> tuple[int, dict[str, str]]:
        with self._cond:
            self.received.append(got)
            answer = self.answers.pop(0) if self.answers else 200
            self._cond.notify_all()
        return answer if isinstance(answer, tuple) else (answer, {})


def start_receiver() -> Receiver:
    """A started receiver; call ``stop_receiver`` when done."""
    receiver: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server name
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, headers = receiver._record(Received(self.path, dict(self.headers.items()), body))
            if receiver.hold is not None:
                receiver.hold.wait(10.0)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver = Receiver(server)
    threading.Thread(target=server.serve_forever, name="test-receiver", daemon=True).start()
    return receiver


def stop_receiver(receiver: Receiver) -> None:
    if receiver.hold is not None:
        receiver.hold.set()
    receiver.server.shutdown()
    receiver.server.server_close()


def receiving() -> Iterator[Receiver]:
    """Fixture body: a receiver for the test, stopped after it."""
    receiver = start_receiver()
    try:
        yield receiver
    finally:
        stop_receiver(receiver)
