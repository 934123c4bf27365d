"""The Cluster protocol every implementation follows (one contract test suite runs against all)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from reconciler.cluster.answers import AnswerObserver
from reconciler.cluster.fence import WriteFence
from reconciler.inventory import Inventory
from reconciler.objects import Manifest


@dataclass(frozen=True, slots=True)
class KindRef:
    """A kind as the cluster serves it: apiVersion, kind, plural resource name and scope."""

    api_version: str
    kind: str
    plural: str
    namespaced: bool

    @property
    def group(self) -> str:
        """The API group ('' for core)."""
        return self.api_version.rpartition("/")[0]


class Cluster(Protocol):
    """A place objects live. Every write is server-side apply semantics with field manager ``platformctl``.

    Implementations raise the ClusterError family of ``reconciler.errors`` (NotFound, Conflict,
    Forbidden, Invalid, Unavailable), never client-library exceptions.
    """

    name: str

    def kind(self, api_version: str, kind: str) -> KindRef:
        """How the cluster serves a kind; NotFound when it does not (e.g. CRD not installed)."""
        ...

    def list(self, kind: KindRef, namespace: str | None, label_selector: str = "") -> list[Manifest]:
        """Every object of a kind (in a namespace, or all namespaces with None): one LIST request (paged)."""
        ...

    def get(self, kind: KindRef, namespace: str | None, name: str) -> Manifest | None:
        """One object, or None when it does not exist."""
        ...

    def apply(self, manifest: Manifest, *, dry_run: bool = False, force: bool = True) -> Manifest:
        """Server-side apply; returns the object as stored (or as it would be, with dry_run)."""
        ...

    def delete(self, kind: KindRef, namespace: str | None, name: str, *, dry_run: bool = False) -> bool:
        """Delete (background propagation); False when it was already gone."""
        ...

    def read_inventory(self, environment: str, namespace: str) -> Inventory | None:
        """The stored inventory, or None when none was written yet."""
        ...

    def write_inventory(self, inventory: Inventory, namespace: str) -> None:
        """Store the inventory (a ConfigMap, or a file for localdir)."""
        ...

    # --- supervision (a no-op where there is no server: a directory) --------------------------
    def supervise(self, *, fence: WriteFence | None = None, observer: AnswerObserver | None = None,
                  answer_timeout: float | None = None) -> None:
        """From now on: send writes only while ``fence`` allows, tell ``observer`` whether each attempt
        got an answer, and wait ``answer_timeout`` seconds for a read's answer (None: unchanged)."""
        ...

    @property
    def probe(self) -> Callable[[], None] | None:
        """One cheap request asking whether the cluster answers (its verdict goes to the observer);
        None where there is nothing to ask (a directory)."""
        ...

    def close(self) -> None:
        """Release connections and threads; the instance must not be used afterwards."""
        ...

    # --- statistics ---------------------------------------------------------------------
    def request_counts(self) -> dict[str, int]:
        """Requests made so far by verb (get, list, patch, delete, ...), for tests and metrics."""
        ...

    @property
    def retries(self) -> int:
        """How many requests were retries (after 429, 5xx or a connection error)."""
        ...

    @property
    def throttled_seconds(self) -> float:
        """Seconds requests spent waiting for the client-side rate limiter."""
        ...

    @property
    def rate_limit(self) -> float | None:
        """Requests per second the client holds itself to now (0: none); None: it has no rate limiter."""
        ...


class Delegating:
    """For a wrapper around a client (``inner``): supervision, the idle probe, closing and the request
    statistics are the wrapped client's."""

    inner: Cluster

    def supervise(self, *, fence: WriteFence | None = None, observer: AnswerObserver | None = None,
                  answer_timeout: float | None = None) -> None:
        """Supervise the wrapped client."""
        self.inner.supervise(fence=fence, observer=observer, answer_timeout=answer_timeout)

    @property
    def probe(self) -> Callable[[], None] | None:
        """The wrapped client's idle probe."""
        return self.inner.probe

    def close(self) -> None:
        """Close the wrapped client."""
        self.inner.close()

    def request_counts(self) -> dict[str, int]:
        """The wrapped client's requests per verb."""
        return self.inner.request_counts()

    @property
    def retries(self) -> int:
        """The wrapped client's retries."""
        return self.inner.retries

    @property
    def throttled_seconds(self) -> float:
        """The wrapped client's time in its rate limiter."""
        return self.inner.throttled_seconds

    @property
    def rate_limit(self) -> float | None:
        """The wrapped client's rate limit."""
        return self.inner.rate_limit

