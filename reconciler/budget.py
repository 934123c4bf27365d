"""Which deletion budget guards a reconcile: never one the change being applied raised itself (pure).

The budget (``policy.maxPruneFraction``) lives in the repository it guards, so a commit that
removes most components could raise it in the same breath. The budget that counts is therefore
the stricter of the commit's own and the one of the revision last applied to the target (the
revision its inventory records): a raised budget takes effect once a revision carrying it has
been applied, a lowered one at once. When the last applied revision cannot be read (not a
commit of the repository, a dirty work tree, its files gone), the default stands in for it.
"""

from __future__ import annotations

from collections.abc import Callable

DEFAULT_MAX_PRUNE_FRACTION = 0.3
"""The budget of an environment that sets none; also what an unreadable last revision counts as."""

AppliedBudget = Callable[[str], float | None]
"""The budget of an environment at a recorded revision, or None when that revision cannot be read."""


def effective_budget(requested: float, applied: float | None) -> float:
    """The stricter of the commit's budget and the last applied revision's (the default when unknown)."""
    return min(requested, DEFAULT_MAX_PRUNE_FRACTION if applied is None else applied)
