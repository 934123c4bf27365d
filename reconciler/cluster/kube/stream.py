"""A watch's answer read as it arrives (``Stream``), and the thread that interrupts streams whose
``stop`` Event is set (``Stopper``); ``Transport.stream`` makes them."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator, Mapping
from typing import Any

import urllib3


class Stream:
    """A 2xx answer whose body is read as it arrives (a watch); ``close`` it when done.

    ``chunks`` yields the body's bytes and ends, without raising, when the body ends, when the
    connection drops or a read times out, or after ``interrupt`` (``dropped`` tells which).
    """

    def __init__(self, status: int, headers: Mapping[str, str], response: Any) -> None:
        self.status = status
        self.headers = headers
        self.dropped = False
        """The body did not end with its last chunk: connection cut, read timeout, or interrupted."""
        self._response = response  # urllib3 HTTPResponse, preload_content=False
        self._lock = threading.Lock()
        self._closed = False

    def chunks(self) -> Iterator[bytes]:
        """The body as it arrives, in the server's chunks (not split into lines)."""
        response = self._response
        try:
            if response.chunked and response.supports_chunked_reads():
                yield from response.read_chunked(None, decode_content=True)
            else:
                while chunk := response.read1(STREAM_READ_SIZE):
                    yield chunk
        except (urllib3.exceptions.HTTPError, OSError, http.client.HTTPException):
            # urllib3 has closed the connection (its error catcher); the caller resumes elsewhere.
            self.dropped = True

    def interrupt(self) -> None:
        """From another thread: end a blocked read now; ``chunks`` then ends (``dropped``).

        urllib3's ``HTTPResponse.shutdown`` shuts the read side of the socket, which wakes a
        ``recv`` blocked in another thread. It refuses once the body has ended and urllib3 has put
        the connection back in the pool. Its check and the shutdown are not atomic: in a window
        of a few instructions right at the end of a body, a connection just pooled could be cut;
        the request that took it then fails as a connection error and is retried like any other.
        """
        with self._lock:
            if self._closed:
                return
            try:
                self._response.shutdown()
            except (ValueError, RuntimeError, OSError):
                pass  # already released, or the socket is already gone

    @property
    def closed(self) -> bool:
        """Whether ``close`` was called."""
        return self._closed

    def close(self) -> None:
        """Close the connection unless the body was read to its end (urllib3 then pooled it)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._response.close()  # unread data would poison a pooled connection
        self._response.release_conn()


STREAM_READ_SIZE = 65536


class Stopper:
    """Interrupts streams whose ``stop`` Event is set, from one daemon thread per Transport.

    An Event cannot be waited on together with others, so while streams are registered the
    thread checks their Events every ``poll`` seconds (a few attribute reads); with none it
    sleeps until one is added. A stream is forgotten once stopped or closed.
    """

    def __init__(self, poll: float = 0.1) -> None:
        self._poll = poll
        self._cond = threading.Condition()
        self._watched: list[tuple[threading.Event, Stream]] = []
        self._thread: threading.Thread | None = None
        self._closed = False

    def add(self, stop: threading.Event, stream: Stream) -> None:
        """Interrupt ``stream`` soon after ``stop`` is set (at once if it already is)."""
        with self._cond:
            if self._closed:
                return
            self._watched.append((stop, stream))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="kube-watch-stopper", daemon=True)
                self._thread.start()
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                if self._closed:
                    return
                due = [stream for stop, stream in self._watched if stop.is_set() and not stream.closed]
                self._watched = [(stop, stream) for stop, stream in self._watched
                                 if not stop.is_set() and not stream.closed]
            for stream in due:
                stream.interrupt()
            with self._cond:
                if not self._closed:
                    self._cond.wait(self._poll if self._watched else None)

    def close(self) -> None:
        """End the thread (streams still open are not interrupted)."""
        with self._cond:
            self._closed = True
            self._cond.notify()
