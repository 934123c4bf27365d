"""Load and check a platform the way every command needs it: files, conformance, operator policy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reconciler.checked import load_checked
from reconciler.errors import UnknownEnvironment
from reconciler.policy.check import require
from reconciler.policy.enforcement import Enforcement
from reconciler.policy.resolve import enforcement
from reconciler.source.directory import DirectorySource
from reconciler.spec.document import Spec


@dataclass(frozen=True, slots=True)
class Platform:
    """A spec that loaded, passed conformance and obeys ``enforcement`` in the environments it was checked for."""

    spec: Spec
    enforcement: Enforcement


def load_repo(path: Path) -> Spec:
    """Load the platform at ``path`` and check every rendered object against upstream schemas (raises SpecErrors)."""
    return load_checked(DirectorySource(path))


def checked(spec: Spec, enforced: Enforcement, environments: Sequence[str] = ()) -> Platform:
    """``spec`` checked against the operator policy in ``environments`` (default all): UnknownEnvironment for a
    name it does not define, SpecErrors for a breach."""
    UnknownEnvironment.check(environments, sorted(spec.environments))
    require(spec, enforced, tuple(environments))
    return Platform(spec, enforced)


def load_platform(path: Path, policy: Path | None = None, environments: Sequence[str] = ()) -> Platform:
    """Load the platform at ``path`` and check it, under the operator policy ``policy`` (or the one found)."""
    enforced = enforcement(path.resolve(), policy)  # a broken policy file stops here, before the spec
    return checked(load_repo(path), enforced, environments)
