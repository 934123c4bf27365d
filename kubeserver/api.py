"""Routing of API paths to discovery documents and resource verbs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kubeserver import discovery, handlers, openapi, reads, tables
from kubeserver.cluster import Cluster
from kubeserver.errors import PageNotFound, method_not_allowed, no_route
from kubeserver.protocol import Call, Reply, json_reply


@dataclass(slots=True)
class Route:
    """What a request addresses: a resource call, or a non-resource document."""

    call: Call | None
    verb: str
    resource: str
    namespace: str = ""
    name: str = ""


class Api:
    """Answers parsed requests for one cluster."""

    def __init__(self, cluster: Cluster, address: Callable[[], str]) -> None:
        self.cluster = cluster
        self.pager = reads.Pager()
        self.address = address
        self.bookmark_every = 60.0

    def route(self, method: str, path: str, query: dict[str, str], headers: dict[str, str],
              body: bytes) -> Route:
        """Resolve the path (404 for unknown paths or kinds)."""
        parts = [p for p in path.split("/") if p]
        if len(parts) >= 2 and parts[0] == "api" and parts[1] == "v1" and len(parts) > 2:
            group, version, rest = "", "v1", parts[2:]
        elif len(parts) > 3 and parts[0] == "apis":
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            return Route(None, "get" if method == "GET" else method.lower(), "")
        watch = query.get("watch", "").lower() in ("true", "1")
        if rest[0] == "watch":
            watch, rest = True, rest[1:]
        namespace = None
        if len(rest) >= 3 and rest[0] == "namespaces" and not (
                group == "" and len(rest) == 3 and rest[2] in ("status", "finalize")):
            namespace, rest = rest[1], rest[2:]
        if not rest or len(rest) > 3:
            raise no_route()
        plural = rest[0]
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else ""
        rtype = self.cluster.lookup(group, version, plural)
        if rtype is None:
            raise no_route() if self.cluster.builtin_group_version(group, version) else PageNotFound()
        if (namespace is not None and not rtype.namespaced) or (
                rtype.namespaced and namespace is None and name is not None):
            raise no_route()
        if sub and (sub != "status" or not rtype.versions[version].status):
            raise no_route()
        if watch and name is not None:
            query = {**query, "fieldSelector": f"metadata.name={name}"}
            name = None
        call = Call(method, rtype, version, namespace, name, sub, query, headers, body, watch)
        resource = rtype.group_resource + (f"/{sub}" if sub else "")
        return Route(call, call.verb, resource, namespace or "", name or "")

    def answer(self, route: Route, path: str, headers: dict[str, str],
               alive: Callable[[], bool]) -> Reply:
        """The reply for a routed request (raises ApiError for error Statuses)."""
        call = route.call
        if call is None:
            return self._document(path, headers.get("accept", ""))
        verb = call.verb
        if verb == "get" and call.method == "GET":
            reply = reads.get(self.cluster, call)
        elif verb == "list":
            reply = reads.list_(self.cluster, self.pager, call)
        elif verb == "watch":
            return reads.watch(self.cluster, call, alive, self.bookmark_every)
        elif verb == "create":
            return handlers.create(self.cluster, call)
        elif verb == "update" and call.name is not None:
            return handlers.update(self.cluster, call)
        elif verb == "patch" and call.name is not None:
            return handlers.patch(self.cluster, call)
        elif verb == "delete":
            return handlers.delete(self.cluster, call)
        elif verb == "deletecollection":
            return handlers.delete_collection(self.cluster, call)
        else:
            raise method_not_allowed()
        if tables.wants_table(headers.get("accept", "")):
            return tables.as_table(call, reply)
        return reply

    def _document(self, path: str, accept: str) -> Reply:
        parts = [p for p in path.split("/") if p]
        doc: Any = None
        content_type = "application/json"
        if parts in (["api"], ["apis"]) and discovery.wants_aggregated(accept):
            doc = discovery.aggregated(self.cluster, core=parts == ["api"])
            content_type = discovery.AGGREGATED
        elif parts == ["api"]:
            doc = discovery.api_versions(self.address())
        elif parts == ["apis"]:
            doc = discovery.group_list(self.cluster)
        elif parts == ["api", "v1"]:
            doc = discovery.resource_list(self.cluster, "", "v1")
        elif len(parts) == 2 and parts[0] == "apis":
            doc = discovery.group(self.cluster, parts[1])
        elif len(parts) == 3 and parts[0] == "apis":
            doc = discovery.resource_list(self.cluster, parts[1], parts[2])
        elif parts == ["openapi", "v3"]:
            doc = openapi.root(self.cluster)
        elif parts[:2] == ["openapi", "v3"]:
            doc = openapi.document(self.cluster, path)
        elif parts == ["version"]:
            doc = discovery.VERSION
        elif parts in (["healthz"], ["readyz"], ["livez"]):
            return Reply(200, b"ok", content_type="text/plain; charset=utf-8")
        elif not parts:
            doc = {"paths": ["/api", "/api/v1", "/apis", "/healthz", "/livez", "/readyz",
                             "/version"]}
        if doc is None:
            raise no_route()
        reply = json_reply(200, doc)
        reply.content_type = content_type
        reply.headers["Vary"] = "Accept"
        return reply
