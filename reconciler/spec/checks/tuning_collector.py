"""Metrics collector rules: which fields each collector kind takes (Katib's webhook and defaults).

Katib defaults what is left out (File: /var/log/katib/metrics.log as TEXT; TensorFlowEvent:
the directory /var/log/katib/tfevent/; PrometheusMetric: port 8080, path /metrics), so only
fields that contradict the kind are errors here.
"""

from __future__ import annotations

import re

from reconciler.errors import SpecError
from reconciler.spec.document import Resolved
from reconciler.spec.models.tuning import MetricsCollector

LOC = "metricsCollector"
# Which optional fields each kind reads; the rest would be ignored or refused by Katib.
FIELDS: dict[str, frozenset[str]] = {
    "StdOut": frozenset({"metricsFormat"}),
    "File": frozenset({"path", "pathKind", "format", "metricsFormat"}),
    "TensorFlowEvent": frozenset({"path", "pathKind"}),
    "PrometheusMetric": frozenset({"httpGet"}),
    "Custom": frozenset({"path", "pathKind", "metricsFormat", "custom"}),
    "None": frozenset(),
    "Push": frozenset(),
}
_TWO_GROUPS = re.compile(r".*\(.*\).*\(.*\).*")


def check_collector(item: Resolved, spec: MetricsCollector) -> list[SpecError]:
    """Fields the kind does not take, the path's kind, the filters' regexes, Custom's container."""
    found: list[SpecError] = []
    set_fields = {"path": spec.path, "pathKind": spec.path_kind, "format": spec.format,
                  "metricsFormat": spec.metrics_format or None, "httpGet": spec.http_get, "custom": spec.custom}
    for name, value in set_fields.items():
        if value is not None and name not in FIELDS[spec.kind]:
            takes = ", ".join(sorted(FIELDS[spec.kind])) or "nothing else"
            found.append(item.error((LOC, name), f"a {spec.kind} metrics collector does not use {name}",
                                    f"remove it (a {spec.kind} collector takes: {takes})"))
    if spec.path_kind is not None and spec.path is None:
        found.append(item.error((LOC, "pathKind"), "pathKind without a path", "add path, or remove pathKind"))
    if spec.kind == "File" and spec.path_kind == "Directory":
        found.append(item.error((LOC, "pathKind"), "a File collector reads one file, not a directory",
                                "use pathKind File, or kind TensorFlowEvent for a directory of event files"))
    if spec.kind == "TensorFlowEvent" and spec.path_kind == "File":
        found.append(item.error((LOC, "pathKind"), "a TensorFlowEvent collector reads a directory of event files",
                                "use pathKind Directory (or leave it out)"))
    if spec.kind == "Custom" and spec.custom is None:
        found.append(item.error((LOC,), "a Custom metrics collector needs its container",
                                "add custom: {name: ..., image: ...}"))
    if spec.format == "JSON" and spec.metrics_format:
        found.append(item.error((LOC, "metricsFormat"), "metricsFormat cannot be used with JSON format",
                                "remove metricsFormat or use format TEXT"))
    for i, pattern in enumerate(spec.metrics_format):
        found += _regex(item, i, pattern)
    return found


def _regex(item: Resolved, i: int, pattern: str) -> list[SpecError]:
    try:
        re.compile(pattern)
    except re.error as err:
        return [item.error((LOC, "metricsFormat", i), f"metricsFormat {pattern!r} is not a regular expression: {err}",
                           "fix the expression")]
    if not _TWO_GROUPS.match(pattern):
        return [item.error((LOC, "metricsFormat", i), f"metricsFormat {pattern!r} needs two groups: the metric's "
                           "name and its value", "e.g. ([\\w|-]+)\\s*=\\s*([+-]?\\d*(\\.\\d+)?([Ee][+-]?\\d+)?)")]
    return []
