"""One standalone YAML file of one kind (the operator's files: policy, notifications), read with the spec's
hardened parser; every problem as ``file:line:col``."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from reconciler.errors import SpecError, SpecErrors
from reconciler.spec.diagnose import problems
from reconciler.spec.document import Document
from reconciler.spec.yamlio import YamlParseError, parse_yaml

M = TypeVar("M", bound=BaseModel)


def read_operator_file(path: Path, what: str, given_by: str) -> bytes:
    """The bytes of the operator's file at ``path``; unreadable, a SpecErrors naming ``what`` it is ("the
    operator policy") and the option or variable that gave the path (``given_by``)."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SpecErrors([SpecError(str(path), 1, 1, f"cannot read {what}: {exc.strerror or exc}",
                                    f"fix the path given by {given_by}")]) from None


def parse_kind(data: bytes, path: str, model: type[M], kind: str, what: str) -> tuple[M, Document]:
    """The ``kind`` document in ``data`` (the text of ``path``) as ``model``, and where its nodes are;
    ``what`` names the file in messages ("an operator policy")."""
    start = f"start the file with 'apiVersion: platformctl.dev/v1alpha1' and 'kind: {kind}'"
    try:
        tree = parse_yaml(data, located=False)
    except YamlParseError as exc:
        raise SpecErrors([SpecError(path, exc.line, exc.col, exc.message, exc.hint)]) from None
    doc = Document(path, tree, data)
    if not isinstance(tree, dict):
        raise SpecErrors([doc.error((), f"{what} must be a mapping", start)])
    if tree.get("kind") != kind:
        raise SpecErrors([doc.error(("kind",), f"kind is {tree.get('kind')!r}; expected {kind}", start)])
    try:
        return model.model_validate(tree), doc
    except ValidationError as exc:
        raise SpecErrors([doc.error(p.loc, p.message, p.hint) for p in problems(exc, model)]) from None
