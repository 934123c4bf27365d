"""Hand a webhook push that reached a standby replica to the leader, through a shared record.

A push lands on whichever replica the Service picks, but only the leader applies. A standby
that receives one records it next to the lease (``FilePushRelay`` here, ``KubePushRelay``: a
ConfigMap beside the Lease); the leader reads the record on every lease tick (every
``retry_period``, 2 s) and refreshes at once when it changed, instead of at its next poll.
Flux hands receiver events to its source controller through an object in the same way.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Protocol


class PushRelay(Protocol):
    """A record of the latest push any replica received."""

    description: str

    def publish(self, ref: str, by: str) -> None:
        """Record that replica ``by`` received a push to ``ref``."""
        ...

    def version(self) -> str:
        """An opaque token that changes with every publish ("" before the first)."""
        ...


class RelayWatch:
    """The leader's side: has anything been published since the last look?"""

    def __init__(self, relay: PushRelay) -> None:
        self.relay = relay
        self._seen: str | None = None

    def changed(self) -> bool:
        """True when a push was published since the previous call; the first call only looks."""
        current = self.relay.version()
        previous, self._seen = self._seen, current
        return previous is not None and current != previous


class FilePushRelay:
    """``<state dir>/<name>.push.json``, replaced atomically by rename (for the file lease)."""

    def __init__(self, directory: Path, name: str = "leader") -> None:
        self.path = directory / f"{name}.push.json"
        self.description = f"push relay file {self.path}"

    def publish(self, ref: str, by: str) -> None:
        """Write the record (tmp file + rename: a reader never sees half of it)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        body = json.dumps({"ref": ref, "by": by, "at": time.time_ns()})
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".push-")
        with os.fdopen(fd, "w") as out:
            out.write(body)
        os.replace(tmp, self.path)

    def version(self) -> str:
        """The record's content ("" when there is none)."""
        try:
            return self.path.read_text()
        except FileNotFoundError:
            return ""
