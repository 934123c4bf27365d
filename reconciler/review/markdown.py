"""The review as a pull-request comment: summary first, diffs folded in <details>, length capped (pure).

GitHub refuses comments over 65,536 characters. Everything but the diffs (headline, errors,
warnings, the per-environment table, cost, traffic, schedules, prune verdicts, one line per
changed object) is kept; each object's diff is folded under its line, cut to ``DIFF_LINES``
lines, and added in order while room remains; diffs that do not fit are counted at the end.
The first line is a marker so CI can find and update its own earlier comment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reconciler.errors import SpecError
from reconciler.review.build import EnvironmentReview, Review
from reconciler.review.compare import Change, ClusterReview, ObjectChange, Presence
from reconciler.review.cost import CostChange
from reconciler.review.schedules import times_text
from reconciler.review.text import MARK, amount, cluster_summary, component_cost_text, prune_text, trigger_text

MARKER = "<!-- platformctl-diff -->"
LIMIT = 60_000
DIFF_LINES = 150
ERROR_LINES = 50
SUMMARY_SHARE = 0.8  # the summary alone may use this much of the limit before it is cut


@dataclass(frozen=True, slots=True)
class _Block:
    text: str
    foldable: bool = False


def review_markdown(review: Review, *, limit: int = LIMIT) -> str:
    """A Markdown comment of at most ``limit`` characters."""
    blocks = [_Block(line) for line in _summary(review)]
    for env in review.environments:
        if env.changed:
            blocks.extend(_environment(env))
    footer = f"\n<sub>platformctl diff · schedule times from {review.reference.isoformat()}</sub>\n"
    fixed = "\n".join(b.text for b in blocks if not b.foldable)
    if len(fixed) > limit * SUMMARY_SHARE:
        return _cut(fixed, int(limit * SUMMARY_SHARE)) + footer
    room = limit - len(fixed) - len(footer) - 200
    out, omitted = [], 0
    for block in blocks:
        if not block.foldable:
            out.append(block.text)
        elif len(block.text) + 1 <= room:
            out.append(block.text)
            room -= len(block.text) + 1
        else:
            omitted += 1
    if omitted:
        out.append(f"\n_{omitted} diffs left out to fit the comment; run `platformctl diff` locally to see them._")
    return "\n".join(out) + "\n" + footer


def _summary(review: Review) -> list[str]:
    counts = ", ".join(f"{review.count(c)} {c.value}" for c in Change)
    lines = [MARKER, f"### platformctl diff: `{review.base}` → `{review.head}`", "",
             f"**{counts}**" if review.changed else "**No changes** to any rendered object."]
    if review.errors:
        lines += ["", "> [!CAUTION]", f"> `{review.head}` does not validate:"]
        lines += [f"> - `{e}`" for e in review.errors[:ERROR_LINES]]
        if len(review.errors) > ERROR_LINES:
            lines.append(f"> - … and {len(review.errors) - ERROR_LINES} more")
    if review.flags:
        lines += ["", "> [!WARNING]"] + [f"> - {_escape(flag)}" for flag in review.flags]
    lines += ["", "| Environment | Objects | GPUs | CPU (cores) | Memory | Prunes |", "|---|---|---|---|---|---|"]
    lines += [_row(env) for env in review.environments]
    return lines


def _row(env: EnvironmentReview) -> str:
    cost = env.cost
    resources = f"{_pair(cost, 'gpus')} | {_pair(cost, 'cpu')} | {_pair(cost, 'memory')}"
    if not env.changed:
        return f"| {env.name} | no changes | {resources} | – |"
    objects = " ".join(f"{MARK[c]}{sum(cl.count(c) for cl in env.clusters)}" for c in Change)
    prunes = sum(len(c.prune.deleted) for c in env.clusters)
    refused = any(c.prune.refusal for c in env.clusters)
    state = {Presence.ADDED: " (new)", Presence.REMOVED: " (removed)"}.get(env.presence, "")
    return f"| {env.name}{state} | {objects} | {resources} | {prunes}{' ⛔ refused' if refused else ''} |"


def _pair(cost: CostChange, field: str) -> str:
    before, after = amount(cost.before, field), amount(cost.after, field)
    text = after if before == after else f"{before} → {after}"
    quota = cost.quota_after if cost.after is not None else cost.quota_before
    if field == "gpus" and quota is not None:
        text += f" / {quota}" + (" ⚠️" if cost.over_quota else "")
    return text


def _environment(env: EnvironmentReview) -> list[_Block]:
    lines = ["", f"#### {env.name}"]
    lines += [f"- cost `{c.ref}`: {_escape(component_cost_text(c.before, c.after))}" for c in env.cost.components]
    lines += [f"- traffic `{m.component}`: {_escape(m.describe())}" for m in env.traffic]
    for move in env.schedules:
        lines += [f"- schedule `{move.schedule}`: {_escape(trigger_text(move))}",
                  f"  - before: {times_text(move.before)}", f"  - after: {times_text(move.after)}"]
    blocks = [_Block(line) for line in lines]
    for cluster in env.clusters:
        blocks.extend(_cluster(cluster))
    return blocks


def _cluster(cluster: ClusterReview) -> list[_Block]:
    blocks = [_Block(f"- **{cluster.cluster}**: {cluster_summary(cluster)}; {_escape(prune_text(cluster.prune))}")]
    blocks += [_Block(f"  - kept `{key}`: {_escape(reason)}") for key, reason in cluster.prune.kept]
    for change in cluster.changes:
        owner = f" ({change.component})" if change.component else ""
        blocks.append(_Block(f"  - {change.change.value} `{change.key}`{owner}"))
        blocks.append(_Block(_fold(change), foldable=True))
    return blocks


def _fold(change: ObjectChange) -> str:
    lines = change.diff.rstrip("\n").splitlines()
    if len(lines) > DIFF_LINES:
        lines = lines[:DIFF_LINES] + [f"… {len(lines) - DIFF_LINES} more lines"]
    fence = "`" * max(3, _longest_backticks(change.diff) + 1)
    inner = "\n".join(f"    {line}" for line in lines)
    return f"\n    <details><summary>diff</summary>\n\n    {fence}diff\n{inner}\n    {fence}\n    </details>\n"


def _longest_backticks(text: str) -> int:
    return max((len(m) for m in re.findall(r"`+", text)), default=0)


def _escape(text: str) -> str:
    return text.replace("->", "→").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:max(0, limit - 80)].rsplit("\n", 1)[0] + "\n\n_… summary cut to fit the comment._"


def failure_markdown(role: str, label: str, errors: tuple[SpecError, ...]) -> str:
    """The comment when one side does not load: its errors, and no diff at all."""
    lines = [MARKER, f"### platformctl diff: the {role} `{label}` does not load", "",
             "Nothing was compared, so nothing here reads as deleted. Fix these first:", ""]
    lines += [f"- `{e}`" for e in errors[:ERROR_LINES]]
    if len(errors) > ERROR_LINES:
        lines.append(f"- … and {len(errors) - ERROR_LINES} more")
    return "\n".join(lines) + "\n"
