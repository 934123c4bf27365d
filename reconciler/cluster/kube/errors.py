"""HTTP answers of a Kubernetes API server -> the ClusterError family, decided in this one place (pure).

The message comes from the ``Status`` body the server sends (truncated: bodies can be huge),
or from the raw text when the body is not a Status (APF's plain-text 429, a proxy's 502 page).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import orjson

from reconciler.cluster.base import KindRef
from reconciler.errors import ClusterError, Conflict, Forbidden, Invalid, NotFound, Unavailable

MAX_MESSAGE = 300
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


def parse_body(raw: bytes) -> Any:
    """The decoded JSON body, or None when it is not JSON (orjson: lists of thousands of objects are the
    biggest cost of a no-op reconcile)."""
    try:
        return orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        return None


def status_message(status: int, body: Any, raw: bytes) -> str:
    """The server's message for a failed request, at most MAX_MESSAGE characters."""
    if isinstance(body, dict) and body.get("message"):
        text = str(body["message"])
    else:
        text = raw.decode("utf-8", "replace").strip() or f"HTTP {status}"
    return _truncate(text)


def _truncate(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."


def _is_custom(kind: KindRef) -> bool:
    """Served from a CRD (not a built-in group such as core or ``*.k8s.io``)."""
    return "." in kind.group and not kind.group.endswith(".k8s.io")


def retry_after(headers: Mapping[str, str], body: Any) -> float | None:
    """Seconds the server asked us to wait: ``Retry-After`` header, else ``details.retryAfterSeconds``."""
    value = headers.get("Retry-After") or headers.get("retry-after")
    if value is not None:
        try:
            return max(0.0, float(value))
        except ValueError:
            pass  # an HTTP-date: rare from API servers; fall back to the body
    if isinstance(body, dict):
        seconds = (body.get("details") or {}).get("retryAfterSeconds")
        if isinstance(seconds, int | float):
            return max(0.0, float(seconds))
    return None


def is_route_not_found(body: Any) -> bool:
    """A 404 for the path itself (kind not served), not for a named object or its namespace."""
    details = body.get("details") if isinstance(body, dict) else None
    return not (isinstance(details, dict) and details.get("name"))


_TYPED_PATCH_FAILURE = re.compile(r"^failed to create typed patch object \([^)]*\): \.?(?P<cause>.+)$", re.S)


def is_request_fault(status: int, body: Any) -> bool:
    """A 5xx that is the request's own fault, so retrying cannot help.

    kube-apiserver answers a server-side apply whose body does not fit the schema's types
    (a string where a list belongs) with 500 "failed to create typed patch object", before
    any 422 validation runs.
    """
    return (status == 500 and isinstance(body, dict)
            and _TYPED_PATCH_FAILURE.match(str(body.get("message", ""))) is not None)


def error_for(status: int, headers: Mapping[str, str], raw: bytes, *, key: object | None,
              kind: KindRef | None, cluster: str) -> ClusterError:
    """The typed error for a non-2xx answer, carrying the object key."""
    body = parse_body(raw)
    message = status_message(status, body, raw)
    if status == 404:
        if kind is not None and is_route_not_found(body):
            hint = "; is its CustomResourceDefinition installed?" if _is_custom(kind) else ""
            message = _truncate(f"cluster {cluster} does not serve {kind.kind} ({kind.api_version}){hint} "
                                f"({message})")
        return NotFound(message, key=key, status=status)
    if status == 401:
        return Forbidden(_truncate(f"cluster {cluster} refused the kubeconfig's credentials ({message}): an expired "
                                   f"token or certificate, or the wrong user?"), key=key, status=status)
    if status == 403:
        return Forbidden(message, key=key, status=status)
    if status in (409, 410):
        return Conflict(message, key=key, status=status)
    if is_request_fault(status, body):
        found = _TYPED_PATCH_FAILURE.match(str(body["message"]))
        causes = [found.group("cause")] if found else []
        return Invalid(message, key=key, status=status, causes=causes)
    if status in RETRYABLE_STATUSES or status >= 500:
        return Unavailable(message, key=key, status=status, retry_after=retry_after(headers, body))
    # 400, 422 and the rest of 4xx: the request itself is wrong.
    return Invalid(message, key=key, status=status, causes=_causes(body))


def _causes(body: Any) -> list[str]:
    """``field: message`` for each StatusCause."""
    details = body.get("details") if isinstance(body, dict) else None
    causes = details.get("causes") if isinstance(details, dict) else None
    out: list[str] = []
    for cause in causes if isinstance(causes, list) else []:
        if isinstance(cause, dict):
            field, text = cause.get("field"), str(cause.get("message", ""))
            out.append(f"{field}: {text}" if field else text)
    return out
