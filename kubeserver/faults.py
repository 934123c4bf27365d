"""Fault injection and the request log, both driven from the test (thread-safe).

Faults are deterministic: "fail the next N matching requests" or a rate drawn from a
seeded generator. A rule matches on verb and resource; `None` matches anything.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

PartitionMode = Literal["refuse", "hang"]


@dataclass(slots=True, frozen=True)
class RequestRecord:
    """One request as the server saw it."""

    method: str
    path: str
    verb: str  # get, list, watch, create, update, patch, delete, deletecollection
    resource: str  # `configmaps`, `notebooks.kubeflow.org`, `.../status`; "" for discovery
    namespace: str
    name: str
    code: int
    fault: str = ""  # "error", "throttle", "refuse", "hang" when injected


@dataclass(slots=True)
class Rule:
    """One injected fault (an error or added latency)."""

    kind: Literal["error", "throttle", "latency"]
    verb: str | None = None
    resource: str | None = None
    code: int = 500
    times: int | None = None  # None = unlimited
    rate: float = 1.0
    seed: int = 0
    seconds: float = 0.0
    retry_after: int = 1
    status_body: bool = False
    message: str = ""
    fired: int = 0
    _rng: random.Random = field(default_factory=random.Random)
    _seen: Counter[str] = field(default_factory=Counter)

    def matches(self, verb: str, resource: str) -> bool:
        if self.verb is not None and self.verb != verb:
            return False
        if self.resource is None:
            return True
        # "notebooks", "notebooks.kubeflow.org", "notebooks/status", ... all name the resource.
        base, _, sub = resource.partition("/")
        plural = base.split(".", 1)[0]
        names = {resource, base, plural}
        if sub:
            names.add(f"{plural}/{sub}")
        return self.resource in names

    def fire(self, request: str = "") -> bool:
        """Whether this rule applies to the current request (consumes a count).

        With a ``rate``, the draw for a request named ``request`` (method and path) depends only
        on the seed, that name and how often it was seen before, so concurrent clients meet the
        same failures on every run whatever order their requests arrive in.
        """
        if self.times is not None and self.fired >= self.times:
            return False
        if self.rate < 1.0 and self._draw(request) >= self.rate:
            return False
        self.fired += 1
        return True


    def _draw(self, request: str) -> float:
        if not request:
            return self._rng.random()
        seen = self._seen[request]
        self._seen[request] = seen + 1
        return random.Random(f"{self.seed}|{request}|{seen}").random()


@dataclass(slots=True, frozen=True)
class Latency:
    """Modelled latency in seconds: `rtt` on every request, `commit` on persisted writes."""

    rtt: float = 0.0
    commit: float = 0.0


class Faults:
    """The fault plan of one server."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[Rule] = []
        self._mode: PartitionMode | None = None
        self._released = threading.Event()
        self._released.set()

    def fail(self, code: int = 500, *, verb: str | None = None, resource: str | None = None,
             times: int | None = 1, message: str = "") -> Rule:
        """Answer the next `times` matching requests (None: all) with a `code` Status."""
        return self._add(Rule("error", verb, resource, code=code, times=times, message=message))

    def fail_rate(self, rate: float, code: int = 500, *, verb: str | None = None,
                  resource: str | None = None, seed: int = 0) -> Rule:
        """Answer a `rate` fraction of matching requests with `code` (seeded, reproducible)."""
        rule = Rule("error", verb, resource, code=code, rate=rate, seed=seed)
        rule._rng = random.Random(seed)
        return self._add(rule)

    def throttle(self, *, retry_after: int = 1, times: int | None = 1, verb: str | None = None,
                 resource: str | None = None, status_body: bool = False) -> Rule:
        """429 with `Retry-After`; plain text like APF, or a Status body if `status_body`."""
        return self._add(Rule("throttle", verb, resource, code=429, times=times,
                              retry_after=retry_after, status_body=status_body))

    def delay(self, seconds: float, *, verb: str | None = None, resource: str | None = None,
              times: int | None = None) -> Rule:
        """Add `seconds` of latency before answering matching requests."""
        return self._add(Rule("latency", verb, resource, seconds=seconds, times=times))

    def remove(self, rule: Rule) -> None:
        """Withdraw one rule."""
        with self._lock:
            if rule in self._rules:
                self._rules.remove(rule)

    def partition(self, mode: PartitionMode = "refuse") -> None:
        """Cut the cluster off: reset every connection, or accept and never answer."""
        with self._lock:
            self._mode = mode
            if mode == "hang":
                self._released.clear()

    def heal(self) -> None:
        """End a partition; hung requests are then answered."""
        with self._lock:
            self._mode = None
            self._released.set()

    def clear(self) -> None:
        """Remove every rule and heal any partition."""
        with self._lock:
            self._rules.clear()
        self.heal()

    @property
    def mode(self) -> PartitionMode | None:
        return self._mode

    def wait_released(self, timeout: float) -> bool:
        """Block a hung request until heal() (or timeout); True when released."""
        return self._released.wait(timeout)

    def _add(self, rule: Rule) -> Rule:
        with self._lock:
            self._rules.append(rule)
        return rule

    def pick(self, verb: str, resource: str, request: str = "") -> tuple[float, Rule | None]:
        """(latency to add, error rule to answer with) for a request (``request``: method and path)."""
        latency = 0.0
        chosen = None
        with self._lock:
            for rule in self._rules:
                if not rule.matches(verb, resource):
                    continue
                if rule.kind == "latency":
                    if rule.fire(request):
                        latency += rule.seconds
                elif chosen is None and rule.fire(request):
                    chosen = rule
        return latency, chosen


class RequestLog:
    """Every request, and counters per (verb, resource)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []
        self._counts: Counter[tuple[str, str]] = Counter()

    def add(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)
            self._counts[(record.verb, record.resource)] += 1

    def records(self) -> list[RequestRecord]:
        """A copy of the log, oldest first."""
        with self._lock:
            return list(self._records)

    def counts(self) -> dict[tuple[str, str], int]:
        """Requests per (verb, resource)."""
        with self._lock:
            return dict(self._counts)

    def count(self, verb: str | None = None, resource: str | None = None) -> int:
        """Requests matching a verb and/or resource (None matches any)."""
        probe = Rule("error", verb, resource)
        with self._lock:
            return sum(n for (v, r), n in self._counts.items() if probe.matches(v, r))

    def reset(self) -> None:
        """Forget every request."""
        with self._lock:
            self._records.clear()
            self._counts.clear()
