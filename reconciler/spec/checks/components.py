"""Rules inside one component that the models alone cannot express (notebooks, serving, pipelines)."""

from __future__ import annotations

from reconciler.errors import SpecError
from reconciler.spec.document import Resolved, Spec
from reconciler.spec.models import NotebookSpec, PipelineSpec, ServingSpec
from reconciler.spec.models.serving import STORAGE_SCHEMES


def check(spec: Spec) -> list[SpecError]:
    """Per-component rules, on each component as written and as each environment runs it."""
    found: list[SpecError] = []
    for _env, item in spec.variants(distinct=True):
        if isinstance(item.spec, NotebookSpec):
            found.extend(_notebook(item, item.spec))
        elif isinstance(item.spec, ServingSpec):
            found.extend(_serving(item, item.spec))
        elif isinstance(item.spec, PipelineSpec):
            found.extend(_pipeline(spec, item, item.spec))
    return found


def _notebook(item: Resolved, spec: NotebookSpec) -> list[SpecError]:
    found = []
    names: set[str] = set()
    paths = {spec.home.mount_path} if spec.home else set()
    for i, volume in enumerate(spec.volumes):
        if len(volume.sources) != 1:
            given = f" (it gives {', '.join(volume.sources)})" if volume.sources else ""
            found.append(item.error(("volumes", i), f"volume '{volume.name}' needs exactly one of size, existingClaim, "
                                    f"emptyDir, configMap or secret{given}",
                                    "give 'size' for a new volume, 'existingClaim' to mount an existing PVC, "
                                    "'emptyDir' for scratch space, or 'configMap'/'secret' to mount one by name"))
        if volume.name in names or volume.name == "workspace":
            found.append(item.error(("volumes", i, "name"), f"volume name '{volume.name}' is used twice",
                                    "give each volume a unique name ('workspace' is reserved)"))
        if volume.mount_path in paths:
            found.append(item.error(("volumes", i, "mountPath"), f"mount path {volume.mount_path} is used twice",
                                    "mount each volume at its own path"))
        names.add(volume.name)
        paths.add(volume.mount_path)
    if "{version}" in spec.image and not spec.version:
        found.append(item.error(("image",), "image uses '{version}' but the notebook has no version",
                                "set spec.version or pin one in the environment"))
    return found


def _serving(item: Resolved, spec: ServingSpec) -> list[SpecError]:
    found = []
    if spec.replicas.cap is not None and spec.replicas.cap < spec.replicas.min:
        found.append(item.error(("replicas", "max"), f"replicas.max ({spec.replicas.max}) is below replicas.min "
                                f"({spec.replicas.min})", "raise max or lower min"))
    if spec.canary is not None and spec.deployment_mode != "Knative":
        found.append(item.error(("canary",), "canary traffic needs deploymentMode Knative (KServe supports "
                                "canaryTrafficPercent only in serverless mode)",
                                "remove 'canary' or set deploymentMode: Knative"))
    if spec.autoscaling is not None and spec.autoscaling.metrics and spec.deployment_mode != "Standard":
        found.append(item.error(("autoscaling", "metrics"), "autoscaling.metrics (HPA or KEDA) needs deploymentMode "
                                "Standard (Knative scales with its own autoscaler: scaleMetric and scaleTarget)",
                                "set deploymentMode: Standard, or use 'metric' and 'target' instead"))
    if spec.container is not None and "{version}" in spec.container.image and not spec.version:
        found.append(item.error(("container", "image"), "image uses '{version}' but the model has no version",
                                "set spec.version or pin one in the environment"))
    if spec.model is None:
        return found
    uri = spec.model.storage_uri
    if not uri.startswith(STORAGE_SCHEMES):
        found.append(item.error(("model", "storageUri"), f"storage URI {uri!r} has an unsupported scheme",
                                f"use one of: {', '.join(STORAGE_SCHEMES)}"))
    if "{version}" in uri and not spec.version:
        found.append(item.error(("model", "storageUri"), "storageUri uses '{version}' but the model has no version",
                                "set spec.version or pin one in the environment"))
    return found


def _pipeline(spec: Spec, item: Resolved, pipeline: PipelineSpec) -> list[SpecError]:
    path = pipeline.package_for(pipeline.version)
    package = spec.packages.get(path or "")
    if package is None:
        return []
    name = str(package.get("pipelineInfo", {}).get("name", ""))
    if not name:
        return [item.error(("package",), f"{path} has no pipelineInfo.name", "recompile the pipeline")]
    return []
