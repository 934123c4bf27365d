"""What is wrong with a kubeconfig before any request is sent, said plainly.

The client library, given a user whose ``exec`` credential plugin is not installed, logs the
failure on the root logger and goes on without credentials, so the cluster later looks
unreachable or refuses every request. Checked here first, the operator reads what to fix.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

import yaml
from kubernetes.config import kube_config


def credential_problem(config_file: str | None, context: str | None) -> str | None:
    """Why the context's user cannot get credentials (a missing exec plugin); None when nothing is seen wrong.

    Problems the loader itself reports (an unreadable file, an unknown context) are left to it.
    """
    paths = config_file or os.environ.get("KUBECONFIG") or os.path.expanduser(kube_config.KUBE_CONFIG_DEFAULT_LOCATION)
    merged: dict[str, Any] = {"contexts": [], "users": []}
    for path in paths.split(os.pathsep):  # kubectl's rule: the first file naming a thing wins
        try:
            with open(os.path.expanduser(path), encoding="utf-8") as handle:
                document = yaml.safe_load(handle)
        except (OSError, yaml.YAMLError):
            continue  # the loader reports unreadable files with its own message
        if isinstance(document, dict):
            merged.setdefault("current-context", document.get("current-context"))
            for key in ("contexts", "users"):
                merged[key].extend(e for e in document.get(key) or [] if isinstance(e, dict))
    name = context or merged.get("current-context")
    user_name = (_named(merged["contexts"], name).get("context") or {}).get("user")
    user = _named(merged["users"], user_name).get("user") or {}
    command = (user.get("exec") or {}).get("command") if isinstance(user, dict) else None
    if not command or shutil.which(str(command)) is not None:
        return None
    return (f"context {name}: user {user_name} gets its credentials by running {command!r}, which is not installed "
            f"or not on PATH; install it (e.g. the cloud provider's auth plugin) or point the cluster's kubeconfig "
            f"(or KUBECONFIG) at one with working credentials")


def _named(entries: list[dict[str, Any]], name: Any) -> dict[str, Any]:
    return next((entry for entry in entries if entry.get("name") == name), {})
