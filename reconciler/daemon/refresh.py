"""The daemon's view of its source: the branch's head, the last good revision, the commits refused.

``refresh`` resolves the branch and, when the commit changed, verifies, loads and checks it. A
commit that fails keeps the last good revision running and is remembered with its ``file:line:col``
errors, so a head that returns to it is reported again without being read again.
"""

from __future__ import annotations

import threading

import structlog

from reconciler.budget import AppliedBudget
from reconciler.daemon.clock import Clock
from reconciler.daemon.config import DaemonConfig
from reconciler.daemon.revisions import (LoadedRevision, Rejections, RevisionRejected, load_revision,
                                         located_replacements_at)
from reconciler.daemon.status import SourceState
from reconciler.engine import Result
from reconciler.observability.metrics import Metrics
from reconciler.policy.enforcement import Enforcement
from reconciler.source.budgets import repository_budgets
from reconciler.source.tracking import Source

log = structlog.get_logger("platformctl.daemon")


class SourceRefresher:
    """Reads the tracked branch and keeps its last good revision (state written under the shared condition)."""

    def __init__(self, source: Source, config: DaemonConfig, enforcement: Enforcement, *, metrics: Metrics,
                 clock: Clock, condition: threading.Condition) -> None:
        self.source = source
        self._config = config
        self._enforcement = enforcement
        self._metrics = metrics
        self._clock = clock
        self._cond = condition
        self.state = SourceState(source.description, source.branch)
        self.good: LoadedRevision | None = None
        self.rejections = Rejections()
        """Commits judged unusable: a head that returns to one is reported again, not read again."""
        self.budgets = repository_budgets(source.path)
        """Deletion budgets of revisions a target may have last applied (``reconciler.budget``)."""

    def refresh(self) -> tuple[str | None, str | None, str | None]:
        """Resolve the branch and load a new head: (head, loaded, rejected), each None when not so."""
        state = self.state
        try:
            head = self.source.head()
        except Exception as exc:  # noqa: BLE001 - GitSourceError and anything GitPython raises
            state.fetch_error = f"cannot read {self.source.description}: {exc}"
            if self.source.fetches:
                self._metrics.git_fetched(False)
            log.warning("source refresh failed; keeping the last good revision", error=state.fetch_error,
                        revision=state.good)
            return None, None, None
        if self.source.fetches:
            self._metrics.git_fetched(True)
        state.fetch_error, state.head, state.last_refresh = None, head, self._clock.now()
        if head == state.attempted:
            return head, None, None
        state.attempted = head
        try:
            loaded = self._judge(head)
        except RevisionRejected as exc:
            self.rejections.remember(exc)
            with self._cond:
                state.rejected, state.stage, state.errors = head, exc.stage, exc.errors
                if not exc.final:
                    state.attempted = None  # a read failure may pass; try again on the next refresh
                self._cond.notify_all()
            self._metrics.source_loaded(head, False)
            log.error("revision rejected; keeping the last good revision", revision=head, stage=exc.stage,
                      errors=exc.errors[:20], running=state.good)
            return head, None, head
        self.budgets.record(head, {env: d.max_prune_fraction for (env, _cluster), d in loaded.desired.items()})
        with self._cond:
            self.good = loaded
            state.good, state.signer = head, loaded.signer
            state.rejected, state.stage, state.errors = None, "", []
            self._cond.notify_all()
        self._metrics.source_loaded(head, True)
        log.info("revision loaded", revision=head, targets=len(loaded.desired), signer=loaded.signer or None)
        return head, head, None

    def _judge(self, head: str) -> LoadedRevision:
        """Load ``head``, or raise its rejection (remembered ones without reading the commit again)."""
        remembered = self.rejections.get(head)
        if remembered is not None:
            raise remembered
        return load_revision(self.source, head, self._config.environments, self._config.signature_policy,
                             self._enforcement)

    def applied_budget(self, environment: str, applied: str | None) -> AppliedBudget:
        """The budget of what a target last applied: ``applied`` (this daemon's last apply there), else the
        revision its inventory records (a restart; an inventory keeps its revision when only the spec moved)."""
        by_revision = self.budgets.for_environment(environment)
        return lambda recorded: by_revision(applied or recorded)

    def located(self, revision: str, result: Result) -> list[str]:
        """The spec lines behind a refused replacement, read from ``revision`` again (a worker calls this on
        its own thread, outside the daemon's condition: at 10,000 objects a load takes seconds)."""
        return located_replacements_at(self.source.path, revision, result)
