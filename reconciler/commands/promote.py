"""The promote command: decide, edit the target environment file, validate, commit on a new branch, push.

Every step returns early with a reason (exit 1) before anything is written: a dirty tree, a
HEAD that does not validate, a skipped stage, nothing to change, an unhealthy source, an edit
that cannot be made exactly, or an edited tree that does not validate.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reconciler import report
from reconciler.checked import load_checked
from reconciler.commands.exits import ExitCode
from reconciler.commands.outcome import Outcome
from reconciler.commands.output import json_text
from reconciler.errors import SpecErrors
from reconciler.promote.moves import (
    Promotion,
    PromotionSet,
    component_refs,
    plan_promotion,
    release_refs,
    resolve_targets,
)
from reconciler.promote.order import PromotionRefused, check_order
from reconciler.promote.overlay import OverlaySource
from reconciler.source.forge import forge_repo, open_pull_request, read_token
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
    targets: tuple[str, ...]
    """Each ``--to``: an environment, or a stage (all its environments); one commit changes them all."""
    version: str | None = None
    skip_stage: bool = False
    require_healthy: bool = False
    dry_run: bool = False
    push: bool = False
    branch: str | None = None
    remote: str = "origin"
    json: bool = False
    """Print a JSON document (what was promoted, or why not) instead of text."""
    pull_request: bool = False
    """After ``push``, open a pull request (GitHub) or merge request (GitLab) into the checked-out branch."""
    forge: str | None = None
    """``github`` or ``gitlab``; None: told from the remote's host."""
    forge_api: str | None = None
    """The forge's API root; None: the default for the remote's host."""
    forge_token_file: Path | None = None
    """A file holding the API token (else ``source.forge.TOKEN_VARIABLES``)."""


def usage_error(request: PromoteRequest) -> str | None:
    """Why the combination of arguments makes no sense (None when it does)."""
    if not request.targets:
        return "say where to promote with --to ENV or --to STAGE (repeat --to for several environments)"
    if request.pull_request and not request.push:
        return "--pull-request opens the request for the pushed branch: add --push"
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
        return _failed(request, ExitCode.USAGE, "error", problem, f"error: {problem}\n")
    try:
        return _promote(path, request)
    except (PromotionRefused, GitSourceError, EditError) as exc:
        return _failed(request, ExitCode.FAILED, "refused", str(exc), f"refused: {exc}\n")
    except SpecErrors as exc:
        text = "the result would not validate:\n" + report.errors_text(exc.errors)
        return _failed(request, ExitCode.FAILED, "refused", text, f"refused: {text}")


def _failed(request: PromoteRequest, code: int, key: str, reason: str, stderr: str) -> Outcome:
    out = json_text({"promoted": False, key: reason.rstrip("\n")}) if request.json else ""
    return Outcome(code, out, stderr)


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
    change = _plan(spec, refs, request)
    branch = request.branch or change.branch
    writer = GitWriter(path)
    if not request.dry_run:
        writer.check_branch_name(branch)
    if request.require_healthy:
        for promotion in change.promotions:
            _require_healthy(spec, path, request, revision.commit, promotion)
    edits: dict[str, bytes] = {}
    patch = ""
    for promotion in change.promotions:
        before = revision.source.read(promotion.path)
        edits[promotion.path] = set_versions(before.decode("utf-8"), promotion.updates).encode("utf-8")
        patch += file_diff(promotion.path, before, edits[promotion.path])
    load_checked(OverlaySource(revision.source, edits))
    data: dict[str, object] = {
        "promoted": not request.dry_run, "dryRun": request.dry_run, "branch": branch, "commit": None,
        "subject": change.subject, "message": change.message, "environments": list(change.targets),
        "moves": [{"environment": p.target, "component": m.ref, "from": m.old, "to": m.new}
                  for p in change.promotions for m in p.moves],
        "leftAlone": [{"environment": p.target, "component": ref, "reason": reason}
                      for p in change.promotions for ref, reason in p.skipped]
                     + [{"environment": env, "reason": reason} for env, reason in change.left_alone],
        "diff": patch, "pushed": False}
    if request.dry_run:
        return _done(request, data, f"dry run: would commit on branch {branch}:\n\n{_indent(change.message)}\n"
                                    f"{_skipped(change)}{patch}")
    opener = _pull_request_opener(writer, request) if request.pull_request else None
    commit = writer.commit_on_branch(branch, edits, change.message, base=revision.commit)
    data["commit"] = commit
    out = f"created branch {branch} at {commit[:8]}: {change.subject}\n{_skipped(change)}{patch}"
    if request.push:
        writer.push(branch, request.remote)
        data["pushed"] = True
        out += f"pushed {branch} to {request.remote}\n"
        if opener is not None:
            data["pullRequest"] = opener(branch, change.subject, change.message)
            out += f"opened {data['pullRequest']}\n"
    else:
        out += f"push it with: git push {request.remote} {branch}  (or rerun with --push)\n"
    return _done(request, data, out)


def _pull_request_opener(writer: GitWriter, request: PromoteRequest) -> Callable[[str, str, str], str]:
    """Everything a pull request needs, checked before anything is committed; returns what opens it."""
    repo = forge_repo(writer.remote_url(request.remote), forge=request.forge, api=request.forge_api)
    token = read_token(request.forge_token_file)
    base = writer.current_branch()

    def open_it(branch: str, title: str, body: str) -> str:
        return open_pull_request(repo, token, branch=branch, base=base, title=title, body=body)

    return open_it


def _done(request: PromoteRequest, data: dict[str, object], text: str) -> Outcome:
    return Outcome(ExitCode.OK, json_text(data) if request.json else text)


def _plan(spec: Spec, refs: list[str], request: PromoteRequest) -> PromotionSet:
    """One promotion per target environment; a target where nothing would change is left alone (refused
    when it is the only one, or when every target is)."""
    targets, label = resolve_targets(spec, request.targets)
    promotions: list[Promotion] = []
    left: list[tuple[str, str]] = []
    for target in targets:
        if request.source is not None:
            check_order(spec.platform, request.source, target, skip_stage=request.skip_stage)
        try:
            promotions.append(plan_promotion(spec, refs, target=target, source=request.source,
                                             version=request.version, release=request.release))
        except PromotionRefused as exc:
            if len(targets) == 1:
                raise
            left.append((target, str(exc)))
    if not promotions:
        raise PromotionRefused("; ".join(reason for _, reason in left))
    return PromotionSet(tuple(promotions), label, tuple(left))


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


def _skipped(change: PromotionSet) -> str:
    prefix = len(change.promotions) > 1 or change.left_alone
    return "".join(f"left alone: {f'{p.target}: ' if prefix else ''}{ref}: {reason}\n"
                   for p in change.promotions for ref, reason in p.skipped) + "".join(
        f"unchanged: {env}: {reason}\n" for env, reason in change.left_alone)
