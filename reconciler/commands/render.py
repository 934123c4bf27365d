"""The render command: choose environments and clusters, render, and write files."""

from __future__ import annotations

from pathlib import Path

from reconciler.errors import UnknownCluster, UnknownEnvironment
from reconciler.objects import Manifest
from reconciler.render import render_cluster
from reconciler.render.output import file_name, json_document, to_yaml, yaml_stream
from reconciler.spec.document import Spec

Group = tuple[str, str, list[Manifest]]


def ordered_environments(spec: Spec) -> list[str]:
    """Environments in promotion order, then any others by name."""
    ordered = [n for stage in spec.platform.spec.stages() for n in stage if n in spec.environments]
    return ordered + sorted(set(spec.environments) - set(ordered))


def render_groups(spec: Spec, envs: list[str], cluster: str | None, revision: str) -> list[Group]:
    """(environment, cluster, manifests) for the selection; UnknownEnvironment or UnknownCluster naming what is
    unknown."""
    UnknownEnvironment.check(envs, ordered_environments(spec))
    groups = []
    for env_name in envs or ordered_environments(spec):
        clusters = [c.name for c in spec.environments[env_name].model.spec.clusters]
        if cluster is not None and cluster not in clusters and envs:
            raise UnknownCluster(f"environment '{env_name}' has no cluster '{cluster}'; its clusters: {', '.join(clusters)}")
        for name in clusters:
            if cluster is None or cluster == name:
                groups.append((env_name, name, [r.manifest for r in render_cluster(spec, env_name, name, revision)]))
    if cluster is not None and not groups:
        raise UnknownCluster(f"no environment has a cluster '{cluster}'")
    return groups


def render_text(groups: list[Group], output: str) -> str:
    """The whole selection as a YAML stream or a JSON document."""
    return json_document(groups) if output == "json" else yaml_stream(groups)


def write_files(groups: list[Group], out: Path) -> list[Path]:
    """One file per object under ``out/<env>/<cluster>/``; stale files from earlier runs are removed."""
    written = []
    for env_name, cluster, manifests in groups:
        folder = out / env_name / cluster
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.yaml"):
            old.unlink()
        for index, manifest in enumerate(manifests):
            path = folder / file_name(manifest, index)
            path.write_text(to_yaml(manifest), encoding="utf-8")
            written.append(path)
    return written
