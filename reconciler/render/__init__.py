"""Render a validated spec into the Kubernetes objects each environment and cluster must hold (pure)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from reconciler.collection import collection_paused
from reconciler.kinds import sort_for_apply
from reconciler.objects import Manifest
from reconciler.render.context import RenderContext
from reconciler.render.notebook import render_notebook
from reconciler.render.ownership import finish, ownership_labels
from reconciler.render.pipeline import render_pipeline
from reconciler.render.schedule import render_schedule
from reconciler.render.serving import render_serving
from reconciler.render.team import render_team
from reconciler.render.training import render_training
from reconciler.render.tuning import render_tuning
from reconciler.spec.checks.teams import team_namespaces
from reconciler.spec.document import EnvironmentView, Resolved, Spec

__all__ = ["RenderContext", "Rendered", "render_cluster", "render_environment", "context_for"]


@dataclass(frozen=True, slots=True)
class Rendered:
    """One rendered object and the component it came from (None for the environment's namespace)."""

    manifest: Manifest
    component: Resolved | None


_SIMPLE: dict[str, Callable[[Resolved, RenderContext], list[Manifest]]] = {
    "Notebook": render_notebook,
    "Tuning": render_tuning,
    "Serving": render_serving,
    "Training": render_training,
    "Team": render_team,
}


def context_for(spec: Spec, view: EnvironmentView, cluster: str, revision: str) -> RenderContext:
    """The render context of one cluster of one environment."""
    env = view.model.spec
    namespace = next((c.namespace for c in env.clusters if c.name == cluster and c.namespace), env.namespace)
    defaults = spec.platform.spec.defaults
    return RenderContext(
        platform=spec.name, environment=view.name, cluster=cluster,
        namespace=namespace, revision=revision, schedule_time_zone=env.kfp.schedule_time_zone,
        kfp_experiment=env.kfp.experiment, kfp_service_account=env.kfp.service_account,
        extra_labels={**defaults.labels, **env.labels}, extra_annotations=dict(defaults.annotations),
        packages=spec.packages,
    )


def render_cluster(spec: Spec, env_name: str, cluster: str, revision: str) -> list[Rendered]:
    """Every object one cluster of an environment must hold, in apply order."""
    with collection_paused():  # linear in the platform's size (see reconciler.collection)
        return _render_cluster(spec, env_name, cluster, revision)


def _render_cluster(spec: Spec, env_name: str, cluster: str, revision: str) -> list[Rendered]:
    view = spec.environments[env_name]
    ctx = context_for(spec, view, cluster, revision)
    refs = view.placement[cluster]
    found: list[Rendered] = [Rendered(_namespace(ctx, view.source.path), None)]
    pinned_versions = _pipeline_versions_needed(view, refs)
    teams = team_namespaces(view, cluster)
    for ref in refs:
        item = view.components[ref]
        own = item.metadata.annotations
        item_ctx = replace(ctx, extra_annotations={**ctx.extra_annotations, **own}) if own else ctx
        team = item.metadata.team
        if team is not None and item.kind != "Team" and team in teams:
            item_ctx = replace(item_ctx, namespace=teams[team])
        if item.kind in _SIMPLE:
            manifests = _SIMPLE[item.kind](item, item_ctx)
        elif item.kind == "Pipeline":
            manifests = render_pipeline(item, item_ctx, pinned_versions.get(item.name, ()))
        else:
            _pipeline, version = view.scheduled_pipeline(item)
            manifests = render_schedule(item, item_ctx, version or "")
        found.extend(Rendered(m, item) for m in manifests)
    order = {id(m): i for i, m in enumerate(sort_for_apply([r.manifest for r in found]))}
    return sorted(found, key=lambda r: order[id(r.manifest)])


def render_environment(spec: Spec, env_name: str, revision: str) -> dict[str, list[Rendered]]:
    """Cluster name -> its rendered objects, clusters in declaration order."""
    view = spec.environments[env_name]
    return {c.name: render_cluster(spec, env_name, c.name, revision) for c in view.model.spec.clusters}


def _pipeline_versions_needed(view: EnvironmentView, refs: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Pipeline name -> versions that schedules on this cluster bind to (besides the pipeline's own)."""
    needed: dict[str, set[str]] = {}
    for ref in refs:
        item = view.components[ref]
        if item.kind == "Schedule":
            pipeline, version = view.scheduled_pipeline(item)
            if pipeline is not None and version:
                needed.setdefault(pipeline.name, set()).add(version)
    return {name: tuple(sorted(versions)) for name, versions in needed.items()}


def _namespace(ctx: RenderContext, source_path: str) -> Manifest:
    labels = ownership_labels(ctx, "namespace", ctx.namespace, None)
    manifest: Manifest = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ctx.namespace, "labels": labels}}
    return finish(manifest, ctx, source_path)
