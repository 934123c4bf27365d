"""How results are shown: spec errors (text, GitHub annotations) and the platform summary (pure)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from reconciler.errors import SpecError
from reconciler.spec.checks.policy import gpu_demand
from reconciler.spec.document import Spec
from reconciler.spec.models import TeamSpec


def errors_text(errors: list[SpecError]) -> str:
    """One ``path:line:col: message; hint`` line per error."""
    return "".join(f"{e}\n" for e in errors)


def errors_github(errors: list[SpecError]) -> str:
    """GitHub Actions workflow commands that annotate the pull request diff."""
    def esc(text: str) -> str:
        return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    def prop(text: str) -> str:
        return esc(text).replace(":", "%3A").replace(",", "%2C")

    return "".join(
        f"::error file={prop(e.path)},line={e.line},col={e.col},title=platformctl::"
        f"{esc(e.message + ('; ' + e.hint if e.hint else ''))}\n"
        for e in errors
    )


def summary(spec: Spec) -> dict[str, Any]:
    """Plain-data summary of a loaded platform (what ``validate`` prints on success)."""
    kinds = Counter(c.kind for c in spec.components.values())
    environments = []
    for name in _ordered_environments(spec):
        view = spec.environments[name]
        policy = view.model.spec.policy
        environments.append({
            "name": name,
            "namespace": view.model.spec.namespace,
            "clusters": [{"name": c.name, "connection": c.connection, "components": len(view.placement[c.name])}
                         for c in view.model.spec.clusters],
            "components": len(view.components),
            "pinned": len(view.model.spec.versions),
            "overridden": len(view.model.spec.overrides),
            "gpus": sum(gpu_demand(item) for item in view.components.values()),
            "gpuQuota": policy.gpu_quota,
            "teams": {item.name: item.spec.namespace_for(item.name) for item in view.components.values()
                      if isinstance(item.spec, TeamSpec)},
        })
    return {
        "platform": spec.name,
        "version": spec.platform.spec.version,
        "components": dict(sorted(kinds.items())),
        "promotion": [list(stage) for stage in spec.platform.spec.stages()],
        "environments": environments,
    }


def _ordered_environments(spec: Spec) -> list[str]:
    ordered = [name for stage in spec.platform.spec.stages() for name in stage if name in spec.environments]
    return ordered + sorted(set(spec.environments) - set(ordered))


def summary_text(data: dict[str, Any]) -> str:
    """Human-readable summary lines."""
    kinds = ", ".join(f"{n} {k.lower()}" for k, n in data["components"].items())
    promotion = " -> ".join("+".join(stage) for stage in data["promotion"])
    lines = [
        f"platform {data['platform']} {data['version']}: valid",
        f"  components: {sum(data['components'].values())} ({kinds})",
        f"  promotion:  {promotion}",
        "  environments:",
    ]
    for env in data["environments"]:
        quota = f"/{env['gpuQuota']}" if env["gpuQuota"] is not None else ""
        clusters = ", ".join(f"{c['name']} ({c['connection']}, {c['components']})" for c in env["clusters"])
        lines.append(f"    {env['name']:<12} ns {env['namespace']:<11} {env['components']:>3} components, "
                     f"{env['pinned']} pinned, {env['overridden']} overridden, GPUs {env['gpus']}{quota}; "
                     f"clusters: {clusters}")
    return "\n".join(lines) + "\n"
