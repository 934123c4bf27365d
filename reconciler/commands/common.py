"""Loading a platform repository the way every command needs it."""

from __future__ import annotations

from pathlib import Path

from reconciler.errors import SpecErrors
from reconciler.render.verify import verify
from reconciler.source.directory import DirectorySource
from reconciler.spec.document import Spec
from reconciler.spec.load import load


def load_repo(path: Path) -> Spec:
    """Load the platform at ``path`` and check every rendered object against upstream schemas (raises SpecErrors)."""
    spec = load(DirectorySource(path))
    errors = verify(spec)
    if errors:
        raise SpecErrors(errors)
    return spec
