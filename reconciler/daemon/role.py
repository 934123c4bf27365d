"""Whether this replica leads now: lease ticks on the daemon's Scheduler and the pushes relayed between
replicas (a standby hands a webhook push to the leader; the leader picks it up on its next tick)."""

from __future__ import annotations

import threading

import structlog

from reconciler.daemon.clock import Scheduler
from reconciler.daemon.election.elector import Leadership
from reconciler.daemon.election.relay import PushRelay, RelayWatch
from reconciler.daemon.triggers import CoalescingTrigger
from reconciler.errors import ClusterError
from reconciler.observability.metrics import Metrics

log = structlog.get_logger("platformctl.daemon")


class LeaderRole:
    """Ticks the election when its deadline is due and says when this replica gains or loses the lead."""

    def __init__(self, leadership: Leadership, *, scheduler: Scheduler, trigger: CoalescingTrigger,
                 metrics: Metrics, branch: str, stop: threading.Event, abandon: threading.Event,
                 relay: PushRelay | None = None) -> None:
        self.leadership = leadership
        self._scheduler = scheduler
        self._trigger = trigger
        self._metrics = metrics
        self._branch = branch
        self._stop = stop
        self._abandon = abandon
        self._relay = RelayWatch(relay) if relay is not None else None
        self.leading = False
        """The verdict of the last ``tick`` (what the status page shows)."""
        scheduler.at("lease", scheduler.clock.monotonic())
        metrics.leader(False)

    def tick(self) -> tuple[bool, bool]:
        """Renew or try to acquire the lease when its tick is due: (leading now, changed since the last tick)."""
        if self._scheduler.pop_due("lease") and not self._stop.is_set():
            self._scheduler.after("lease", self.leadership.retry_period)  # first: a failing tick keeps ticking
            self.leadership.tick()
            if self._relay is not None and self.leadership.holds():
                self._take_relayed_push(self._relay)
        leading = self.leadership.holds() and not self._stop.is_set()
        if leading == self.leading:
            return leading, False
        self.leading = leading
        self._metrics.leader(leading)
        log.info("leading" if leading else "standing by", identity=self.leadership.identity)
        return leading, True

    def forward_push(self) -> None:
        """A standby got a push: record it for the leader (it reads the record every lease tick)."""
        if self._relay is None:
            return
        try:
            self._relay.relay.publish(self._branch, self.leadership.identity)
        except (ClusterError, OSError) as exc:
            log.warning("cannot hand the push to the leader; it will see the commit at its next poll",
                        relay=self._relay.relay.description, error=str(exc))
            return
        log.info("push handed to the leader", relay=self._relay.relay.description)

    def _take_relayed_push(self, relay: RelayWatch) -> None:
        """The leader: a push that reached a standby refreshes the source now."""
        try:
            if relay.changed():
                self._trigger.fire("relayed push")
        except (ClusterError, OSError) as exc:
            log.warning("cannot read the push relay", relay=relay.relay.description, error=str(exc))

    def refusal(self) -> str | None:
        """Why a worker must not write now, or None (checked by every worker before every write)."""
        if self._abandon.is_set():
            return "the daemon is shutting down"
        if not self.leadership.holds():
            return f"{self.leadership.identity} does not hold the leader lease"
        return None
