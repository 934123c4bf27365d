"""Read an operator policy file with the spec's hardened YAML parser; errors as ``file:line:col``."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from reconciler.errors import SpecError, SpecErrors
from reconciler.policy.model import OperatorPolicy
from reconciler.spec.diagnose import problems
from reconciler.spec.document import Document
from reconciler.spec.yamlio import YamlParseError, parse_yaml, to_plain

_START = "start the file with 'apiVersion: platformctl.dev/v1alpha1' and 'kind: OperatorPolicy'"


def parse_policy(data: bytes, path: str) -> OperatorPolicy:
    """The policy in ``data`` (the text of ``path``); SpecErrors listing every problem."""
    try:
        tree = parse_yaml(data)
    except YamlParseError as exc:
        raise SpecErrors([SpecError(path, exc.line, exc.col, exc.message, exc.hint)]) from None
    doc = Document(path, tree)
    if not isinstance(tree, dict):
        raise SpecErrors([doc.error((), "an operator policy must be a mapping", _START)])
    if tree.get("kind") != "OperatorPolicy":
        raise SpecErrors([doc.error(("kind",), f"kind is {tree.get('kind')!r}; expected OperatorPolicy", _START)])
    try:
        return OperatorPolicy.model_validate(to_plain(tree))
    except ValidationError as exc:
        raise SpecErrors([doc.error(p.loc, p.message, p.hint) for p in problems(exc, OperatorPolicy)]) from None


def read_policy(path: Path) -> OperatorPolicy:
    """Read and parse the policy file at ``path``; an unreadable file is an error, never "no policy"."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SpecErrors([SpecError(str(path), 1, 1, f"cannot read the operator policy: {exc.strerror or exc}",
                                    "fix the path given by --policy or $PLATFORMCTL_POLICY")]) from None
    return parse_policy(data, str(path))
