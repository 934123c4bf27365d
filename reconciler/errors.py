"""The project's error types: one root, spec errors with locations, cluster errors with keys."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


class PlatformctlError(Exception):
    """Root of every error platformctl raises on purpose."""


@dataclass(frozen=True, slots=True, order=True)
class SpecError:
    """One problem in the platform spec, located at ``path:line:col`` (1-based)."""

    path: str
    line: int
    col: int
    message: str
    hint: str = ""

    def __str__(self) -> str:
        text = f"{self.path}:{self.line}:{self.col}: {self.message}"
        return f"{text}; {self.hint}" if self.hint else text


class SpecErrors(PlatformctlError):
    """Every problem found in one load, reported together."""

    def __init__(self, errors: list[SpecError]) -> None:
        self.errors = sorted(set(errors))
        super().__init__("\n".join(str(e) for e in self.errors))


class UsageError(PlatformctlError):
    """The command line names something that does not exist, or asks for something that makes no sense."""


class UnknownEnvironment(UsageError):
    """An environment name that the platform does not define."""

    def __init__(self, name: str, known: Sequence[str]) -> None:
        super().__init__(f"unknown environment '{name}'; known: {', '.join(known)}")
        self.name = name
        self.known = tuple(known)

    @classmethod
    def check(cls, names: Iterable[str], known: Sequence[str]) -> None:
        """Raise for the first of ``names`` not in ``known`` (listed in the order given)."""
        for name in names:
            if name not in known:
                raise cls(name, known)


class UnknownCluster(UsageError):
    """A cluster name that no selected environment declares."""


class ClusterError(PlatformctlError):
    """A request to a cluster failed; carries the object it was about (if any) and the HTTP status."""

    status: int = 0
    reason: str = "Unknown"

    def __init__(self, message: str, *, key: object | None = None, status: int | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.key = key
        if status is not None:
            self.status = status
        self.retry_after = retry_after

    def __str__(self) -> str:
        return f"{self.key}: {self.message}" if self.key is not None else self.message


class NotFound(ClusterError):
    """404: the object (or its kind: CRD not installed) does not exist."""

    status, reason = 404, "NotFound"


class Conflict(ClusterError):
    """409: stale resourceVersion, already exists, or a field-manager conflict."""

    status, reason = 409, "Conflict"


class Forbidden(ClusterError):
    """403: RBAC refused the request, or the namespace is terminating."""

    status, reason = 403, "Forbidden"


class Invalid(ClusterError):
    """400/422: the server rejected the object; ``causes`` lists field errors."""

    status, reason = 422, "Invalid"

    def __init__(self, message: str, *, key: object | None = None, status: int | None = None,
                 causes: list[str] | None = None) -> None:
        super().__init__(message, key=key, status=status)
        self.causes = causes or []


class Unavailable(ClusterError):
    """The cluster did not answer usefully: connection refused or timed out, 429, 5xx after retries."""

    status, reason = 503, "Unavailable"


class Expired(ClusterError):
    """The resourceVersion is too old (410 Gone / ERROR event with code 410): re-list and watch again."""

    status, reason = 410, "Expired"


class NoAnswer(Unavailable):
    """The cluster gave no HTTP answer at all (connection refused or reset, or no answer before the
    deadline): unreachable, which is not a server error, so it carries no HTTP status."""

    status, reason = 0, "NoAnswer"


class Fenced(ClusterError):
    """A write stopped by the write fence, never sent: the leader lease's renew deadline has passed,
    or a retry would have to wait past it. Not retryable by the client."""

    status, reason = 0, "Fenced"
