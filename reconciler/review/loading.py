"""Load one side of a review: a spec that renders, or the errors that stop it (pure; takes a reader).

A head that fails to load is an error, never an empty platform, so it can never read as
"everything deleted". One exception keeps reviews useful: when every problem is a policy
violation (GPU quota, registries) the files themselves are sound, so the spec is still
rendered and the review shows, for example, the GPU delta that broke the quota, beside the errors.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.errors import SpecError, SpecErrors
from reconciler.render.verify import verify
from reconciler.spec.checks import policy
from reconciler.spec.document import Spec
from reconciler.spec.load import load
from reconciler.spec.sources import SourceReader
from reconciler.spec.unchecked import load_unchecked


@dataclass(frozen=True, slots=True)
class Side:
    """A revision as the review sees it: the spec (None when it cannot be rendered) and its errors."""

    label: str
    spec: Spec | None
    errors: tuple[SpecError, ...] = ()


def load_side(label: str, reader: SourceReader, *, check_objects: bool) -> Side:
    """Load (and with ``check_objects`` conformance-check) a revision; policy-only failures still render."""
    try:
        spec = load(reader)
    except SpecErrors as exc:
        return Side(label, _policy_only(reader, exc.errors), tuple(exc.errors))
    errors = verify(spec) if check_objects else []
    return Side(label, spec, tuple(sorted(set(errors))))


def _policy_only(reader: SourceReader, errors: list[SpecError]) -> Spec | None:
    """The unchecked spec when every error is one that ``policy.check`` reports, else None."""
    try:
        spec = load_unchecked(reader)
    except SpecErrors:
        return None
    return spec if set(errors) <= set(policy.check(spec)) else None
