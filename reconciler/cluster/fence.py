"""The write fence: until when a cluster client may still send writes, consulted by the transport (pure).

A daemon replica may write only while it holds the leader lease, i.e. until the lease's renew
deadline (last successful renewal + ``renew_deadline`` on the local monotonic clock). The
transport asks the fence before every write (a dry run changes nothing: it may be sent) and
before every retry sleep of a write or dry run: a write is never sent after the deadline, a
retry never waits past it, and a write's timeout never carries the client past it. Reads are
not fenced. The CLI, which holds no lease, uses ``OPEN``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol

from reconciler.errors import Fenced

MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class WriteFence(Protocol):
    """Seconds left in which writes may be sent, and why they stop."""

    def remaining(self) -> float:
        """Seconds writes may still be sent (``math.inf``: no deadline; 0 or less: fenced now)."""
        ...

    def reason(self) -> str:
        """Why writes stop at the deadline (for the error message)."""
        ...


class OpenFence:
    """No deadline: every write may be sent (the CLI; a daemon without election)."""

    def remaining(self) -> float:
        """Always ``math.inf``."""
        return math.inf

    def reason(self) -> str:
        """Never fenced."""
        return "not fenced"


OPEN = OpenFence()


def is_write(method: str, query: Sequence[tuple[str, str]]) -> bool:
    """A request that changes the cluster: POST, PUT, PATCH or DELETE, and not a dry run."""
    return method in MUTATING_METHODS and ("dryRun", "All") not in query


def write_window(fence: WriteFence, write: bool, cluster: str, key: object | None) -> float:
    """Seconds the request may take (``math.inf`` unless a write); Fenced when a write may not be sent now."""
    if not write:
        return math.inf
    left = fence.remaining()
    if left <= 0:
        raise Fenced(f"write to cluster {cluster} not sent: {fence.reason()}", key=key)
    return left


def check_retry_wait(fence: WriteFence, mutating: bool, wait: float, cluster: str, key: object | None) -> None:
    """Fenced when a mutating request's retry (a dry run's too) would wait ``wait`` seconds past the deadline."""
    if not mutating:
        return
    left = fence.remaining()
    if wait >= left:
        raise Fenced(f"write to cluster {cluster} not retried: the retry would wait {wait:.1f}s, past the "
                     f"write deadline ({max(0.0, left):.1f}s left; {fence.reason()})", key=key)
