"""Spec fields that name places (``directory:``, kubeconfig ``path:``) turned into allowed paths, or refused.

A path is allowed only when it resolves, symlinks followed, inside the directory the operator
chose; absolute ``directory:`` values and ``..`` steps are refused outright.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from reconciler.errors import PlatformctlError
from reconciler.policy.enforcement import Enforcement


class PlaceRefused(PlatformctlError):
    """A place the operator policy does not allow; ``message`` says what, ``hint`` how to fix it."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(f"{message}; {hint}")
        self.message, self.hint = message, hint


def directory_place(enforcement: Enforcement, directory: str) -> Path:
    """The resolved directory of a ``directory:`` cluster (PlaceRefused when outside the directory root)."""
    root = enforcement.directory_root
    hint = f"use a relative path inside {root} (the operator policy's directoryRoot)"
    if PurePosixPath(directory).is_absolute() or os.path.isabs(directory):
        raise PlaceRefused(f"directory '{directory}' is an absolute path", hint)
    if ".." in PurePosixPath(directory).parts:
        raise PlaceRefused(f"directory '{directory}' steps out with '..'", hint)
    real_root = Path(enforcement.realpath(str(root)))
    target = Path(enforcement.realpath(str(root / directory)))
    if not target.is_relative_to(real_root):
        raise PlaceRefused(f"directory '{directory}' resolves to {target}, outside {real_root} (a symbolic link)",
                           hint)
    return target


def relative_directory(enforcement: Enforcement, directory: str) -> str:
    """A ``directory:`` value relative to the directory root, '/'-separated (for the policy's patterns)."""
    target = directory_place(enforcement, directory)
    return target.relative_to(Path(enforcement.realpath(str(enforcement.directory_root)))).as_posix()


def kubeconfig_place(enforcement: Enforcement, path: str) -> Path:
    """The resolved kubeconfig file of a ``path:`` (PlaceRefused unless under the policy's kubeconfigDir)."""
    allowed = enforcement.kubeconfig_dir
    if allowed is None:
        raise PlaceRefused(f"kubeconfig path '{path}' is not allowed: no kubeconfig directory is configured",
                           f"set spec.kubeconfigDir in the operator policy (--policy FILE or $PLATFORMCTL_POLICY; "
                           f"now {enforcement.origin}), or drop 'path:' to use a context of $KUBECONFIG")
    hint = f"put the kubeconfig under {allowed} (the operator policy's kubeconfigDir) and name it relative to it"
    if ".." in PurePosixPath(path).parts:
        raise PlaceRefused(f"kubeconfig path '{path}' steps out with '..'", hint)
    real_dir = Path(enforcement.realpath(str(allowed)))
    target = Path(enforcement.realpath(str(allowed / path)))  # an absolute path replaces the directory
    if not target.is_relative_to(real_dir):
        raise PlaceRefused(f"kubeconfig path '{path}' resolves to {target}, outside {real_dir}", hint)
    return target
