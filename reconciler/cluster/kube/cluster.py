"""KubeCluster: the Cluster protocol over a real API server with the official ``kubernetes`` client.

This package (``cluster``, ``transport``) is the only importer of ``kubernetes``. Requests are
plain REST on the paths of ``resource_path`` with JSON bodies; writes are server-side apply
(field manager ``platformctl``). Transport concerns (rate limit, retries, timeouts, request
counts) live in ``transport``; error mapping in ``errors``; ``watch`` parses the event stream
with pure helpers.
"""

from __future__ import annotations

import copy
import os
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import yaml
from kubernetes import config as kube_config
from kubernetes.client import ApiClient, Configuration
from kubernetes.config.config_exception import ConfigException

from reconciler.cluster.answers import AnswerObserver
from reconciler.cluster.base import KindRef
from reconciler.cluster.fence import WriteFence
from reconciler.cluster.inventory_codec import decode_inventory, encode_inventory, inventory_name
from reconciler.cluster.kinds import known_kind, resource_path
from reconciler.cluster.kube.errors import error_for, is_route_not_found
from reconciler.cluster.kube.kubeconfig import credential_problem
from reconciler.cluster.kube.options import KubeOptions
from reconciler.cluster.kube.stream import Stream
from reconciler.cluster.kube.transport import Response, Transport
from reconciler.cluster.kube.watch import LineSplitter, WatchEvent, decode_event, error_event
from reconciler.errors import ClusterError, Invalid, NotFound
from reconciler.inventory import Inventory
from reconciler.labels import FIELD_MANAGER
from reconciler.objects import Manifest, ObjectKey

__all__ = ["KubeCluster", "KubeOptions", "WatchEvent", "INVENTORY_KEY", "inventory_configmap"]

APPLY_CONTENT_TYPE = "application/apply-patch+yaml"
INVENTORY_KEY = "inventory.json"
INVENTORY_LABELS = {"app.kubernetes.io/managed-by": "platformctl", "platformctl.dev/inventory": "true"}
_CONFIGMAP = KindRef("v1", "ConfigMap", "configmaps", True)
WATCH_READ_GRACE = 10.0
"""Seconds a watch read may wait beyond the watch's ``timeoutSeconds`` before the connection is
taken for dead (the server ends the stream at ``timeoutSeconds``, with a bookmark first)."""


