"""Notebook component -> kubeflow.org/v1 Notebook and the PVCs it asks for."""

from __future__ import annotations

from typing import Any

from reconciler.objects import Manifest
from reconciler.render.context import RenderContext
from reconciler.render.ownership import finish, ownership_labels
from reconciler.render.pods import container, placement
from reconciler.spec.document import Resolved
from reconciler.spec.models import NotebookSpec
from reconciler.spec.models.notebook import Volume

ANNOTATION_STOPPED = "kubeflow-resource-stopped"


def render_notebook(item: Resolved, ctx: RenderContext) -> list[Manifest]:
    """The Notebook server plus a PVC for its workspace and each new volume."""
    spec = item.spec
    assert isinstance(spec, NotebookSpec)
    labels = ownership_labels(ctx, "notebooks", item.name, spec.version, item.metadata.labels)
    image = spec.image.replace("{version}", spec.version or "")
    objects = [_pvc(ctx, labels, f"{item.name}-workspace", spec.home.size, "ReadWriteOnce",
                    spec.home.storage_class)] if spec.home else []
    objects += [_pvc(ctx, labels, f"{item.name}-{v.name}", v.size, v.access_mode, v.storage_class)
                for v in spec.volumes if v.size is not None]
    objects.append(_notebook(item.name, spec, image, labels, ctx))
    return [finish(o, ctx, item.source.path) for o in objects]


def _notebook(name: str, spec: NotebookSpec, image: str, labels: dict[str, str], ctx: RenderContext) -> Manifest:
    main = container(spec.container_name or name, image, spec.resources, env=spec.env)
    mounts: list[dict[str, Any]] = []
    volumes: list[dict[str, Any]] = []
    if spec.home:
        mounts.append({"name": "workspace", "mountPath": spec.home.mount_path})
        volumes.append({"name": "workspace", "persistentVolumeClaim": {"claimName": f"{name}-workspace"}})
    for volume in spec.volumes:
        mount: dict[str, Any] = {"name": volume.name, "mountPath": volume.mount_path}
        if volume.read_only:
            mount["readOnly"] = True
        mounts.append(mount)
        volumes.append({"name": volume.name, **_source(name, volume)})
    if mounts:
        main["volumeMounts"] = mounts
    pod: dict[str, Any] = {"serviceAccountName": spec.service_account, "containers": [main]}
    if volumes:
        pod["volumes"] = volumes
    pod.update(placement(spec.placement))
    annotations: dict[str, str] = {"notebooks.kubeflow.org/server-type": spec.server_type}
    if spec.creator:
        annotations["notebooks.kubeflow.org/creator"] = spec.creator
    if spec.stopped:
        annotations[ANNOTATION_STOPPED] = "true"
    nb_labels = {**spec.pod_default_labels, **labels, "app": name}
    if spec.pipelines_access:
        nb_labels["access-ml-pipeline"] = "true"
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "Notebook",
        "metadata": {"name": name, "namespace": ctx.namespace, "labels": nb_labels, "annotations": annotations},
        "spec": {"template": {"spec": pod}},
    }


def _source(notebook: str, volume: Volume) -> dict[str, Any]:
    """The core/v1 volume source of one spec volume (exactly one is set: checked when loading)."""
    if volume.empty_dir is not None:
        empty: dict[str, Any] = {}
        if volume.empty_dir.medium:
            empty["medium"] = volume.empty_dir.medium
        if volume.empty_dir.size_limit is not None:
            empty["sizeLimit"] = volume.empty_dir.size_limit
        return {"emptyDir": empty}
    if volume.config_map is not None:
        return {"configMap": {"name": volume.config_map}}
    if volume.secret is not None:
        return {"secret": {"secretName": volume.secret}}
    return {"persistentVolumeClaim": _claim(notebook, volume)}


def _claim(notebook: str, volume: Volume) -> dict[str, Any]:
    claim: dict[str, Any] = {"claimName": volume.existing_claim or f"{notebook}-{volume.name}"}
    if volume.read_only:
        claim["readOnly"] = True
    return claim


def _pvc(ctx: RenderContext, labels: dict[str, str], name: str, size: str | None, mode: str,
         storage_class: str | None) -> Manifest:
    spec: dict[str, Any] = {"accessModes": [mode], "resources": {"requests": {"storage": size}}}
    if storage_class:
        spec["storageClassName"] = storage_class
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": ctx.namespace, "labels": dict(labels)},
        "spec": spec,
    }
