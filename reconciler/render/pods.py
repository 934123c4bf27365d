"""Pod-level building blocks shared by renderers: resources, env, placement (pure)."""

from __future__ import annotations

from typing import Any

from reconciler.spec.models.base import Placement, Resources, SecretRef


def resources(spec: Resources) -> dict[str, dict[str, Any]]:
    """Requests and limits as the spec sets them: limits default to the requests unless ``limits`` is
    false, an unset quantity is left out, GPUs go under the vendor's resource name on both sides
    (Kubernetes requires a limit for them); empty sides are left out, so no resources give ``{}``."""
    requests: dict[str, Any] = {k: v for k, v in (("cpu", spec.cpu), ("memory", spec.memory)) if v is not None}
    limits: dict[str, Any] = {}
    if spec.limits:
        limits = {k: v for k, v in (("cpu", spec.cpu_limit or spec.cpu), ("memory", spec.memory_limit or spec.memory))
                  if v is not None}
    if spec.gpu.count:
        requests[spec.gpu.resource] = spec.gpu.count
        limits[spec.gpu.resource] = spec.gpu.count
    return {side: values for side, values in (("requests", requests), ("limits", limits)) if values}


def env_list(env: dict[str, str | SecretRef]) -> list[dict[str, Any]]:
    """``{NAME: value}`` as a container env list (secret references as ``valueFrom``), sorted by name."""
    return [
        {"name": name, "value": value} if isinstance(value, str)
        else {"name": name, "valueFrom": {"secretKeyRef": {"name": value.secret, "key": value.key}}}
        for name, value in sorted(env.items())
    ]


def placement(spec: Placement) -> dict[str, Any]:
    """nodeSelector, tolerations and affinity for a PodSpec (empty when unset)."""
    out: dict[str, Any] = {}
    if spec.node_selector:
        out["nodeSelector"] = dict(sorted(spec.node_selector.items()))
    if spec.tolerations:
        out["tolerations"] = [t.model_dump(by_alias=True, exclude_none=True) for t in spec.tolerations]
    if spec.affinity:
        out["affinity"] = spec.affinity
    return out


def container(name: str, image: str, res: Resources, *, command: tuple[str, ...] = (), args: tuple[str, ...] = (),
              env: dict[str, str | SecretRef] | None = None) -> dict[str, Any]:
    """A core/v1 Container."""
    out: dict[str, Any] = {"name": name, "image": image}
    if command:
        out["command"] = list(command)
    if args:
        out["args"] = list(args)
    if env:
        out["env"] = env_list(env)
    if rendered := resources(res):
        out["resources"] = rendered
    return out