class KubeCluster:
    """A Kubernetes cluster reached through a kubeconfig context or the in-cluster service account.

    Thread-safe: the engine applies objects from a thread pool through one instance.
    """

    def __init__(self, name: str, *, kubeconfig: str | None = None, context: str | None = None,
                 in_cluster: bool = False, options: KubeOptions = KubeOptions()) -> None:
        self.name = name
        self.options = options
        self._transport = Transport(_api_client(name, kubeconfig, context, in_cluster, options), name, options)
        self._lock = threading.Lock()
        self._discovered: dict[str, dict[str, KindRef]] = {}  # apiVersion -> kind -> ref; hits only

    # --- kinds --------------------------------------------------------------------
    def kind(self, api_version: str, kind: str) -> KindRef:
        """KNOWN_KINDS without a request; other kinds by discovery of their group-version (cached)."""
        known = known_kind(api_version, kind)
        if known is not None:
            return known
        with self._lock:
            served = self._discovered.get(api_version)
        if served is None:
            served = self._discover(api_version, kind)
        ref = served.get(kind)
        if ref is None:
            raise NotFound(f"cluster {self.name} serves {api_version} but not kind {kind}")
        return ref

    def _discover(self, api_version: str, kind: str) -> dict[str, KindRef]:
        path = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
        response = self._transport.request("GET", path, verb="get")
        if response.status == 404:
            # Not cached: the CRD may be applied a moment later in the same reconcile.
            raise NotFound(f"cluster {self.name} does not serve {api_version} (wanted kind {kind}); "
                           "is its CustomResourceDefinition installed?", status=404)
        body = self._ok(response, None, None)
        served = {
            str(r["kind"]): KindRef(api_version, str(r["kind"]), str(r["name"]), bool(r.get("namespaced")))
            for r in body.get("resources") or [] if "/" not in str(r.get("name", ""))
        }
        with self._lock:
            self._discovered[api_version] = served
        return served

    # --- reads --------------------------------------------------------------------
    def list_with_version(self, kind: KindRef, namespace: str | None, label_selector: str = "",
                          field_selector: str = "") -> tuple[list[Manifest], str]:
        """Like ``list``, with the collection's resourceVersion (the first page's: the snapshot a
        continued LIST keeps), where a WATCH of every later change starts."""
        items: list[Manifest] = []
        version = ""
        for page, version in self.list_pages(kind, namespace, label_selector, field_selector):
            items.extend(page)
        return items, version

    def list_pages(self, kind: KindRef, namespace: str | None, label_selector: str = "",
                   field_selector: str = "") -> Iterator[tuple[list[Manifest], str]]:
        """A paged LIST as it arrives: each page's items with the collection's resourceVersion (so a
        caller can shrink a page before the next is read)."""
        token = ""
        version = ""
        while True:
            query = [("limit", str(self.options.page_size))]
            if label_selector:
                query.append(("labelSelector", label_selector))
            if field_selector:
                query.append(("fieldSelector", field_selector))
            if token:
                query.append(("continue", token))
            response = self._transport.request("GET", resource_path(kind, namespace), verb="list",
                                               query=query, kind=kind)
            body = self._ok(response, None, kind)
            # LIST items come without apiVersion/kind; fill them so they read like a GET.
            page = [{"apiVersion": kind.api_version, "kind": kind.kind, **item} for item in body.get("items") or []]
            metadata = body.get("metadata") or {}
            version = version or str(metadata.get("resourceVersion") or "")
            token = str(metadata.get("continue") or "")
            del body
            yield page, version
            if not token:
                return

    def list(self, kind: KindRef, namespace: str | None, label_selector: str = "") -> list[Manifest]:
        """Every object of a kind, in pages of ``options.page_size``; items carry apiVersion and kind."""
        return self.list_with_version(kind, namespace, label_selector)[0]

    def get(self, kind: KindRef, namespace: str | None, name: str) -> Manifest | None:
        """One object, or None when it does not exist (NotFound when the kind is not served)."""
        key = _key(kind, namespace, name)
        response = self._transport.request("GET", resource_path(kind, namespace, name), verb="get",
                                           key=key, kind=kind)
        if response.status == 404 and not is_route_not_found(response.json()):
            return None
        return self._ok(response, key, kind)

    def collection_version(self, kind: KindRef, namespace: str | None, label_selector: str = "") -> str:
        """The collection's current resourceVersion, from a LIST with limit=1 (one cheap request)."""
        query = [("limit", "1")]
        if label_selector:
            query.append(("labelSelector", label_selector))
        response = self._transport.request("GET", resource_path(kind, namespace), verb="list", query=query,
                                           kind=kind)
        body = self._ok(response, None, kind)
        version = (body.get("metadata") or {}).get("resourceVersion")
        if not version:
            raise ClusterError(f"cluster {self.name} listed {kind.kind} ({kind.api_version}) "
                               "without a resourceVersion", status=response.status)
        return str(version)

    # --- watch --------------------------------------------------------------------
    def watch(self, kind: KindRef, namespace: str | None, resource_version: str, *, label_selector: str = "",
              timeout_seconds: int = 300, stop: threading.Event | None = None,
              field_selector: str = "") -> Iterator[WatchEvent]:
        """Events after ``resource_version`` (allowWatchBookmarks=true), until the server ends the stream
        (its timeoutSeconds), ``stop`` is set, or the connection drops. Raises Expired when the server
        answers 410 or sends an ERROR event with code 410, the typed ClusterError for other errors.

        One WATCH request (verb ``watch``; throttled like every request; the connect retried on
        429/5xx/connection errors like any request, Unavailable once retries are spent). Events
        carry apiVersion and kind like a GET; BOOKMARK events are yielded too (they only carry a
        newer resourceVersion to resume from).
        An empty ``resource_version`` lets the server start with ADDED events for what exists.
        The request is sent on the first ``next()``; ValueError at once for ``timeout_seconds < 1``.

        Ending: the iterator simply ends, without an exception, when the server closes the stream
        (``timeout_seconds``), when the connection drops or stays silent past ``timeout_seconds``
        plus ``WATCH_READ_GRACE``, and when ``stop`` is set. The caller watches again from the
        last ``resource_version`` it saw (or re-lists after Expired). It raises only for what the
        server said: an error answer or ERROR event, or a malformed line (ClusterError). ``stop`` is checked before
        the request and before each event, and a read blocked on an idle stream is interrupted
        from the client's stopper thread within about 0.1 s of ``stop`` being set (the socket's
        read side is shut down). It does not cut short the connect or its retry backoff. The
        connection is closed (or pooled, when the stream ended cleanly) whenever the iterator
        ends, is closed, or is garbage-collected.
        """
        if timeout_seconds < 1:
            raise ValueError("timeout_seconds must be at least 1 (0 would let the server pick)")
        return self._watch(kind, namespace, resource_version, label_selector, timeout_seconds, stop, field_selector)

    def _watch(self, kind: KindRef, namespace: str | None, resource_version: str, label_selector: str,
               timeout_seconds: int, stop: threading.Event | None, field_selector: str = "") -> Iterator[WatchEvent]:
        if stop is not None and stop.is_set():
            return
        query = [("watch", "true"), ("allowWatchBookmarks", "true"), ("timeoutSeconds", str(timeout_seconds))]
        if resource_version:
            query.append(("resourceVersion", resource_version))
        if label_selector:
            query.append(("labelSelector", label_selector))
        if field_selector:
            query.append(("fieldSelector", field_selector))
        answer = self._transport.stream(resource_path(kind, namespace), verb="watch", query=query, kind=kind,
                                        read_timeout=timeout_seconds + WATCH_READ_GRACE)
        if not isinstance(answer, Stream):
            if answer.status == 410:
                body = answer.json()
                raise error_event({**(body if isinstance(body, dict) else {}), "code": 410}, kind, self.name)
            self._ok(answer, None, kind)  # raises the typed error for the rest
            raise ClusterError(f"cluster {self.name} answered a watch of {kind.kind} with {answer.status} "
                               "and no event stream", status=answer.status)
        try:
            if stop is not None:
                self._transport.interrupt_when(stop, answer)
            yield from self._events(answer, kind, stop)
        finally:
            answer.close()

    def _events(self, stream: Stream, kind: KindRef, stop: threading.Event | None) -> Iterator[WatchEvent]:
        lines = LineSplitter()
        for chunk in stream.chunks():
            for line in lines.feed(chunk):
                if stop is not None and stop.is_set():
                    return
                yield decode_event(line, kind, self.name)
        if stop is not None and stop.is_set():
            return
        last = lines.rest()
        if last.strip() and not stream.dropped:  # a last line without its newline; a cut one is dropped
            yield decode_event(last, kind, self.name)

    # --- writes -------------------------------------------------------------------
    def apply(self, manifest: Manifest, *, dry_run: bool = False, force: bool = True) -> Manifest:
        """Server-side apply (PATCH apply-patch+yaml, fieldManager=platformctl); the stored object."""
        return self._apply(manifest, dry_run=dry_run, force=force, field_manager=FIELD_MANAGER)

    def apply_as(self, manifest: Manifest, *, field_manager: str) -> Manifest:
        """Server-side apply (forced) under another field manager (a rollout's canary share): fields it
        owns are never platformctl's, so never drift of the Git state."""
        return self._apply(manifest, dry_run=False, force=True, field_manager=field_manager)

    def record_event(self, event: Manifest) -> None:
        """Create a core/v1 Event (POST to the namespace's events)."""
        namespace = str((event.get("metadata") or {}).get("namespace") or "")
        kind = known_kind("v1", "Event") or KindRef("v1", "Event", "events", True)
        key = ObjectKey("", "Event", namespace, str((event.get("metadata") or {}).get("name") or ""))
        response = self._transport.request("POST", resource_path(kind, namespace), verb="create",
                                           body=event, content_type="application/json",
                                           key=key, kind=kind)
        self._ok(response, key, kind)

    def _apply(self, manifest: Manifest, *, dry_run: bool, force: bool, field_manager: str) -> Manifest:
        key = ObjectKey.of(manifest)
        kind = self.kind(str(manifest.get("apiVersion", "")), str(manifest.get("kind", "")))
        metadata = manifest.get("metadata") or {}
        if not key.name:
            raise Invalid("metadata.name: Required value", key=key, causes=["metadata.name: Required value"])
        namespace = key.namespace or None
        if kind.namespaced and namespace is None:
            raise Invalid("metadata.namespace: Required value: the kind is namespaced", key=key,
                          causes=["metadata.namespace: Required value"])
        body = manifest
        if not kind.namespaced and "namespace" in metadata:
            body = {**manifest, "metadata": {k: v for k, v in metadata.items() if k != "namespace"}}
            namespace = None
        query = [("fieldManager", field_manager)]
        # Serialized here (orjson) so the client sends the bytes as they are: its own
        # sanitize-and-json.dumps pass cost a sixth of the client's time per apply.
        payload = orjson.dumps(body)
        if force:
            query.append(("force", "true"))
        if dry_run:
            query.append(("dryRun", "All"))
        response = self._transport.request(
            "PATCH", resource_path(kind, namespace, key.name), verb="patch", query=query, body=payload,
            content_type=APPLY_CONTENT_TYPE, key=key, kind=kind)
        return self._ok(response, key, kind)

    def delete(self, kind: KindRef, namespace: str | None, name: str, *, dry_run: bool = False) -> bool:
        """Delete with background propagation; False when the object was already gone."""
        key = _key(kind, namespace, name)
        query = [("propagationPolicy", "Background")]
        if dry_run:
            query.append(("dryRun", "All"))
        response = self._transport.request("DELETE", resource_path(kind, namespace, name), verb="delete",
                                           query=query, key=key, kind=kind)
        if response.status == 404 and not is_route_not_found(response.json()):
            return False
        self._ok(response, key, kind)
        return True

    # --- inventory ----------------------------------------------------------------
    def read_inventory(self, environment: str, namespace: str) -> Inventory | None:
        """The inventory ConfigMap's content, or None when there is none yet."""
        return inventory_in(self.get(_CONFIGMAP, namespace, inventory_name(environment)), environment, namespace,
                            self.name)

    def write_inventory(self, inventory: Inventory, namespace: str) -> None:
        """Server-side apply the inventory ConfigMap (a no-op on the server when unchanged)."""
        self.apply(inventory_configmap(inventory, namespace))

    def send_json(self, method: str, path: str, *, verb: str, body: dict[str, Any], key: ObjectKey,
                  kind: KindRef, content_type: str = "application/json") -> Response:
        """A JSON write through this client's transport, its answer left to the caller (the Lease
        store, for which 409 is an answer: another replica won the race; the Event recorder, which
        merge-patches an Event's count)."""
        return self._transport.request(method, path, verb=verb, body=body, content_type=content_type,
                                       key=key, kind=kind)

    # --- supervision ---------------------------------------------------------------
    @property
    def probe(self) -> Callable[[], None]:
        """Ask whether the server answers (GET /version, which every authenticated client may read);
        counted under the verb ``probe``, its verdict told to the answer observer like any request's."""
        return self._probe

    def _probe(self) -> None:
        self._transport.request("GET", "/version", verb="probe")

    def supervise(self, *, fence: WriteFence | None = None, observer: AnswerObserver | None = None,
                  answer_timeout: float | None = None) -> None:
        """From now on: send writes only while ``fence`` allows, tell ``observer`` whether each attempt
        got an answer, and wait ``answer_timeout`` seconds for a read's answer (None: unchanged)."""
        self._transport.supervise(fence=fence, observer=observer, answer_timeout=answer_timeout)

    # --- observability ------------------------------------------------------------
    def request_counts(self) -> dict[str, int]:
        """HTTP requests sent per verb (get, list, watch, patch, delete), retries included."""
        return self._transport.counts()

    @property
    def retries(self) -> int:
        """How many requests were retries (after 429, 5xx or a connection error)."""
        return self._transport.retries

    @property
    def throttled_seconds(self) -> float:
        """Seconds requests spent waiting for the client-side rate limiter."""
        return self._transport.throttled_seconds

    @property
    def rate_limit(self) -> float:
        """Requests per second the client holds itself to now (0: none, e.g. lifted for APF)."""
        return self._transport.rate_limit

    @property
    def server_flow_control(self) -> bool:
        """Whether the server has shown it runs API Priority and Fairness."""
        return self._transport.server_flow_control

    def close(self) -> None:
        """Close pooled connections; the instance must not be used afterwards."""
        self._transport.close()

    def __enter__(self) -> KubeCluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _ok(self, response: Response, key: object | None, kind: KindRef | None) -> dict[str, Any]:
        """The JSON body of a 2xx answer; the typed error otherwise."""
        if response.status >= 300:
            raise error_for(response.status, response.headers, response.raw, key=key, kind=kind,
                            cluster=self.name)
        body = response.json()
        if not isinstance(body, dict):
            raise ClusterError(f"cluster {self.name} answered {response.status} without a JSON object",
                               key=key, status=response.status)
        return body


