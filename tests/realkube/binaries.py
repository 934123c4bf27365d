"""Where the upstream binaries are, building them once (scripts/build-kube.sh) when missing."""

from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO / "scripts" / "build-kube.sh"
COMPONENTS = ("etcd", "kube-apiserver", "kubectl", "kube-controller-manager")

_lock = threading.Lock()
_bin_dir: Path | None = None


class BinariesMissing(RuntimeError):
    """The real-server tier cannot run: the binaries are not built and could not be."""


def bin_dir() -> Path:
    """The cache directory holding etcd, kube-apiserver, kube-controller-manager and kubectl.

    PLATFORMCTL_KUBE_BIN overrides it (a directory with those four binaries). Otherwise the
    build script prints the cache directory, building what is missing first (minutes, once).
    """
    global _bin_dir
    with _lock:
        if _bin_dir is not None:
            return _bin_dir
        override = os.environ.get("PLATFORMCTL_KUBE_BIN")
        if override:
            found = Path(override)
        else:
            done = subprocess.run(["bash", str(BUILD_SCRIPT)], capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise BinariesMissing(f"{BUILD_SCRIPT} failed (exit {done.returncode}):\n{done.stderr[-4000:]}")
            found = Path(done.stdout.strip().splitlines()[-1])
        missing = [c for c in COMPONENTS if not os.access(found / c, os.X_OK)]
        if missing:
            raise BinariesMissing(f"{', '.join(missing)} missing in {found}; run scripts/build-kube.sh")
        _bin_dir = found
        return found


def binary(name: str) -> str:
    """Absolute path of one upstream binary."""
    return str(bin_dir() / name)
