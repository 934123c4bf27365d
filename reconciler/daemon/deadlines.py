"""When each target is due again: retry backoff after a failure, drift checks after a success.

The deadlines live on the daemon's ``Scheduler`` under ``("retry", key)`` and ``("drift", key)``;
``reason`` turns them, and what was submitted and applied, into why a target needs a job now.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from reconciler.daemon.clock import Scheduler
from reconciler.daemon.config import DaemonConfig
from reconciler.daemon.revisions import Desired, TargetKey
from reconciler.daemon.status import TargetState


class TargetDeadlines:
    """The retry and drift deadlines of every target (thread-safe through the Scheduler)."""

    def __init__(self, scheduler: Scheduler, config: DaemonConfig, rand: Callable[[], float]) -> None:
        self._scheduler = scheduler
        self._config = config
        self._rand = rand

    def reason(self, key: TargetKey, state: TargetState, desired: Desired) -> str | None:
        """Why ``key`` needs a job now (``revision``, ``resync``, ``retry``, ``drift``, ``rollout``), or None."""
        revision = desired.target.revision
        if self._scheduler.when(("retry", key)) is not None:
            if self._scheduler.due(("retry", key)):
                return "retry"
            if state.reachable is False or state.submitted == revision:
                return None  # wait out the backoff (a dead cluster waits even when a new commit arrives)
            return "revision"  # the cluster answers and there is a new commit: it may fix the failure
        if state.submitted != revision:
            return "revision" if state.applied != revision else "resync"
        if self._scheduler.pop_due(("drift", key)):
            return "drift"
        if self._scheduler.pop_due(("rollout", key)):
            return "rollout"
        return None

    def clear(self, keys: Iterable[TargetKey]) -> None:
        """Disarm the retry, drift and rollout deadlines of ``keys`` (a finished job arms them again)."""
        for key in keys:
            self._scheduler.cancel(("retry", key))
            self._scheduler.cancel(("drift", key))
            self._scheduler.cancel(("rollout", key))

    def succeeded(self, key: TargetKey) -> None:
        """A reconcile went through: the next drift check is due after the drift interval."""
        if self._config.drift_interval > 0:
            # earliest: a check a watch asked for during this reconcile stays due sooner
            self._scheduler.earliest(("drift", key), self._config.drift_interval)

    def rollouts(self, key: TargetKey, wake_in: float | None) -> None:
        """A rollout of the target moves next in ``wake_in`` seconds (None: none is due)."""
        if wake_in is None:
            self._scheduler.cancel(("rollout", key))
        else:
            self._scheduler.after(("rollout", key), max(0.0, wake_in))

    def blocked(self, key: TargetKey) -> None:
        """The revision cannot be applied as it is: no drift checks until the next commit."""
        self._scheduler.cancel(("drift", key))

    def failed(self, key: TargetKey, failures: int) -> float:
        """Arm the retry after the ``failures``-th failure in a row; its delay in seconds."""
        delay = self.backoff(failures)
        self._scheduler.after(("retry", key), delay)
        return delay

    def answers_again(self, key: TargetKey) -> None:
        """The cluster answers again: a retry waiting out its backoff is due now."""
        if self._scheduler.when(("retry", key)) is not None:
            self._scheduler.earliest(("retry", key), 0.0)

    def drift_seen(self, key: TargetKey, state: TargetState) -> bool:
        """A watch saw drift: arm a check soon, unless one cannot help; True when armed."""
        if state.blocked is not None and state.blocked == state.submitted:
            return False  # waiting for a commit that fixes a change needing replacement: a check cannot help
        if not self._config.self_heal and state.drifted:
            return False  # reported, not healed: every later event would only report it again
        self._scheduler.earliest(("drift", key), self._config.drift_watch_delay)
        return True

    def backoff(self, failures: int) -> float:
        """Exponential with equal jitter: half the step fixed, half random (never an instant retry)."""
        step = min(self._config.backoff_cap, self._config.backoff_base * float(2 ** min(failures - 1, 30)))
        return step / 2 + float(self._rand()) * step / 2
