"""A Prometheus-compatible HTTP query API client (I/O: one GET per query, standard library only).

The address is operator configuration (``platformctl run --prometheus-url``), never repository
content; queries come from the spec and are only ever read (``/api/v1/query``).
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass


class QueryError(Exception):
    """The query could not be answered (unreachable server, bad query, unexpected answer)."""


@dataclass(frozen=True, slots=True)
class Prometheus:
    """The query endpoint at ``url`` (e.g. ``http://prometheus.monitoring:9090``)."""

    url: str
    timeout: float = 5.0

    def query(self, promql: str) -> float | None:
        """The value of an instant query: a scalar, or the first sample of a vector; None when it returned no
        sample (no data). QueryError when it cannot be answered."""
        address = f"{self.url.rstrip('/')}/api/v1/query?{urllib.parse.urlencode({'query': promql})}"
        try:
            with urllib.request.urlopen(address, timeout=self.timeout) as answer:  # noqa: S310 - operator's URL
                body = json.loads(answer.read(1 << 20))
        except urllib.error.HTTPError as exc:
            raise QueryError(f"HTTP {exc.code}: {_error_text(exc)}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise QueryError(f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}") from None
        return sample(body)


def sample(body: object) -> float | None:
    """The value in a query answer (pure): scalar or first vector sample; None for an empty vector."""
    if not isinstance(body, dict) or body.get("status") != "success":
        error = body.get("error") if isinstance(body, dict) else None
        raise QueryError(f"query failed: {error or 'unexpected answer'}")
    data = body.get("data") or {}
    kind, result = data.get("resultType"), data.get("result")
    try:
        if kind == "scalar" and isinstance(result, list):
            value = float(result[1])
        elif kind == "vector" and isinstance(result, list):
            if not result:
                return None
            value = float(result[0]["value"][1])
        else:
            raise QueryError(f"query answered a {kind}, not a scalar or an instant vector")
    except (TypeError, KeyError, IndexError, ValueError):
        raise QueryError("malformed query answer") from None
    return None if math.isnan(value) else value


def _error_text(exc: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(exc.read(4096))
        return str(body.get("error") or exc.reason)
    except (ValueError, AttributeError, OSError):
        return str(exc.reason)