def inventory_in(found: Manifest | None, environment: str, namespace: str, cluster: str) -> Inventory | None:
    """The inventory an environment's inventory ConfigMap holds (None: no ConfigMap yet)."""
    if found is None:
        return None
    text = (found.get("data") or {}).get(INVENTORY_KEY)
    where = f"ConfigMap {namespace}/{inventory_name(environment)} on cluster {cluster}"
    return decode_inventory(str(text) if text is not None else "", where)


def inventory_configmap(inventory: Inventory, namespace: str) -> Manifest:
    """The ConfigMap that stores an inventory in a namespace."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": inventory_name(inventory.environment), "namespace": namespace,
                     "labels": copy.deepcopy(INVENTORY_LABELS)},
        "data": {INVENTORY_KEY: encode_inventory(inventory)},
    }


def _key(kind: KindRef, namespace: str | None, name: str) -> ObjectKey:
    return ObjectKey(kind.group, kind.kind, (namespace or "") if kind.namespaced else "", name)


def _api_client(cluster: str, kubeconfig: str | None, context: str | None, in_cluster: bool,
                options: KubeOptions) -> ApiClient:
    """An ApiClient with urllib3's own retries off (ours are the only ones) and a sized pool."""
    # $KUBECONFIG is read now, not when the client library was imported (it reads it once then).
    kubeconfig = kubeconfig or os.environ.get("KUBECONFIG") or None
    configuration = Configuration()
    configuration.retries = False
    configuration.connection_pool_maxsize = options.pool_connections
    try:
        if in_cluster:
            kube_config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
            client = ApiClient(configuration=configuration)
        else:
            problem = credential_problem(kubeconfig, context)
            if problem is not None:
                raise ConfigException(problem)
            client = kube_config.new_client_from_config(  # type: ignore[no-untyped-call]
                config_file=kubeconfig, context=context, client_configuration=configuration)
    except (ConfigException, OSError, ValueError, KeyError, TypeError, yaml.YAMLError) as exc:
        where = "in-cluster config" if in_cluster else f"kubeconfig {kubeconfig or '~/.kube/config'}"
        raise ClusterError(f"cannot load {where} for cluster {cluster}"
                           f"{f' (context {context})' if context else ''}: {exc}") from None
    if client.configuration.refresh_api_key_hook is not None:
        ThrottledTokenCheck(client.configuration, TOKEN_CHECK_INTERVAL)
    return client


TOKEN_CHECK_INTERVAL = 1.0
"""Seconds between two token-expiry checks. The loaders refresh a token five minutes before it
expires, so checking once a second instead of before every request loses nothing; the check
re-applies the whole kubeconfig (proxy lookup in the environment included) and cost a fifth of
the client's time per request. A 401 forces a check at once (see ``Transport``)."""


class ThrottledTokenCheck:
    """Stands in for a configuration's ``refresh_api_key_hook``, running it at most every ``seconds``.

    The kubeconfig loader's hook re-installs itself each time it runs; it is wrapped again then.
    """

    def __init__(self, configuration: Any, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._inner: Callable[[Any], None] = configuration.refresh_api_key_hook
        self._seconds = seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._last = -float("inf")
        configuration.refresh_api_key_hook = self

    def __call__(self, configuration: Any) -> None:
        with self._lock:
            now = self._clock()
            if now - self._last < self._seconds:
                return
            self._last = now
            self._inner(configuration)
            if configuration.refresh_api_key_hook is not self:
                self._inner = configuration.refresh_api_key_hook
                configuration.refresh_api_key_hook = self

    def force(self) -> None:
        """Run the check on the next request, however recent the last one."""
        with self._lock:
            self._last = -float("inf")
