"""Turn a commit into what each managed cluster must hold, or into a rejection with located errors.

A commit is accepted only when its signature is good (if verification is on), its files load,
every rendered object passes conformance, and every managed environment exists in it. A
rejected commit is reported, never applied, and never read as an empty platform.

A loaded revision keeps what its targets must hold, not the loaded spec: at 10,000 objects the spec
(its models and the line data of every file) is about 90 MiB, and the daemon needs it again only to
locate the change behind a refused replacement, which ``located_replacements_at`` reads from the
commit again.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import structlog

from reconciler.checked import load_checked
from reconciler.engine import Result
from reconciler.errors import SpecErrors
from reconciler.fleet import Placement, placements
from reconciler.policy.check import check as check_policy
from reconciler.policy.enforcement import Enforcement
from reconciler.replacements import located_replacements
from reconciler.source.git import GitRepository, GitSourceError, RevisionTooLarge
from reconciler.source.tracking import Source
from reconciler.source.verify import SignaturePolicy, UnverifiedCommit, require_verified
from reconciler.spec.document import Spec
from reconciler.spec.load import load

log = structlog.get_logger("platformctl.daemon")

TargetKey = tuple[str, str]
"""(environment, cluster)."""


Desired = Placement
"""One target of a loaded revision: what to apply, where, and with which per-cluster options."""


@dataclass(frozen=True, slots=True)
class LoadedRevision:
    """A commit that passed every check, rendered for each managed (environment, cluster)."""

    commit: str
    desired: dict[TargetKey, Desired]
    signer: str = ""


class RevisionRejected(Exception):
    """A commit that must not be applied; ``errors`` are ``file:line:col: message`` lines where located."""

    def __init__(self, commit: str, stage: str, errors: list[str]) -> None:
        super().__init__(f"revision {commit[:12]} rejected ({stage}): " + "; ".join(errors[:3]))
        self.commit = commit
        self.stage = stage
        """``signature``, ``source`` (a read that may pass later), ``size``, ``spec`` or ``environments``."""
        self.errors = errors

    @property
    def final(self) -> bool:
        """Whether reading the commit again can only give the same answer (everything but a failed read)."""
        return self.stage != "source"


class Rejections:
    """Commits already judged unusable, so none is read twice (the most recent ``size`` are kept)."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._seen: OrderedDict[str, RevisionRejected] = OrderedDict()

    def get(self, commit: str) -> RevisionRejected | None:
        """The remembered rejection of ``commit``, if it was judged before."""
        return self._seen.get(commit)

    def remember(self, rejection: RevisionRejected) -> None:
        """Keep a final rejection (a failed read is not a judgement and is tried again)."""
        if rejection.final:
            self._seen[rejection.commit] = rejection
            self._seen.move_to_end(rejection.commit)
            while len(self._seen) > self.size:
                self._seen.popitem(last=False)


def load_revision(source: Source, commit: str, environments: tuple[str, ...],
                  policy: SignaturePolicy, enforcement: Enforcement | None = None) -> LoadedRevision:
    """Verify, read, load, check (against the operator policy too) and render ``commit``; RevisionRejected
    on any failure."""
    try:
        verdict = require_verified(source.path, commit, policy)
    except UnverifiedCommit as exc:
        raise RevisionRejected(commit, "signature", [exc.verdict.message]) from None
    try:
        files = source.read(commit).source
    except RevisionTooLarge as exc:
        raise RevisionRejected(commit, "size", [str(exc)]) from None
    except GitSourceError as exc:
        raise RevisionRejected(commit, "source", [str(exc)]) from None
    try:
        spec = load_checked(files)
    except SpecErrors as exc:
        raise RevisionRejected(commit, "spec", [str(e) for e in exc.errors]) from None
    except Exception as exc:  # noqa: BLE001 - a loader bug must reject the commit, not stop the daemon
        raise RevisionRejected(commit, "spec", [f"cannot load the platform: {type(exc).__name__}: {exc}"]) from None
    managed = environments or tuple(spec.environments)
    missing = [name for name in managed if name not in spec.environments]
    if missing:
        known = ", ".join(sorted(spec.environments)) or "none"
        raise RevisionRejected(commit, "environments", [
            f"environment {name!r} is managed by this daemon but not defined at this commit (defined: {known})"
            for name in missing])
    if enforcement is not None:
        breaches = check_policy(spec, enforcement, managed)
        if breaches:
            raise RevisionRejected(commit, "policy", [str(e) for e in breaches])
    return LoadedRevision(commit, _desired(spec, managed, commit), verdict.signer)


def _desired(spec: Spec, environments: tuple[str, ...], commit: str) -> dict[TargetKey, Desired]:
    return {(environment, placement.target.cluster): placement
            for environment in environments for placement in placements(spec, environment, commit)}


def located_replacements_at(repository: Path, commit: str, result: Result) -> list[str]:
    """``file:line:col`` of the spec change behind each object of ``result`` that needs replacement, from
    ``commit`` loaded again (through a repository handle of its own: the daemon's is not shared across
    threads); empty when there is none, or when the commit cannot be read or loaded again."""
    if result.plan is None or not result.plan.replacements:
        return []
    try:
        repo = GitRepository(repository)
        try:
            spec = load(repo.read(commit).source)
        finally:
            repo.close()
    except Exception as exc:  # noqa: BLE001 - the refusal stands without its lines; nothing else depends on them
        log.warning("cannot locate the changes that need replacement", revision=commit, error=str(exc))
        return []
    return [str(e) for e in located_replacements(spec, [result])]
