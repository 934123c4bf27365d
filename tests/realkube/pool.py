"""One etcd per test process and a pool of warm real clusters on it, reset between tests."""

from __future__ import annotations

import atexit
import itertools
import os
import shutil
import tempfile
import threading
from pathlib import Path

from tests.realkube.cluster import RealCluster
from tests.realkube.etcd import Etcd


class Pool:
    """Real clusters started on demand (CRDs installed once), handed out reset, kept warm."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        parent = _fast_tmp()
        _sweep_dead(Path(parent or tempfile.gettempdir()))
        self._root = Path(tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getpid()}-", dir=parent))
        self._etcd: Etcd | None = None
        self._free: list[RealCluster] = []
        self._all: list[RealCluster] = []
        self._ids = itertools.count(1)
        atexit.register(self.stop)

    def etcd(self) -> Etcd:
        with self._lock:
            if self._etcd is None:
                self._etcd = Etcd(self._root / "etcd")
            return self._etcd

    def acquire(self) -> RealCluster:
        """A cluster with every upstream CRD served and nothing else of a test's left in it."""
        etcd = self.etcd()
        with self._lock:
            cluster = self._free.pop() if self._free else None
        if cluster is None:
            name = f"c{next(self._ids)}"
            cluster = RealCluster(name, etcd, self._root / name)
            cluster.install_crds()
            cluster.mark_baseline()
            with self._lock:
                self._all.append(cluster)
        else:
            cluster.reset()
        return cluster

    def release(self, cluster: RealCluster) -> None:
        cluster.reset()
        with self._lock:
            self._free.append(cluster)

    def stop(self) -> None:
        with self._lock:
            clusters, self._all, self._free = self._all, [], []
            etcd, self._etcd = self._etcd, None
        for cluster in clusters:
            cluster.stop()
        if etcd is not None:
            etcd.stop()
        shutil.rmtree(self._root, ignore_errors=True)  # etcd's data and the logs (in /dev/shm: memory)


_PREFIX = "platformctl-realkube-"


def _sweep_dead(parent: Path) -> None:
    """Remove pools left by test processes that were killed (atexit never ran; /dev/shm is memory)."""
    for leftover in parent.glob(f"{_PREFIX}*-*"):
        pid = leftover.name[len(_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(leftover, ignore_errors=True)


def _fast_tmp() -> str | None:
    """/dev/shm when it has room (etcd's writes stay in memory; its WAL preallocates 64 MiB
    files, more than a container's default 64 MiB /dev/shm), else the default temp dir."""
    shm = Path("/dev/shm")
    try:
        stats = os.statvfs(shm)
    except OSError:
        return None
    return str(shm) if stats.f_bavail * stats.f_frsize >= 2 << 30 else None


POOL = Pool()
"""The process's pool (each pytest-xdist worker has its own)."""
