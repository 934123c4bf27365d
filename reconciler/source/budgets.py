"""The deletion budget of each revision a target's inventory may record (``reconciler.budget``).

Revisions the daemon loaded are known; any other one (the inventory of a previous daemon, or of
a CLI apply) is read from the repository once, on the caller's thread through its own handle on
the repository (GitPython objects are not shared between threads), and remembered.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from reconciler.budget import AppliedBudget
from reconciler.source.git import GitRepository
from reconciler.spec.budgets import prune_budgets
from reconciler.spec.sources import SourceReader

ReadRevision = Callable[[str], SourceReader]
"""The files of a commit (raises when it cannot be read)."""


class AppliedBudgets:
    """Budgets by revision and environment; ``for_environment`` gives the engine its lookup."""

    def __init__(self, read: ReadRevision, size: int = 64) -> None:
        self._read = read
        self._size = size
        self._lock = threading.Lock()
        self._known: OrderedDict[str, dict[str, float]] = OrderedDict()

    def record(self, commit: str, budgets: dict[str, float]) -> None:
        """The budgets of a revision the daemon loaded."""
        with self._lock:
            self._remember(commit, budgets)

    def budget(self, commit: str, environment: str) -> float | None:
        """The environment's budget at ``commit``; None when the commit cannot be read or lacks it."""
        with self._lock:
            known = self._known.get(commit)
        if known is None:
            known = self._load(commit)
            with self._lock:
                self._remember(commit, known)
        return known.get(environment)

    def for_environment(self, environment: str) -> AppliedBudget:
        """The engine's lookup for one environment's targets."""
        return lambda revision: self.budget(revision, environment)

    def _load(self, commit: str) -> dict[str, float]:
        if len(commit) not in (40, 64) or any(c not in "0123456789abcdef" for c in commit):  # SHA-1 or SHA-256
            return {}  # not a commit (an unversioned or dirty work tree was applied): unknown
        try:
            return prune_budgets(self._read(commit))
        except Exception:  # noqa: BLE001 - any failure to read means "unknown", which is the strict answer
            return {}

    def _remember(self, commit: str, budgets: dict[str, float]) -> None:
        self._known[commit] = budgets
        self._known.move_to_end(commit)
        while len(self._known) > self._size:
            self._known.popitem(last=False)


def repository_budgets(path: Path) -> AppliedBudgets:
    """Budgets of the commits of the Git repository at ``path`` (none known when it is not one)."""
    return AppliedBudgets(lambda commit: GitRepository(path).read(commit).source)
