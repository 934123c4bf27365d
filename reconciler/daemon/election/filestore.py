"""A lease in a file of the state directory, for setups whose clusters are all local directories.

The record is JSON with a version counter; every read-compare-write happens under an
exclusive ``flock`` of a sidecar lock file, and the record is replaced by rename, so two
processes (or two daemons in one process) sharing the directory behave like two replicas
sharing a Lease: one wins each race, the other gets ``LeaseConflict``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reconciler.daemon.election.record import LeaseConflict, LeaseRecord, format_micro_time, parse_micro_time


class FileLeaseStore:
    """A LeaseStore backed by ``<state dir>/<name>.json``."""

    def __init__(self, directory: Path, name: str = "leader") -> None:
        self.path = directory / f"{name}.lease.json"
        self._lock_path = directory / f"{name}.lease.lock"
        self.description = f"file lease {self.path}"

    def get(self) -> LeaseRecord | None:
        """The record, or None when no lease was ever written."""
        with self._locked():
            return self._read()

    def create(self, record: LeaseRecord) -> LeaseRecord:
        """Write the first record; LeaseConflict when one exists."""
        with self._locked():
            if self._read() is not None:
                raise LeaseConflict(f"{self.description} exists already")
            return self._write(record, 1)

    def update(self, record: LeaseRecord) -> LeaseRecord:
        """Replace the record if it is still at ``record.version``; LeaseConflict otherwise."""
        with self._locked():
            current = self._read()
            if current is None or current.version != record.version:
                raise LeaseConflict(f"{self.description} changed since it was read")
            return self._write(record, int(record.version) + 1)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self._lock_path, "a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def _read(self) -> LeaseRecord | None:
        try:
            data: Any = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise OSError(f"{self.description} is unreadable: {exc}") from exc
        return LeaseRecord(holder=str(data.get("holderIdentity") or ""),
                           duration=int(data.get("leaseDurationSeconds") or 0),
                           acquire_time=parse_micro_time(data.get("acquireTime")),
                           renew_time=parse_micro_time(data.get("renewTime")),
                           transitions=int(data.get("leaseTransitions") or 0),
                           version=str(data.get("version") or 0))

    def _write(self, record: LeaseRecord, version: int) -> LeaseRecord:
        data = {"holderIdentity": record.holder, "leaseDurationSeconds": record.duration,
                "acquireTime": format_micro_time(record.acquire_time),
                "renewTime": format_micro_time(record.renew_time),
                "leaseTransitions": record.transitions, "version": version}
        fd, temp = tempfile.mkstemp(dir=self.path.parent, prefix=".lease-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle)
            os.replace(temp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
        return LeaseRecord(record.holder, record.duration, record.acquire_time, record.renew_time,
                           record.transitions, str(version))
