"""One analysis of a rollout step: every metric check against the query API (I/O through ``Query``)."""

from __future__ import annotations

from collections.abc import Callable

from reconciler.rollout.policy import MetricRule, RolloutPolicy
from reconciler.rollout.prometheus import QueryError
from reconciler.rollout.state import CheckResult

Query = Callable[[str], float | None]
"""Runs one PromQL instant query: its value, None for no data; raises QueryError."""


def promql(rule: MetricRule, policy: RolloutPolicy) -> str:
    """The rule's query with ``$interval``, ``$version``, ``$component`` and ``$namespace`` filled in (pure)."""
    return (rule.query.replace("$interval", f"{max(1, round(policy.interval))}s")
            .replace("$version", policy.version).replace("$component", policy.name)
            .replace("$namespace", policy.namespace))


def verdict(rule: MetricRule, value: float | None) -> CheckResult:
    """Whether ``value`` lies within the rule's bounds (pure); no data fails."""
    if value is None:
        return CheckResult(rule.name, False, None, "no data")
    if rule.min is not None and value < rule.min:
        return CheckResult(rule.name, False, value, f"{value:g} < min {rule.min:g}")
    if rule.max is not None and value > rule.max:
        return CheckResult(rule.name, False, value, f"{value:g} > max {rule.max:g}")
    return CheckResult(rule.name, True, value)


def analyse(policy: RolloutPolicy, query: Query | None) -> tuple[CheckResult, ...]:
    """Every metric check of ``policy``; without a query API configured, each check fails saying so."""
    results = []
    for rule in policy.metrics:
        if query is None:
            results.append(CheckResult(rule.name, False, None, "no Prometheus configured (--prometheus-url)"))
            continue
        try:
            results.append(verdict(rule, query(promql(rule, policy))))
        except QueryError as exc:
            results.append(CheckResult(rule.name, False, None, str(exc)))
    return tuple(results)
