"""No plaintext secrets in the spec: sensitive-looking names with literal values, or values that look like keys."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from reconciler.errors import SpecError
from reconciler.spec.document import Resolved, Spec
from reconciler.spec.models import NotebookSpec, ScheduleSpec, ServingSpec, TuningSpec

SENSITIVE_NAME = re.compile(r"(PASSWORD|PASSWD|TOKEN|SECRET|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL)", re.I)
SECRET_VALUE = re.compile(
    r"(AKIA[0-9A-Z]{16}|-----BEGIN [A-Z ]*PRIVATE KEY-----|gh[pousr]_[A-Za-z0-9]{36}|xox[abprs]-[A-Za-z0-9-]{10,}"
    r"|sk_live_[A-Za-z0-9]{16,}|AIza[0-9A-Za-z_-]{35})"
)
HINT = "keep it in a Kubernetes Secret and reference it: {secret: <name>, key: <key>}"

Loc = tuple[str | int, ...]


def check(spec: Spec) -> list[SpecError]:
    """Plaintext secrets anywhere a component passes values to containers or pipelines."""
    found: list[SpecError] = []
    for _env, item in spec.variants(distinct=True):
        for loc, name, value in _values(item):
            if SECRET_VALUE.search(value):
                found.append(item.error(loc, f"{name} holds what looks like a credential; the spec is stored in Git "
                                        "and rendered into objects anyone with read access sees", HINT))
            elif SENSITIVE_NAME.search(name) and value:
                found.append(item.error(loc, f"{name} looks like a secret but is given as plain text", HINT))
    return found


def _values(item: Resolved) -> Iterator[tuple[Loc, str, str]]:
    s = item.spec
    if isinstance(s, NotebookSpec):
        yield from _env(("env",), s.env)
    elif isinstance(s, TuningSpec):
        yield from _env(("trialTemplate", "env"), s.trial_template.env)
        for i, arg in enumerate(s.trial_template.command):
            yield ("trialTemplate", "command", i), f"command argument {i}", arg if SECRET_VALUE.search(arg) else ""
        if (custom := s.metrics_collector.custom) is not None:
            yield from _env(("metricsCollector", "custom", "env"), custom.env)
            for i, arg in enumerate((*custom.command, *custom.args)):
                yield ("metricsCollector", "custom"), f"collector argument {i}", arg if SECRET_VALUE.search(arg) else ""
    elif isinstance(s, ServingSpec):
        if s.model is not None:
            yield from _env(("model", "env"), s.model.env)
        if s.container is not None:
            yield from _env(("container", "env"), s.container.env)
        for role, extra in (("transformer", s.transformer), ("explainer", s.explainer)):
            if extra is not None:
                yield from _env((role, "env"), extra.env)
    elif isinstance(s, ScheduleSpec):
        for name, value in s.parameters.items():
            yield from _scalar(("parameters", name), f"parameter {name}", value)


def _env(loc: Loc, env: dict[str, Any]) -> Iterator[tuple[Loc, str, str]]:
    for name, value in env.items():
        if isinstance(value, str):
            yield (*loc, name), name, value


def _scalar(loc: Loc, name: str, value: Any) -> Iterator[tuple[Loc, str, str]]:
    if isinstance(value, str):
        yield loc, name, value
