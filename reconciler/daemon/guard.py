"""A Cluster wrapper for daemon workers: no write without leadership, and reachability bookkeeping.

Every real write (apply, delete, inventory) first asks the guard; when the replica has lost its
lease or is shutting down, the write is refused with ``WriteRefused`` (a ClusterError, so the
engine stops the reconcile cleanly at that point; its inventory is crash-safe). Dry runs and
reads are always allowed. Each answer from the server (even an error status) counts as
"seen"; an ``Unavailable`` marks the cluster unreachable (in the target's ``Reachability``, which
the client's transport also tells about every attempt, and the drift watches too). Over a watch
cache (``observed``) a call that returns is no sign of life, since the cache may have answered it:
only the transport's own reports of the requests it sent count then.

``DaemonFence`` is the transport-level half: the KubeCluster of a worker consults it before
every write and every retry wait, so a write already under way (retrying a 429) cannot outlive
the lease either.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from reconciler.cluster.base import Cluster, Delegating, KindRef
from reconciler.daemon.clock import Clock
from reconciler.daemon.reach import Reachability
from reconciler.errors import ClusterError, Fenced, Unavailable
from reconciler.inventory import Inventory
from reconciler.objects import Manifest

T = TypeVar("T")


class WriteRefused(ClusterError):
    """A write the daemon stopped itself from making (lease lost, shutting down)."""

    reason = "WriteRefused"


class GuardedCluster(Delegating):
    """Delegates to ``inner``; ``refusal()`` returns why writes must stop now, or None."""

    def __init__(self, inner: Cluster, refusal: Callable[[], str | None], clock: Clock,
                 on_error: Callable[[int], None] | None = None, reach: Reachability | None = None, *,
                 observed: bool = False) -> None:
        self.inner = inner
        self._observed = observed
        """The inner client tells ``reach`` of every request it sends, and answers some reads itself."""
        self.name = inner.name
        self._refusal = refusal
        self._on_error = on_error
        self.reach = reach if reach is not None else Reachability(clock)
        self.refused = False
        """A write was refused (or fenced after the lease was lost) since the worker last reset this flag."""

    @property
    def reachable(self) -> bool | None:
        """None until the first signal; then whether the latest attempt (any client of the target) got an answer."""
        return self.reach.reachable

    @property
    def last_seen(self) -> datetime | None:
        """When the cluster last answered."""
        return self.reach.last_seen

    def kind(self, api_version: str, kind: str) -> KindRef:
        """Delegated; an answer does not count as the cluster being seen (known kinds cost no request)."""
        return self._call(lambda: self.inner.kind(api_version, kind), answered=False)

    def list(self, kind: KindRef, namespace: str | None, label_selector: str = "") -> list[Manifest]:
        """Delegated."""
        return self._call(lambda: self.inner.list(kind, namespace, label_selector))

    def get(self, kind: KindRef, namespace: str | None, name: str) -> Manifest | None:
        """Delegated."""
        return self._call(lambda: self.inner.get(kind, namespace, name))

    def apply(self, manifest: Manifest, *, dry_run: bool = False, force: bool = True) -> Manifest:
        """Refused unless allowed (dry runs always pass)."""
        if not dry_run:
            self._check()
        return self._call(lambda: self.inner.apply(manifest, dry_run=dry_run, force=force))

    def apply_as(self, manifest: Manifest, *, field_manager: str) -> Manifest:
        """Refused unless allowed; a rollout's apply under its own field manager."""
        self._check()
        apply_as: Callable[..., Manifest] | None = getattr(self.inner, "apply_as", None)
        if apply_as is None:
            raise ClusterError(f"cluster {self.name} cannot apply under another field manager (a directory?)")
        return self._call(lambda: apply_as(manifest, field_manager=field_manager))

    def record_event(self, event: Manifest) -> None:
        """Refused unless allowed; nothing where the cluster keeps no Events (a directory)."""
        self._check()
        record: Callable[[Manifest], None] | None = getattr(self.inner, "record_event", None)
        if record is not None:
            self._call(lambda: record(event))

    def delete(self, kind: KindRef, namespace: str | None, name: str, *, dry_run: bool = False) -> bool:
        """Refused unless allowed (dry runs always pass)."""
        if not dry_run:
            self._check()
        return self._call(lambda: self.inner.delete(kind, namespace, name, dry_run=dry_run))

    def read_fresh(self) -> bool:
        """Delegated (a watch cache's switch to server reads; False without one)."""
        switch: Callable[[], bool] | None = getattr(self.inner, "read_fresh", None)
        return switch() if switch is not None else False

    def read_inventory(self, environment: str, namespace: str) -> Inventory | None:
        """Delegated."""
        return self._call(lambda: self.inner.read_inventory(environment, namespace))

    def write_inventory(self, inventory: Inventory, namespace: str) -> None:
        """Refused unless allowed."""
        self._check()
        self._call(lambda: self.inner.write_inventory(inventory, namespace))

    def _check(self) -> None:
        reason = self._refusal()
        if reason:
            self.refused = True
            raise WriteRefused(f"cluster {self.name}: write refused: {reason}")

    def _call(self, request: Callable[[], T], *, answered: bool = True) -> T:
        try:
            answer = request()
        except Fenced:
            if self._refusal():  # the lease is gone: the reconcile is abandoned, not failed
                self.refused = True
            raise
        except Unavailable as exc:
            self.reach.no_answer(0, exc.message)
            if self._on_error is not None:
                self._on_error(exc.status)  # 0 for a cluster that never answered, not a 503
            raise
        except ClusterError as exc:
            if exc.status:  # the server answered with an error
                self._seen()
                if self._on_error is not None:
                    self._on_error(exc.status)
            raise
        if answered:
            self._seen()
        return answer

    def _seen(self) -> None:
        if not self._observed:
            self.reach.answered()


class DaemonFence:
    """The write fence of a daemon's clients: open until the leader lease's renew deadline
    (``remaining``), shut at once while ``refusal`` gives a reason (shutting down, lease lost)."""

    def __init__(self, remaining: Callable[[], float], refusal: Callable[[], str | None]) -> None:
        self._remaining = remaining
        self._refusal = refusal

    def remaining(self) -> float:
        """Seconds left before the renew deadline (0 when writes are refused now)."""
        if self._refusal():
            return 0.0
        left = self._remaining()
        return left if not math.isnan(left) else 0.0

    def reason(self) -> str:
        """Why writes stop."""
        return self._refusal() or "the leader lease's renew deadline has passed"
