"""``platformctl_component_health``: one status per component, its series written out when scraped.

A labelled ``Gauge`` holds a child per series, each with its own lock and value: at 7,800 components
(six series each, one per status) that is about 17 MiB kept for the daemon's lifetime. This collector
keeps one status string per component and yields the same samples, in the same order, at each scrape.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from prometheus_client.metrics_core import GaugeMetricFamily, Metric

NAME = "platformctl_component_health"
DOC = "1 for a component's current health status, 0 for the others."
LABELS = ("environment", "cluster", "component", "status")


class ComponentHealth:
    """The health status of each component of each target (a prometheus_client custom collector)."""

    def __init__(self, statuses: tuple[str, ...]) -> None:
        self._statuses = statuses
        self._lock = threading.Lock()
        self._targets: dict[tuple[str, str], dict[str, str]] = {}
        """(environment, cluster) -> component -> its status (label values, already bounded)."""

    def set(self, environment: str, cluster: str, component: str, status: str) -> None:
        """The component's status now (one of ``statuses``)."""
        with self._lock:
            self._targets.setdefault((environment, cluster), {})[component] = status

    def forget(self, environment: str, cluster: str, component: str | None = None) -> None:
        """Drop a component's series, or every component's of the target."""
        with self._lock:
            if component is None:
                self._targets.pop((environment, cluster), None)
            else:
                self._targets.get((environment, cluster), {}).pop(component, None)

    def describe(self) -> Iterator[Metric]:
        """The family without samples (so registering does not collect)."""
        yield GaugeMetricFamily(NAME, DOC, labels=LABELS)

    def collect(self) -> Iterator[Metric]:
        """Six samples per component: 1 for its status, 0 for the others."""
        family = GaugeMetricFamily(NAME, DOC, labels=LABELS)
        with self._lock:
            targets = [(key, list(components.items())) for key, components in self._targets.items()]
        for (environment, cluster), components in targets:
            for component, current in components:
                for status in self._statuses:
                    family.add_metric((environment, cluster, component, status), 1.0 if status == current else 0.0)
        yield family
