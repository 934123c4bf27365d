"""Promotions opened after verified rollouts: noticed when a job finishes, opened on the loop's thread.

A rollout of (environment, component, version) counts as verified once it succeeded on every
cluster of the environment that rolls the component out. It is then queued once; ``open_pending``
(called by ``Daemon.step``, outside the daemon's lock: it writes Git) opens the promotion
(``reconciler.handoff``) and keeps the outcome for the status document. A restarted daemon queues it
again and finds the branch already open.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import structlog

from reconciler.daemon.revisions import LoadedRevision, TargetKey
from reconciler.daemon.status import TargetState
from reconciler.handoff import Handoff, open_promotions
from reconciler.rollout.state import Phase

log = structlog.get_logger("platformctl.daemon")
KEPT = 50
"""Handoffs kept for the status document."""


class HandoffQueue:
    """Verified rollouts waiting for their promotion, and the promotions opened (all under the daemon's
    condition, except the Git writes)."""

    def __init__(self, *, enabled: bool, push: bool) -> None:
        self.enabled = enabled
        self.push = push
        self._seen: set[tuple[str, str, str]] = set()
        self._pending: list[tuple[str, str, str, str]] = []
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
            clusters = [k for k, desired in good.desired.items()
                        if k[0] == key[0] and any(p.component == state.component for p in desired.rollouts)]
            if all(any(v.state.component == state.component and v.state.version == state.version
                       and v.state.phase is Phase.SUCCEEDED for v in states[k].rollouts)
                   for k in clusters if k in states):
                self._seen.add(mark)
                self._pending.append((*mark, good.commit))

    def open_pending(self, repo: Path, condition: threading.Condition) -> None:
        """Open the queued promotions (Git writes, without holding ``condition``)."""
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

    def document(self) -> list[dict[str, Any]]:
        """The promotions opened (or not, with why) for the status document."""
        return [{"from": h.source, "to": h.target, "component": h.component, "version": h.version,
                 "branch": h.branch or None, "commit": h.commit, "note": h.note or None} for h in self.opened]
