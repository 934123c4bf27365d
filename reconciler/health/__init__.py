"""Health of live ML-platform objects: one pure function per kind, and worst-of roll-ups.

Public API::

    Status                       Healthy, Progressing, Degraded, Suspended, Missing, Unknown (.severity)
    Health(status, message)      frozen; .prefixed(label) keeps an object's name in a roll-up
    health_of(live) -> Health    dispatch by (API group, kind); None -> Missing
    worst(healths) -> Health     worst-of; empty -> Healthy "nothing to check"
    roll_up({name: healths})     -> {name: worst(healths)} for components, environments, clusters
    unreachable(last_seen)       Unknown "cluster unreachable; last seen <ISO time>"
    profile_health(profile, ns)  a Profile together with the Namespace its controller creates
    health_among(live, objects)  health_of, a Profile judged with its Namespace among the objects

Severity, worst first: Degraded > Missing > Unknown > Progressing > Suspended > Healthy (see
``model``). Per-kind rules are documented in ``workloads``, ``serving``, ``pipelines``, ``core`` and
``dispatch``; each was read off the upstream controller that writes the status (sources in
``tests/data/health/SOURCES.md``).

No I/O happens here: callers pass objects they already read, and a cluster they could not read
becomes ``unreachable(last_seen)`` for everything on it, never a stale Healthy.
"""

from __future__ import annotations

from reconciler.health.dispatch import CHECKS, health_among, health_of, kind_key, profile_health
from reconciler.health.model import MISSING, Health, Status, roll_up, unreachable, worst

__all__ = [
    "CHECKS",
    "MISSING",
    "Health",
    "Status",
    "health_among",
    "health_of",
    "kind_key",
    "profile_health",
    "roll_up",
    "unreachable",
    "worst",
]
