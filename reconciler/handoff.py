"""After a verified rollout, open the promotion of that version to the next stage (Git writes).

Like ``platformctl promote COMPONENT --from E --to NEXT``: a commit that changes only the pinned
version in the next environment's file, on a new branch (``promote/<next>/<component>-<version>``)
built from the revision the rollout ran, never touching the checkout; validated like ``validate``
before it is committed; pushed when asked. Opening it is all: merging stays a person's review.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reconciler.checked import load_checked
from reconciler.errors import SpecErrors
from reconciler.promote.moves import plan_promotion
from reconciler.promote.order import PromotionRefused
from reconciler.promote.overlay import OverlaySource
from reconciler.source.git import GitRepository, GitSourceError, Revision
from reconciler.source.gitwrite import GitWriter
from reconciler.spec.document import Spec
from reconciler.spec.edit import EditError, set_versions


@dataclass(frozen=True, slots=True)
class Handoff:
    """One promotion opened (``commit`` set) or not (``note`` says why)."""

    source: str
    target: str
    component: str
    version: str
    branch: str = ""
    commit: str | None = None
    note: str = ""


def next_environments(spec: Spec, environment: str) -> list[str]:
    """The environments of the stage right after ``environment``'s in ``spec.promotion`` (none: the last)."""
    stages = spec.platform.spec.stages()
    for index, stage in enumerate(stages):
        if environment in stage:
            return list(stages[index + 1]) if index + 1 < len(stages) else []
    return []


def open_promotions(path: Path, commit: str, environment: str, ref: str, version: str, *, push: bool = False,
                    remote: str = "origin") -> list[Handoff]:
    """Open a promotion of ``ref`` at ``version`` from ``environment`` to each environment of the next stage
    that runs it, from revision ``commit`` of the repository at ``path``."""
    try:
        revision = GitRepository(path).read(commit)
        spec = load_checked(revision.source)
    except (GitSourceError, SpecErrors) as exc:
        return [Handoff(environment, "", ref, version, note=f"revision {commit[:12]} unreadable: {exc}")]
    item = spec.environments[environment].components.get(ref) if environment in spec.environments else None
    if item is None or item.version != version:
        return [Handoff(environment, "", ref, version, note=f"{environment} no longer runs {ref} {version} in "
                                                            f"{commit[:12]}")]
    found = []
    for target in next_environments(spec, environment):
        if ref not in spec.environments[target].components:
            continue
        found.append(_open(path, revision, spec, environment, target, ref, version, push=push, remote=remote))
    return found


def _open(path: Path, revision: Revision, spec: Spec, source: str, target: str, ref: str, version: str, *,
          push: bool, remote: str) -> Handoff:
    try:
        promotion = plan_promotion(spec, [ref], target=target, source=source)
        branch = f"{promotion.branch}-{version}"
        writer = GitWriter(path)
        if writer.branch_exists(branch):
            return Handoff(source, target, ref, version, branch, note="already open")
        before = revision.source.read(promotion.path)
        after = set_versions(before.decode("utf-8"), promotion.updates).encode("utf-8")
        load_checked(OverlaySource(revision.source, {promotion.path: after}))
        message = (f"{promotion.message.rstrip()}\n\nOpened by platformctl after the progressive rollout of "
                   f"{ref} {version} succeeded in {source}.\n")
        sha = writer.commit_on_branch(branch, {promotion.path: after}, message, base=revision.commit)
        if push:
            writer.push(branch, remote)
    except (PromotionRefused, GitSourceError, EditError) as exc:
        return Handoff(source, target, ref, version, note=str(exc))
    except SpecErrors as exc:
        return Handoff(source, target, ref, version, note=f"the promotion would not validate: {exc}")
    return Handoff(source, target, ref, version, branch, sha, "pushed" if push else "")
