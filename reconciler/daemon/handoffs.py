"""Promotions opened after verified rollouts: noticed when a job finishes, opened on the loop's thread.

A rollout of (environment, component, version) counts as verified once it succeeded on every
cluster of the environment that rolls the component out. It is then queued once; ``open_pending``
(called by ``Daemon.step``, outside the daemon's lock: it writes Git) opens the promotion
(``reconciler.handoff``) and keeps the outcome for the status document. A restarted daemon queues it
again and finds the branch already open.

Sharded (``--shards``), a replica sees the rollouts of its own targets only. The replica that owns
the environment's first such cluster (in key order) is the one that opens the promotion: once its
own clusters succeeded, it reads the stored state of the others (``peer_state``: the rollout's
ConfigMap on their clusters, read only) every ``PEER_CHECK_SECONDS`` until all succeeded (opened),
one failed or was aborted (dropped), or the good revision stops pinning that version (dropped).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

from reconciler.daemon.revisions import LoadedRevision, TargetKey
from reconciler.daemon.status import TargetState
from reconciler.errors import ClusterError
from reconciler.handoff import Handoff, open_promotions
from reconciler.rollout.policy import RolloutPolicy
from reconciler.rollout.state import Phase, RolloutState

log = structlog.get_logger("platformctl.daemon")
KEPT = 50
"""Handoffs kept for the status document."""
PEER_CHECK_SECONDS = 30.0
"""How often a sharded replica reads the other replicas' rollout states while it waits for them."""

PeerState = Callable[[TargetKey, RolloutPolicy], RolloutState | None]
"""The stored state of a rollout on a target this replica does not reconcile (raises ClusterError when
the cluster cannot be read)."""
Mark = tuple[str, str, str]
"""(environment, component, version)."""


@dataclass
class _Waiting:
    """A rollout verified on this replica's clusters, waiting for the others'."""

    commit: str
    peers: dict[TargetKey, RolloutPolicy]
    check_at: float


class HandoffQueue:
    """Verified rollouts waiting for their promotion, and the promotions opened (all under the daemon's
    condition, except the Git writes and the reads of other replicas' clusters)."""

    def __init__(self, *, enabled: bool, push: bool, owns: Callable[[TargetKey], bool] | None = None,
                 peer_state: PeerState | None = None, now: Callable[[], float] | None = None) -> None:
        self.enabled = enabled
        self.push = push
        self._owns = owns
        """Sharded: whether this replica reconciles a target; None: it reconciles them all."""
        self._peer_state = peer_state
        self._now = now or (lambda: 0.0)
        self._seen: set[Mark] = set()
        self._pending: list[tuple[str, str, str, str]] = []
        self._waiting: dict[Mark, _Waiting] = {}
        self.opened: list[Handoff] = []

    def note(self, key: TargetKey, good: LoadedRevision, states: Mapping[TargetKey, TargetState]) -> None:
        """After a job of target ``key``: queue each rollout now verified on every cluster of its environment
        (caller holds the condition)."""
        if not self.enabled:
            return
        for view in states[key].rollouts if key in states else []:
            state = view.state
            mark = (key[0], state.component, state.version)
            if state.phase is not Phase.SUCCEEDED or mark in self._seen:
                continue
            rolling = {k: policy for k, desired in good.desired.items() if k[0] == key[0]
                       for policy in desired.rollouts if policy.component == state.component}
            own = [k for k in rolling if self._owns is None or self._owns(k)]
            if not all(any(v.state.component == state.component and v.state.version == state.version
                           and v.state.phase is Phase.SUCCEEDED for v in states[k].rollouts)
                       for k in own if k in states):
                continue
            peers = {k: policy for k, policy in rolling.items() if k not in own}
            self._seen.add(mark)
            if not peers:
                self._pending.append((*mark, good.commit))
            elif self._peer_state is not None and min(rolling) in own:  # one replica opens it: the first cluster's
                self._waiting[mark] = _Waiting(good.commit, peers, self._now())

    def open_pending(self, repo: Path, condition: threading.Condition, good: LoadedRevision | None = None) -> None:
        """Confirm waiting rollouts with the other replicas' clusters, then open the queued promotions (reads
        and Git writes, without holding ``condition``)."""
        self._confirm_peers(condition, good)
        with condition:
            pending, self._pending = self._pending, []
        for environment, component, version, commit in pending:
            handoffs = open_promotions(repo, commit, environment, component, version, push=self.push)
            for handoff in handoffs:
                log.info("promotion opened after a verified rollout" if handoff.commit else "promotion not opened",
                         environment=handoff.source, target=handoff.target, component=handoff.component,
                         version=handoff.version, branch=handoff.branch or None, note=handoff.note or None)
            with condition:
                self.opened = (self.opened + handoffs)[-KEPT:]

    def _confirm_peers(self, condition: threading.Condition, good: LoadedRevision | None) -> None:
        now = self._now()
        with condition:
            due = [(mark, waiting) for mark, waiting in self._waiting.items() if waiting.check_at <= now]
        for mark, waiting in due:
            verdict = self._peers_verdict(mark, waiting, good)
            with condition:
                if verdict is None:
                    waiting.check_at = now + PEER_CHECK_SECONDS
                    continue
                self._waiting.pop(mark, None)
                if verdict:
                    self._pending.append((*mark, waiting.commit))

    def _peers_verdict(self, mark: Mark, waiting: _Waiting, good: LoadedRevision | None) -> bool | None:
        """True: every other cluster succeeded; False: give up (one failed, or Git moved on); None: ask again."""
        environment, component, version = mark
        if good is not None and not any(p.component == component and p.version == version
                                        for k, d in good.desired.items() if k[0] == environment for p in d.rollouts):
            log.info("promotion dropped: the version is no longer pinned", environment=environment,
                     component=component, version=version)
            return False
        assert self._peer_state is not None
        for key, policy in waiting.peers.items():
            try:
                state = self._peer_state(key, policy)
            except ClusterError as exc:  # only delays the promotion
                log.warning("could not read a rollout on another replica's cluster; asking again",
                            environment=key[0], cluster=key[1], component=component, error=str(exc))
                return None
            if state is None or state.version != version or not state.phase.final:
                return None
            if state.phase is not Phase.SUCCEEDED:
                log.info("promotion dropped: the rollout did not succeed on every cluster", environment=environment,
                         cluster=key[1], component=component, version=version, phase=state.phase.value)
                return False
        return True

    def document(self) -> list[dict[str, Any]]:
        """The promotions opened (or not, with why) for the status document."""
        return [{"from": h.source, "to": h.target, "component": h.component, "version": h.version,
                 "branch": h.branch or None, "commit": h.commit, "note": h.note or None} for h in self.opened]
