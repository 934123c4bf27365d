"""Load a platform tree and check every object it renders: the one definition of a valid platform."""

from __future__ import annotations

from reconciler.errors import SpecErrors
from reconciler.render.verify import verify
from reconciler.spec.document import Spec
from reconciler.spec.load import load
from reconciler.spec.sources import SourceReader


def load_checked(reader: SourceReader) -> Spec:
    """Load the files ``reader`` holds and conformance-check what they render (SpecErrors when not valid)."""
    spec = load(reader)
    errors = verify(spec)
    if errors:
        raise SpecErrors(errors)
    return spec
