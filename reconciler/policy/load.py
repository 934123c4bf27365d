"""Read an operator policy file with the spec's hardened YAML parser; errors as ``file:line:col``."""

from __future__ import annotations

from pathlib import Path

from reconciler.errors import SpecError, SpecErrors
from reconciler.policy.model import OperatorPolicy
from reconciler.spec.standalone import parse_kind

def parse_policy(data: bytes, path: str) -> OperatorPolicy:
    """The policy in ``data`` (the text of ``path``); SpecErrors listing every problem."""
    return parse_kind(data, path, OperatorPolicy, "OperatorPolicy", "an operator policy")[0]


def read_policy(path: Path) -> OperatorPolicy:
    """Read and parse the policy file at ``path``; an unreadable file is an error, never "no policy"."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SpecErrors([SpecError(str(path), 1, 1, f"cannot read the operator policy: {exc.strerror or exc}",
                                    "fix the path given by --policy or $PLATFORMCTL_POLICY")]) from None
    return parse_policy(data, str(path))
