"""An operator policy bound to where it is enforced: the repository, the directories, the daemon's namespace."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.policy.model import OperatorPolicy, reserved

DEFAULT_ORIGIN = "the default operator policy"


@dataclass(frozen=True, slots=True)
class Enforcement:
    """What a command or the daemon enforces. Paths are absolute; symlinks are resolved when checked."""

    policy: OperatorPolicy
    origin: str
    """Where the policy came from, for messages: a file, or ``DEFAULT_ORIGIN``."""
    directory_root: Path
    kubeconfig_dir: Path | None
    own_namespaces: frozenset[str] = frozenset()
    """The daemon's own namespaces (its pod's, its Lease's): never a tenant's."""
    kubeconfig_env: str = ""
    """$KUBECONFIG (identifies the clusters its contexts name)."""
    realpath: Callable[[str], str] = field(default=os.path.realpath, compare=False)

    @classmethod
    def of(cls, policy: OperatorPolicy, origin: str, repo_root: Path, *, policy_dir: Path | None = None,
           own_namespaces: tuple[str, ...] = (), kubeconfig_env: str = "") -> Enforcement:
        """Bind ``policy`` to a repository root (``directoryRoot`` relative to it) and the policy file's
        directory (``kubeconfigDir`` relative to it)."""
        root = Path(os.path.abspath(repo_root))
        spec = policy.spec
        directory_root = root if spec.directory_root is None else Path(os.path.abspath(root / spec.directory_root))
        kubeconfig_dir = None
        if spec.kubeconfig_dir is not None:
            kubeconfig_dir = Path(os.path.abspath((policy_dir or Path.cwd()) / spec.kubeconfig_dir))
        return cls(policy, origin, directory_root, kubeconfig_dir, frozenset(n for n in own_namespaces if n),
                   kubeconfig_env)

    def is_reserved(self, namespace: str) -> bool:
        """Whether no environment may write ``namespace`` (kube-*, the policy's reserved ones, the daemon's own)."""
        return reserved(namespace, frozenset(self.policy.spec.reserved_namespaces) | self.own_namespaces)

    def cluster_scoped_kinds(self, environment: str) -> frozenset[str]:
        """Cluster-scoped kinds an environment may own (none when the policy has no rule for it)."""
        rule = self.policy.spec.rule_for(environment)
        return frozenset(rule.cluster_scoped_kinds) if rule else frozenset()
