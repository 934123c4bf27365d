"""The promote command: decide, edit the target environment file, validate, commit on a new branch, push.

Every step returns early with a reason (exit 1) before anything is written: a dirty tree, a
HEAD that does not validate, a skipped stage, nothing to change, an unhealthy source, an edit
that cannot be made exactly, or an edited tree that does not validate.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from reconciler import report
from reconciler.checked import load_checked
from reconciler.commands.exits import ExitCode
from reconciler.commands.outcome import Outcome
from reconciler.errors import SpecErrors
from reconciler.promote.moves import Promotion, component_refs, plan_promotion, release_refs
from reconciler.promote.order import PromotionRefused, check_order
from reconciler.promote.overlay import OverlaySource
from reconciler.source.git import GitRepository, GitSourceError
from reconciler.source.gitwrite import GitWriter
from reconciler.spec.document import Spec
from reconciler.spec.edit import EditError, set_versions


@dataclass(frozen=True, kw_only=True)
class PromoteRequest:
    """What the user asked for (see ``platformctl promote --help``)."""

    components: tuple[str, ...] = ()
    release: str | None = None
    source: str | None = None
    target: str
    version: str | None = None
    skip_stage: bool = False
    require_healthy: bool = False
    dry_run: bool = False
    push: bool = False
    branch: str | None = None
    remote: str = "origin"


def usage_error(request: PromoteRequest) -> str | None:
    """Why the combination of arguments makes no sense (None when it does)."""
    if bool(request.components) == bool(request.release):
        return "name the components to promote, or one --release (not both)"
    if request.version is not None:
        if request.source is not None or request.release or len(request.components) != 1:
            return "--version pins one component (a rollback); it takes no --from and no --release"
        if request.require_healthy:
            return "--require-healthy checks the --from environment; a --version pin has none"
    elif request.source is None:
        return "say where the versions come from with --from ENV (or pin one with --version)"
    return None


def run_promote(path: Path, request: PromoteRequest) -> Outcome:
    """Promote (or with ``dry_run`` preview) and report; exit 0 done, 1 refused, 64 usage error."""
    problem = usage_error(request)
    if problem:
        return Outcome(ExitCode.USAGE, stderr=f"error: {problem}\n")
    try:
        return _promote(path, request)
    except (PromotionRefused, GitSourceError, EditError) as exc:
        return Outcome(1, stderr=f"refused: {exc}\n")
    except SpecErrors as exc:
        return Outcome(1, stderr="refused: the result would not validate:\n" + report.errors_text(exc.errors))


def _promote(path: Path, request: PromoteRequest) -> Outcome:
    repo = GitRepository(path)
    if repo.is_dirty():
        raise PromotionRefused("the working tree has uncommitted changes to tracked files; commit or stash them "
                               "first (promotion commits on top of HEAD)")
    revision = repo.read("HEAD")
    try:
        spec = load_checked(revision.source)
    except SpecErrors as exc:
        raise PromotionRefused("HEAD does not validate; fix it before promoting:\n"
                               + report.errors_text(exc.errors).rstrip()) from None
    refs = release_refs(spec, request.release) if request.release else component_refs(spec, request.components)
    if request.source is not None:
        check_order(spec.platform, request.source, request.target, skip_stage=request.skip_stage)
    promotion = plan_promotion(spec, refs, target=request.target, source=request.source, version=request.version,
                               release=request.release)
    branch = request.branch or promotion.branch
    writer = GitWriter(path)
    if not request.dry_run:
        writer.check_branch_name(branch)
    if request.require_healthy:
        _require_healthy(spec, path, request, revision.commit, promotion)
    before = revision.source.read(promotion.path)
    after = set_versions(before.decode("utf-8"), promotion.updates).encode("utf-8")
    load_checked(OverlaySource(revision.source, {promotion.path: after}))
    patch = file_diff(promotion.path, before, after)
    if request.dry_run:
        return Outcome(0, f"dry run: would commit on branch {branch}:\n\n{_indent(promotion.message)}\n"
                          f"{_skipped(promotion)}{patch}")
    commit = writer.commit_on_branch(branch, {promotion.path: after}, promotion.message, base=revision.commit)
    out = f"created branch {branch} at {commit[:8]}: {promotion.subject}\n{_skipped(promotion)}{patch}"
    if request.push:
        writer.push(branch, request.remote)
        out += f"pushed {branch} to {request.remote}\n"
    else:
        out += f"push it with: git push {request.remote} {branch}  (or rerun with --push)\n"
    return Outcome(0, out)


def _require_healthy(spec: Spec, path: Path, request: PromoteRequest, commit: str, promotion: Promotion) -> None:
    from reconciler.commands.promote_health import health_refusals

    assert request.source is not None
    reasons = health_refusals(spec, path.resolve(), request.source, commit, [m.ref for m in promotion.moves])
    if reasons:
        raise PromotionRefused(f"not healthy in {request.source}: " + "; ".join(reasons))


def file_diff(path: str, before: bytes, after: bytes) -> str:
    """A unified diff of one file, as ``git diff`` shows it."""
    lines = difflib.unified_diff(before.decode("utf-8").splitlines(keepends=True),
                                 after.decode("utf-8").splitlines(keepends=True), f"a/{path}", f"b/{path}")
    return "".join(lines)


def _indent(text: str) -> str:
    return "".join(f"    {line}\n" if line else "\n" for line in text.splitlines())


def _skipped(promotion: Promotion) -> str:
    return "".join(f"left alone: {ref}: {reason}\n" for ref, reason in promotion.skipped)
