"""Which operator policy a command or the daemon runs under, and the daemon's own namespace.

CLI: ``--policy FILE``, else ``$PLATFORMCTL_POLICY``, else ``$XDG_CONFIG_HOME/platformctl/policy.yaml``
(``~/.config/...``) when it exists, else the safe defaults. A policy file that fails to load
is an error, never "no policy".
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from reconciler.policy.enforcement import DEFAULT_ORIGIN, Enforcement
from reconciler.policy.load import read_policy
from reconciler.policy.model import OperatorPolicy

POLICY_VARIABLE = "PLATFORMCTL_POLICY"
SERVICE_ACCOUNT_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")


def policy_path(flag: Path | None, environ: Mapping[str, str]) -> Path | None:
    """The policy file to read, or None for the defaults."""
    if flag is not None:
        return flag
    if environ.get(POLICY_VARIABLE):
        return Path(environ[POLICY_VARIABLE])
    config_home = Path(environ.get("XDG_CONFIG_HOME") or Path(environ.get("HOME") or Path.home()) / ".config")
    user_file = config_home / "platformctl" / "policy.yaml"
    return user_file if user_file.is_file() else None


def enforcement(repo_root: Path, flag: Path | None = None, environ: Mapping[str, str] | None = None, *,
                own_namespaces: tuple[str, ...] = ()) -> Enforcement:
    """The Enforcement for a repository (SpecErrors when the chosen policy file is broken)."""
    env = os.environ if environ is None else environ
    path = policy_path(flag, env)
    kubeconfig_env = env.get("KUBECONFIG", "")
    if path is None:
        return Enforcement.of(OperatorPolicy(), DEFAULT_ORIGIN, repo_root, own_namespaces=own_namespaces,
                              kubeconfig_env=kubeconfig_env)
    policy = read_policy(path)
    return Enforcement.of(policy, f"the operator policy {path}", repo_root, policy_dir=path.parent.absolute(),
                          own_namespaces=own_namespaces, kubeconfig_env=kubeconfig_env)


def daemon_enforcement(policy_file: Path | None, cluster_root: Path, namespaces: tuple[str | None, ...],
                       environ: Mapping[str, str] | None = None) -> Enforcement:
    """The daemon's Enforcement: its policy file or the defaults (never the user's config), ``directory:``
    clusters under ``cluster_root``, its own ``namespaces`` reserved."""
    env = dict(os.environ if environ is None else environ)
    env.pop(POLICY_VARIABLE, None)  # the daemon's config already read it into policy_file
    env["XDG_CONFIG_HOME"] = "/nonexistent"  # a daemon reads only the file it is given
    own = tuple(n for n in namespaces if n)
    return enforcement(cluster_root, policy_file, env, own_namespaces=own)


def own_namespace(flag: str | None, environ: Mapping[str, str],
                  service_account_file: Path = SERVICE_ACCOUNT_NAMESPACE) -> str | None:
    """The daemon's namespace: the flag, else $POD_NAMESPACE, else the service account's, else None."""
    if flag:
        return flag
    if environ.get("POD_NAMESPACE"):
        return environ["POD_NAMESPACE"]
    try:
        return service_account_file.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None
