"""KubeEventRecorder: core/v1 Events written by a background thread, best effort and bounded.

``record`` only queues (a full queue drops the note and counts it). The thread creates each new
Event (POST) and, for a repeat, merge-patches the existing Event's ``count`` and
``lastTimestamp`` (``reconciler.cluster.eventnote.Correlator``); an Event gone from the server
(Events expire after an hour) is created again. Any error is counted and logged at debug
level, never raised: an Event never fails or delays a reconcile. The client may be given as a
function that opens it: it is then opened on the recorder's thread (loading a kubeconfig may run
an exec credential plugin), and a client that is not a Kubernetes one records nothing.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import structlog

from reconciler.cluster.base import KindRef
from reconciler.cluster.eventnote import Correlator, Decision, EventNote, count_patch, event_body, event_namespace
from reconciler.cluster.kinds import resource_path
from reconciler.cluster.kube.cluster import KubeCluster
from reconciler.objects import ObjectKey

log = structlog.get_logger("platformctl.events")

EVENT = KindRef("v1", "Event", "events", True)
MERGE_PATCH = "application/merge-patch+json"
QUEUE_SIZE = 256
"""Notes waiting per cluster at most; more are dropped."""

OnResult = Callable[[str], None]
"""Told ``created``, ``aggregated``, ``failed`` or ``dropped`` for each note."""


class KubeEventRecorder:
    """Events on one Kubernetes cluster through its own ``KubeCluster`` client (closed with the recorder)."""

    def __init__(self, cluster: KubeCluster | Callable[[], object], *, instance: str,
                 on_result: OnResult | None = None, queue_size: int = QUEUE_SIZE,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC), name: str = "") -> None:
        self._cluster: KubeCluster | None = cluster if isinstance(cluster, KubeCluster) else None
        self._open = None if isinstance(cluster, KubeCluster) else cluster
        self._unusable = False
        self._instance = instance
        self._on_result = on_result or (lambda _result: None)
        self._now = now
        self._queue: queue.Queue[EventNote | None] = queue.Queue(maxsize=queue_size)
        self._correlator = Correlator()
        self._last_unique = 0
        self._closed = threading.Event()
        label = self._cluster.name if self._cluster is not None else name
        self._thread = threading.Thread(target=self._loop, name=f"platformctl-events-{label}", daemon=True)
        self._thread.start()

    def record(self, notes: list[EventNote]) -> None:
        """Queue each note; a full queue (or a closed recorder) drops it."""
        for note in notes:
            if self._closed.is_set():
                self._on_result("dropped")
                continue
            try:
                self._queue.put_nowait(note)
            except queue.Full:
                self._on_result("dropped")

    def flush(self, timeout: float) -> bool:
        """Wait (bounded) until every queued note was written or given up; True when so (tests)."""
        end = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < end:
            time.sleep(0.005)
        return not self._queue.unfinished_tasks

    def close(self, grace: float = 0.0) -> None:
        """Stop the thread after up to ``grace`` seconds for the queued notes (the rest are dropped), and
        close the client."""
        if self._closed.is_set():
            return
        if grace > 0:
            self.flush(grace)
        self._closed.set()
        try:
            self._queue.put_nowait(None)
        except queue.Full:
            pass
        self._thread.join(timeout=1.0)
        if self._cluster is not None:
            self._cluster.close()

    def _loop(self) -> None:
        while not self._closed.is_set():
            note = self._queue.get()
            try:
                if note is None or self._closed.is_set():
                    continue
                cluster = self._client()
                self._on_result(self._write(cluster, note) if cluster is not None else "failed")
            except Exception as exc:  # noqa: BLE001 - best effort: never let an Event end the thread
                log.debug("event not recorded", object=str(note.key) if note else "", error=str(exc))
                self._on_result("failed")
            finally:
                self._queue.task_done()

    def _client(self) -> KubeCluster | None:
        """The client, opened on first use (None when it cannot be, or is not a Kubernetes one)."""
        if self._cluster is not None or self._unusable or self._open is None:
            return self._cluster
        try:
            opened = self._open()
        except Exception as exc:  # noqa: BLE001 - e.g. a kubeconfig that cannot be loaded
            log.warning("no Events: cannot open the cluster", error=str(exc))
            self._unusable = True
            return None
        if isinstance(opened, KubeCluster):
            self._cluster = opened
        else:
            self._unusable = True  # a directory: nowhere to record Events
            close = getattr(opened, "close", None)
            if callable(close):
                close()
        return self._cluster

    def _write(self, cluster: KubeCluster, note: EventNote) -> str:
        now = self._now().strftime("%Y-%m-%dT%H:%M:%SZ")
        decision = self._correlator.decide(note, now, self._unique())
        if not decision.create:
            answer = self._send(cluster, "PATCH", note, decision, count_patch(decision, now))
            if answer == 404:
                decision = self._correlator.restart(note, now, self._unique())
            elif answer < 300:
                return "aggregated"
            else:
                return "failed"
        answer = self._send(cluster, "POST", note, decision, event_body(note, decision, now, self._instance))
        return "created" if answer < 300 else "failed"

    def _send(self, cluster: KubeCluster, method: str, note: EventNote, decision: Decision,
              body: dict[str, object]) -> int:
        namespace = event_namespace(note)
        key = ObjectKey("", "Event", namespace, decision.name)
        path = resource_path(EVENT, namespace, decision.name if method == "PATCH" else None)
        response = cluster.send_json(method, path, verb="patch" if method == "PATCH" else "create",
                                          body=body, key=key, kind=EVENT,
                                          content_type=MERGE_PATCH if method == "PATCH" else "application/json")
        if response.status >= 300:
            log.debug("event write refused", object=str(note.key), status=response.status)
        return response.status

    def _unique(self) -> str:
        self._last_unique = max(time.time_ns(), self._last_unique + 1)
        return f"{self._last_unique:x}"
