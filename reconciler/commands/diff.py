"""The diff command: read two revisions from Git (or the work tree), review the change, format it."""

from __future__ import annotations

from pathlib import Path

from reconciler import report
from reconciler.commands.exits import ExitCode
from reconciler.commands.instants import instant
from reconciler.commands.outcome import Outcome
from reconciler.commands.output import json_text
from reconciler.errors import SpecErrors, UnknownEnvironment
from reconciler.policy.check import check
from reconciler.policy.resolve import enforcement
from reconciler.review.build import build_review
from reconciler.review.loading import Side, load_side
from reconciler.review.markdown import failure_markdown, review_markdown
from reconciler.review.text import failure_data, review_json, review_text
from reconciler.source.directory import DirectorySource
from reconciler.source.git import GitRepository, GitSourceError

WORKTREE = "WORKTREE"
"""``--head WORKTREE``: the files on disk, committed or not (untracked files included)."""


def run_diff(path: Path, base: str, head: str, environments: list[str], output: str, start: str | None,
             policy: Path | None = None) -> Outcome:
    """Review the change from ``base`` to ``head`` at ``path``: exit 0 no change, 2 changes, 1 error
    (the head breaking the operator policy is an error too)."""
    try:
        enforced = enforcement(path, policy)
    except SpecErrors as exc:
        return Outcome(1, stderr=report.errors_text(exc.errors))
    try:
        now = instant(start)
        repo = GitRepository(path)
        base_side = _git_side(repo, base, check_objects=False)
        head_side = (load_side("work tree", DirectorySource(path), check_objects=True) if head == WORKTREE
                     else _git_side(repo, head, check_objects=True))
    except (GitSourceError, ValueError) as exc:
        return Outcome(1, stderr=f"error: {exc}\n")
    for side, role in ((base_side, "base"), (head_side, "head")):
        if side.spec is None:
            return _failure(side, role, output)
    try:
        review = build_review(base_side, head_side, now, environments)
    except UnknownEnvironment as exc:  # the usage code (64), never 2: for diff, 2 means "changes"
        return Outcome(ExitCode.USAGE, stderr=f"error: {exc}\n")
    text = {"json": review_json, "markdown": review_markdown}.get(output, review_text)(review)
    assert head_side.spec is not None
    breaches = check(head_side.spec, enforced, tuple(environments))
    errors = report.errors_text(list(head_side.errors) + breaches)
    note = f"note: the base {base_side.label} has {len(base_side.errors)} policy errors\n" if base_side.errors else ""
    return Outcome(1 if head_side.errors or breaches else 2 if review.changed else 0, text, note + errors)


def _git_side(repo: GitRepository, ref: str, *, check_objects: bool) -> Side:
    revision = repo.read(ref)
    return load_side(f"{ref} ({revision.commit[:8]})", revision.source, check_objects=check_objects)


def _failure(side: Side, role: str, output: str) -> Outcome:
    """A side that does not load: its errors, never a review (so nothing reads as deleted)."""
    message = f"error: the {role} {side.label} does not load; nothing was compared\n"
    stderr = message + report.errors_text(list(side.errors))
    if output == "markdown":
        return Outcome(1, failure_markdown(role, side.label, side.errors), stderr)
    if output == "json":
        return Outcome(1, json_text(failure_data(role, side.label, side.errors), sort_keys=True), stderr)
    return Outcome(1, "", stderr)
