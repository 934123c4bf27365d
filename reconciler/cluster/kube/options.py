"""How KubeCluster talks to one API server: rate limit, retries, timeouts, pool (one frozen dataclass)."""

from __future__ import annotations

import random as _random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from reconciler.cluster.answers import IGNORE, AnswerObserver
from reconciler.cluster.fence import OPEN, WriteFence


@dataclass(frozen=True, slots=True, kw_only=True)
class KubeOptions:
    """Client behaviour towards one cluster. Every default is the production value.

    Rate limit: a token bucket per cluster, taken by every HTTP attempt (retries included).
    With ``defer_to_flow_control`` the bucket is lifted once the server shows (by its
    ``X-Kubernetes-Pf-*`` response headers) that API Priority and Fairness protects it: the
    server then queues and sheds load itself (429 + Retry-After, which is honoured), as Flux
    does. An explicitly configured limit is never lifted.
    Retries: 429 (waiting ``Retry-After``), 500/502/503/504 and connection errors or timeouts;
    safe because every request platformctl makes is idempotent (GET, LIST, apply PATCH, DELETE).
    """

    qps: float = 200.0
    """Sustained requests per second to this cluster (client-side); 0 disables the limit."""
    burst: int = 400
    """Requests allowed at once before ``qps`` applies."""
    defer_to_flow_control: bool = False
    """Lift the client-side limit once the server answers with API Priority and Fairness headers."""
    max_retries: int = 5
    """Retries after the first attempt; then Unavailable."""
    backoff_base: float = 0.2
    """First retry waits up to this many seconds; doubles each retry (full jitter)."""
    backoff_cap: float = 10.0
    """Longest backoff between two attempts, in seconds."""
    retry_after_cap: float = 60.0
    """Longest ``Retry-After`` honoured, so a confused server cannot stall a worker for hours."""
    connect_timeout: float = 5.0
    """Seconds to establish a TCP connection."""
    read_timeout: float = 30.0
    """Seconds to wait for the server to answer (each read)."""
    answer_timeout: float = 10.0
    """Seconds a read (GET, LIST, a watch's status line) waits for the server's answer before the
    attempt counts as no answer (at most ``read_timeout``): a hung server is noticed this soon.
    Writes wait ``read_timeout``: admission webhooks may legitimately take a while."""
    pool_size: int = 32
    """Writes in flight at once (the cluster's ``rateLimit.maxInFlight``, the engine's worker threads). The
    connection pool keeps that many plus ``READ_ROOM`` and ``STREAM_ROOM`` (``pool_connections``), so
    no connection in use is ever discarded with urllib3's "Connection pool is full" warning."""

    page_size: int = 500
    """Objects per LIST page (``limit``); the rest follows with ``continue``."""
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    """Sleeper for backoff and throttling (tests inject one that records instead of waiting)."""
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    """Monotonic clock of the rate limiter."""
    random: Callable[[], float] = field(default=_random.random, repr=False)
    """Uniform [0, 1) source for jitter."""
    fence: WriteFence = field(default=OPEN, repr=False)
    """Until when writes may be sent (a daemon's leader lease); no write, retry or wait past it."""
    observer: AnswerObserver = field(default=IGNORE, repr=False)
    """Told whether each attempt got an answer (reachability)."""

    @property
    def pool_connections(self) -> int:
        """Connections the pool keeps: the writes in flight, a reconcile's reads at once, the open watches."""
        return self.pool_size + READ_ROOM + STREAM_ROOM


READ_ROOM = 8
"""Reads one reconcile sends at once (``reconciler.livestate.READERS``, one LIST per kind)."""
STREAM_ROOM = 64
"""Long-lived streams one client may hold open beside them (the daemon's drift watches, one per kind
and namespace, and its reachability probe). Room costs nothing until used: connections open lazily."""
