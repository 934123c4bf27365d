"""A parsed API request and the reply handlers produce, independent of the HTTP layer."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from kubeserver.errors import ApiError, bad_request
from kubeserver.resources import ResourceType
from kubeserver.store import dumps


@dataclass(slots=True)
class Call:
    """One resource request: `/apis/{group}/{version}/namespaces/{ns}/{plural}/{name}/{sub}`."""

    method: str
    rtype: ResourceType
    version: str
    namespace: str | None
    name: str | None
    subresource: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes = b""
    watch: bool = False

    @property
    def verb(self) -> str:
        """The Kubernetes verb (get, list, watch, create, update, patch, delete, deletecollection)."""
        if self.method == "GET":
            if self.name is not None:
                return "get"
            return "watch" if self.watch else "list"
        return {
            "POST": "create", "PUT": "update", "PATCH": "patch",
            "DELETE": "delete" if self.name is not None else "deletecollection",
        }.get(self.method, self.method.lower())

    @property
    def storage_namespace(self) -> str:
        return (self.namespace or "") if self.rtype.namespaced else ""

    def flag(self, name: str) -> bool:
        """A boolean query parameter (`true`/`1`)."""
        return self.query.get(name, "").lower() in ("true", "1")

    def dry_run(self) -> bool:
        """`dryRun=All` (400 for any other value)."""
        value = self.query.get("dryRun")
        if value is None or value == "":
            return False
        if value != "All":
            raise bad_request(f'dryRun: Unsupported value: "{value}": supported values: "All"')
        return True

    def field_validation(self) -> str:
        """`fieldValidation` (Warn by default, as since kube 1.27)."""
        value = self.query.get("fieldValidation") or "Warn"
        if value not in ("Strict", "Warn", "Ignore"):
            raise bad_request(
                f'fieldValidation: Unsupported value: "{value}": supported values: "Ignore", '
                '"Strict", "Warn"'
            )
        return value

    def manager(self) -> str:
        """`fieldManager`, or the User-Agent's product name as the apiserver defaults it."""
        manager = self.query.get("fieldManager", "")
        if len(manager) > 128:
            raise ApiError(
                422, "Invalid",
                "fieldManager: Too long: may not be more than 128 bytes",
            )
        if manager:
            return manager
        agent = self.headers.get("user-agent", "")
        return agent.split("/", 1)[0] if agent else "unknown"


@dataclass(slots=True)
class Reply:
    """Status code, body and headers; `stream` yields the chunks of a watch."""

    code: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    stream: Iterator[bytes] | None = None
    content_type: str = "application/json"
    persisted: bool = False  # a write that changed storage (what an etcd commit would cost)


def json_reply(code: int, obj: Any, warnings: list[str] | None = None) -> Reply:
    """A JSON reply, with `Warning: 299 - "..."` headers for each warning."""
    reply = Reply(code, dumps(obj))
    if warnings:
        reply.headers["Warning"] = ", ".join(
            '299 - "' + w.replace("\\", "\\\\").replace('"', '\\"') + '"' for w in warnings
        )
    return reply


def error_reply(err: ApiError) -> Reply:
    """The Status reply of an ApiError."""
    return Reply(err.code, err.body(), dict(err.headers), content_type=err.content_type)
