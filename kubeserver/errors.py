"""API errors and the `Status` bodies a real kube-apiserver writes for them.

Shapes follow k8s.io/apimachinery/pkg/api/errors (see kubeserver/data/RESPONSES.md):
`details.kind` is the plural resource for NotFound/AlreadyExists/Conflict and the Kind
for Invalid; the message uses the GroupResource string (`pods "x"`, `deployments.apps "x"`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

OPTIMISTIC_LOCK_MSG = (
    "the object has been modified; please apply your changes to the latest version and try again"
)


def group_resource(resource: str, group: str) -> str:
    """`GroupResource.String()`: `configmaps` for core, `leases.coordination.k8s.io` else."""
    return f"{resource}.{group}" if group else resource


class ApiError(Exception):
    """An error answered to the client as a `Status` object with an HTTP code."""

    content_type = "application/json"

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        details: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        # None: no `details` key; {} (e.g. a path nothing serves): `"details":{}`, as written.
        self.details = dict(details) if details is not None else None
        self.headers = dict(headers or {})

    def status(self) -> dict[str, Any]:
        """The `Status` body, keys in the order the apiserver writes them (no `reason` when
        empty: kube-apiserver's bare 500s for errors it does not classify have none)."""
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
        }
        if self.reason:
            body["reason"] = self.reason
        if self.details is not None:
            body["details"] = self.details
        body["code"] = self.code
        return body

    def body(self) -> bytes:
        """The wire body: compact JSON and a trailing newline, like a real capture."""
        return json.dumps(self.status(), separators=(",", ":")).encode() + b"\n"


def _details(name: str, group: str, kind: str, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if name:
        out["name"] = name
    if group:
        out["group"] = group
    if kind:
        out["kind"] = kind
    out.update({k: v for k, v in extra.items() if v})
    return out


def not_found(resource: str, group: str, name: str) -> ApiError:
    """404 NotFound for a named object (or a namespace)."""
    return ApiError(
        404,
        "NotFound",
        f"{group_resource(resource, group)} {json.dumps(name)} not found",
        _details(name, group, resource),
    )


def no_route() -> ApiError:
    """404 for a path the server does not serve at all."""
    return ApiError(404, "NotFound", "the server could not find the requested resource", {})


class PageNotFound(ApiError):
    """The plain-text 404 of the apiserver's last handler: paths under /apis/<group>/<version>
    of a group-version no built-in serves (a CRD's group included) that nothing matched."""

    content_type = "text/plain; charset=utf-8"

    def __init__(self) -> None:
        super().__init__(404, "NotFound", "404 page not found")

    def body(self) -> bytes:
        return b"404 page not found\n"


def already_exists(resource: str, group: str, name: str) -> ApiError:
    """409 AlreadyExists on create."""
    return ApiError(
        409,
        "AlreadyExists",
        f"{group_resource(resource, group)} {json.dumps(name)} already exists",
        _details(name, group, resource),
    )


def conflict(resource: str, group: str, name: str, why: str = OPTIMISTIC_LOCK_MSG) -> ApiError:
    """409 Conflict (stale resourceVersion, failed precondition)."""
    return ApiError(
        409,
        "Conflict",
        f"Operation cannot be fulfilled on {group_resource(resource, group)} "
        f"{json.dumps(name)}: {why}",
        _details(name, group, resource),
    )


def apply_conflict(causes: list[dict[str, str]], message: str) -> ApiError:
    """409 Conflict from server-side apply; details carry only the causes."""
    return ApiError(409, "Conflict", message, {"causes": causes})


def bad_request(message: str) -> ApiError:
    """400 BadRequest."""
    return ApiError(400, "BadRequest", message)


def method_not_allowed(method: str = "") -> ApiError:
    """405 MethodNotAllowed."""
    return ApiError(
        405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {}
    )


def unsupported_media_type(content_type: str, accepted: Iterable[str]) -> ApiError:
    """415 UnsupportedMediaType for an unknown patch type."""
    return ApiError(
        415,
        "UnsupportedMediaType",
        f"the body of the request was in an unknown format - accepted media types include: "
        f"{', '.join(accepted)}",
    )


def invalid(kind: str, group: str, name: str, causes: list[dict[str, str]]) -> ApiError:
    """422 Invalid; `causes` are `{reason, message, field}` StatusCauses."""
    qualified = f"{kind}.{group}" if group else kind
    texts = [f"{c['field']}: {c['message']}" if c.get("field") else c["message"] for c in causes]
    if not texts:
        message = f"{qualified} {json.dumps(name)} is invalid"
    elif len(texts) == 1:
        message = f"{qualified} {json.dumps(name)} is invalid: {texts[0]}"
    else:
        message = f"{qualified} {json.dumps(name)} is invalid: [{', '.join(texts)}]"
    return ApiError(422, "Invalid", message, _details(name, group, kind, causes=causes))


def cause(field: str, reason: str, message: str) -> dict[str, str]:
    """One StatusCause, keys in wire order."""
    return {"reason": reason, "message": message, "field": field}


def gone(message: str) -> ApiError:
    """410 Expired (too old resource version / expired continue token)."""
    return ApiError(410, "Expired", message)


def forbidden(resource: str, group: str, name: str, why: str,
              causes: list[dict[str, str]] | None = None) -> ApiError:
    """403 Forbidden (e.g. creating in a terminating namespace)."""
    return ApiError(
        403,
        "Forbidden",
        f"{group_resource(resource, group)} {json.dumps(name)} is forbidden: {why}",
        _details(name, group, resource, causes=causes),
    )


def internal(message: str) -> ApiError:
    """A bare 500 as kube-apiserver writes for errors it does not classify: no reason, no details."""
    return ApiError(500, "", message)


def too_many_requests(retry_after: int, message: str = "") -> ApiError:
    """429 TooManyRequests as a Status (the Retry-After header comes from the details)."""
    return ApiError(
        429,
        "TooManyRequests",
        message or "Too many requests, please try again later.",
        {"retryAfterSeconds": retry_after} if retry_after > 0 else None,
        {"Retry-After": str(retry_after)} if retry_after > 0 else {},
    )


_REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    410: "Expired",
    415: "UnsupportedMediaType",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}


def from_code(code: int, message: str = "") -> ApiError:
    """A generic error for an injected fault with any HTTP code."""
    reason = _REASONS.get(code, "InternalError" if code >= 500 else "BadRequest")
    if not message:
        message = {
            500: "Internal error occurred: injected fault",
            503: "the server is currently unable to handle the request",
            504: "the server was unable to return a response in the time allotted",
        }.get(code, f"injected fault ({code})")
    details = {"causes": [{"message": "injected fault"}]} if code == 500 else None
    return ApiError(code, reason, message, details)
