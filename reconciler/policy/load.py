"""Read an operator policy file with the spec's hardened YAML parser; errors as ``file:line:col``."""

from __future__ import annotations

from pathlib import Path

from reconciler.policy.model import OperatorPolicy
from reconciler.spec.standalone import parse_kind, read_operator_file


def parse_policy(data: bytes, path: str) -> OperatorPolicy:
    """The policy in ``data`` (the text of ``path``); SpecErrors listing every problem."""
    return parse_kind(data, path, OperatorPolicy, "OperatorPolicy", "an operator policy")[0]


def read_policy(path: Path) -> OperatorPolicy:
    """Read and parse the policy file at ``path``; an unreadable file is an error, never "no policy"."""
    return parse_policy(read_operator_file(path, "the operator policy", "--policy or $PLATFORMCTL_POLICY"), str(path))
