"""WATCH events of a Kubernetes API server: the event type and pure parsing (no I/O).

A watch answer is newline-delimited JSON, one ``{"type": ..., "object": ...}`` per line, sent in
HTTP chunks whose boundaries need not match line boundaries. ``LineSplitter`` turns chunks into
complete lines; ``decode_event`` turns a line into a ``WatchEvent``, or raises for an ERROR event
(``Expired`` for code 410) or a malformed line. The I/O is in ``cluster`` / ``transport``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from reconciler.cluster.base import KindRef
from reconciler.cluster.kube.errors import MAX_MESSAGE, error_for
from reconciler.errors import ClusterError, Expired
from reconciler.objects import Manifest

EVENT_TYPES = frozenset({"ADDED", "MODIFIED", "DELETED", "BOOKMARK"})


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """One change the server reported: ADDED, MODIFIED, DELETED, or a BOOKMARK (progress only).

    ``object`` carries apiVersion and kind like a GET; for a BOOKMARK it is the partial object the
    server sends (kind, apiVersion and ``metadata.resourceVersion``).
    """

    type: str
    object: Manifest

    @property
    def resource_version(self) -> str:
        """The object's ``metadata.resourceVersion`` ('' if absent): where a later watch resumes."""
        metadata = self.object.get("metadata")
        if not isinstance(metadata, dict):
            return ""
        return str(metadata.get("resourceVersion") or "")


class LineSplitter:
    """Splits a byte stream into lines whatever its chunking (a line may span many chunks)."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []  # the unfinished line, not joined until its newline arrives

    def feed(self, chunk: bytes) -> Iterator[bytes]:
        """The lines (without their newline) that ``chunk`` completes; blank lines skipped."""
        if b"\n" not in chunk:
            if chunk:
                self._parts.append(chunk)
            return
        self._parts.append(chunk)
        data = b"".join(self._parts)
        *lines, rest = data.split(b"\n")
        self._parts = [rest] if rest else []
        for line in lines:
            if line.strip():
                yield line

    def rest(self) -> bytes:
        """What came after the last newline (a last line without one, or a cut-off line)."""
        return b"".join(self._parts)


def decode_event(line: bytes, kind: KindRef, cluster: str) -> WatchEvent:
    """The event on one line of a watch of ``kind``.

    Raises ``Expired`` for an ERROR event with code 410 (the resourceVersion is too old), the
    typed ClusterError (``errors.error_for``) for other ERROR events, and ClusterError for a
    line that is not a watch event.
    """
    try:
        event = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise _malformed(cluster, kind, f"not JSON ({exc})", line) from None
    if not isinstance(event, dict):
        raise _malformed(cluster, kind, "not a JSON object", line)
    type_, obj = event.get("type"), event.get("object")
    if not isinstance(obj, dict):
        raise _malformed(cluster, kind, "no object", line)
    if type_ == "ERROR":
        raise error_event(obj, kind, cluster)
    if type_ not in EVENT_TYPES:
        raise _malformed(cluster, kind, f"unknown event type {type_!r}", line)
    # Objects come with apiVersion and kind from a real server; fill them if not, as LIST does.
    return WatchEvent(str(type_), {"apiVersion": kind.api_version, "kind": kind.kind, **obj})


def error_event(status: dict[str, Any], kind: KindRef, cluster: str) -> ClusterError:
    """The error an ERROR event's Status stands for: Expired for 410, else as an HTTP answer would be."""
    code = status.get("code")
    code = code if isinstance(code, int) and code > 0 else 500
    if code == 410 or status.get("reason") in ("Expired", "Gone"):
        message = str(status.get("message") or "resourceVersion too old")
        return Expired(_clip(f"watch of {kind.kind} ({kind.api_version}) on cluster {cluster} expired: "
                             f"{message}; list again and watch from the new resourceVersion"))
    return error_for(code, {}, orjson.dumps(status), key=None, kind=kind, cluster=cluster)


def _malformed(cluster: str, kind: KindRef, why: str, line: bytes) -> ClusterError:
    text = line[:120].decode("utf-8", "replace")
    more = "..." if len(line) > 120 else ""
    return ClusterError(_clip(f"cluster {cluster} sent a malformed watch event for {kind.kind} "
                              f"({kind.api_version}): {why}: {text}{more}"))


def _clip(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."
