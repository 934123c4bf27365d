"""Environment policy: allowed image registries and the GPU quota."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from reconciler.errors import SpecError
from reconciler.spec.document import EnvironmentView, Resolved, Spec
from reconciler.spec.models import NotebookSpec, PipelineSpec, ServingSpec, TrainingSpec, TuningSpec
from reconciler.spec.models.training import ResourceList

Loc = tuple[str | int, ...]


def check(spec: Spec) -> list[SpecError]:
    """Registry and GPU policy per environment."""
    found: list[SpecError] = []
    for view in spec.environments.values():
        found.extend(_registries(spec, view))
        found.extend(_gpu_quota(view))
    return found


def images(spec: Spec, item: Resolved) -> Iterator[tuple[Loc, str]]:
    """(location in spec, image) of every container image a component runs."""
    s = item.spec
    if isinstance(s, NotebookSpec):
        yield ("image",), render_version(s.image, s.version)
    elif isinstance(s, TuningSpec):
        yield ("trialTemplate", "image"), render_version(s.trial_template.image, s.version)
        if s.metrics_collector.custom is not None:
            yield ("metricsCollector", "custom", "image"), s.metrics_collector.custom.image
    elif isinstance(s, ServingSpec):
        if s.container is not None:
            yield ("container", "image"), render_version(s.container.image, s.version)
        for role, extra in (("transformer", s.transformer), ("explainer", s.explainer)):
            if extra is not None:
                yield (role, "image"), extra.image
        if s.serving_runtime is not None:
            yield from images_within(s.serving_runtime.spec, ("servingRuntime", "spec"))
    elif isinstance(s, TrainingSpec):
        yield from _training_images(s)
    elif isinstance(s, PipelineSpec):
        package = spec.packages.get(s.package_for(s.version) or "", {})
        executors: dict[str, Any] = package.get("deploymentSpec", {}).get("executors", {}) or {}
        for executor in executors.values():
            image = (executor or {}).get("container", {}).get("image")
            if image:
                yield ("package",), str(image)


def _training_images(s: TrainingSpec) -> Iterator[tuple[Loc, str]]:
    if s.train_job is not None and s.train_job.trainer is not None and s.train_job.trainer.image:
        yield ("trainJob", "trainer", "image"), render_version(s.train_job.trainer.image, s.version)
    for field, job in (("pytorchJob", s.pytorch_job), ("tfJob", s.tf_job)):
        for name, replica in (job.replicas.items() if job is not None else ()):
            yield (field, "replicas", name, "image"), render_version(replica.image, s.version)
    if s.runtime is not None:
        yield from images_within(s.runtime.spec, ("runtime", "spec"))


def images_within(tree: Any, loc: Loc) -> Iterator[tuple[Loc, str]]:
    """Every ``image`` string inside an upstream spec passed through as written (a runtime's containers,
    init containers, templates at any depth): such a spec must not smuggle in an image."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            if key == "image" and isinstance(value, str):
                yield (*loc, key), value
            else:
                yield from images_within(value, (*loc, key))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            yield from images_within(value, (*loc, index))


def render_version(text: str, version: str | None) -> str:
    """Replace the ``{version}`` placeholder."""
    return text.replace("{version}", version) if version else text


def normalise_image(image: str) -> str:
    """The fully qualified reference: ``python:3.11`` -> ``docker.io/library/python:3.11``."""
    first, _, rest = image.partition("/")
    if not rest:
        return f"docker.io/library/{image}"
    if "." in first or ":" in first or first == "localhost":
        return image
    return f"docker.io/{image}"


def _registries(spec: Spec, view: EnvironmentView) -> list[SpecError]:
    allowed = view.model.spec.policy.allowed_registries
    if not allowed:
        return []
    found = []
    for item in view.components.values():
        for loc, image in images(spec, item):
            if not normalise_image(image).startswith(allowed):
                found.append(item.error(loc, f"image {image} is not from a registry allowed in environment "
                                        f"'{view.name}'", f"use an image under {', '.join(allowed)}"))
    return found


def gpu_demand(item: Resolved) -> int:
    """GPUs a component may hold at peak: per replica x replicas (serving max, tuning parallel x workers).

    A component without resources requests none. A served model with no upper bound on its replicas
    counts its minimum here; ``uncapped_gpu_serving`` says which those are.
    """
    s = item.spec
    if isinstance(s, NotebookSpec):
        return 0 if s.stopped else s.resources.gpu.count
    if isinstance(s, ServingSpec):
        per_replica = s.resources.gpu.count
        return per_replica * max(s.replicas.cap or 0, s.replicas.min)
    if isinstance(s, TuningSpec):
        return s.trial_template.resources.gpu.count * s.trial_template.workers * s.trials.parallel
    if isinstance(s, TrainingSpec):
        return _training_gpus(s)
    return 0


def _gpus(resources: ResourceList | None) -> int:
    """GPUs in a resource list: every extended resource named ``*/gpu``."""
    total = 0
    for name, amount in (resources or {}).items():
        if name.endswith("/gpu") and str(amount).isdigit():
            total += int(str(amount))
    return total


def _training_gpus(s: TrainingSpec) -> int:
    """A run's GPUs: per node x nodes (TrainJob), per replica x replicas (v1 jobs); requests, else limits."""
    if s.train_job is not None and s.train_job.trainer is not None:
        res = s.train_job.trainer.resources_per_node
        per_node = max(_gpus(res.requests), _gpus(res.limits)) if res is not None else 0
        return per_node * (s.train_job.trainer.num_nodes or 1)
    total = 0
    for job in (s.pytorch_job, s.tf_job):
        for replica in (job.replicas.values() if job is not None else ()):
            res = replica.resources
            per = max(_gpus(res.requests), _gpus(res.limits)) if res is not None else 0
            total += per * (replica.replicas if replica.replicas is not None else 1)
    return total


def uncapped_gpu_serving(item: Resolved) -> bool:
    """A served model that requests GPUs and sets no replicas.max: its GPU demand has no bound."""
    s = item.spec
    return isinstance(s, ServingSpec) and bool(s.resources.gpu.count) and s.replicas.cap is None


def _gpu_quota(view: EnvironmentView) -> list[SpecError]:
    quota = view.model.spec.policy.gpu_quota
    if quota is None:
        return []
    unbounded = [item.error(("replicas", "max"), f"{ref} requests GPUs but sets no replicas.max, so it could "
                            f"use more than environment '{view.name}''s gpuQuota of {quota}",
                            "set replicas.max (a number above 0) so its GPU demand is bounded")
                 for ref, item in view.components.items() if uncapped_gpu_serving(item)]
    if unbounded:
        return unbounded
    demand = {ref: gpu_demand(item) for ref, item in view.components.items()}
    total = sum(demand.values())
    if total <= quota:
        return []
    top = sorted(((n, r) for r, n in demand.items() if n), reverse=True)[:5]
    detail = ", ".join(f"{ref} {n}" for n, ref in top)
    return [view.source.error(("spec", "policy", "gpuQuota"), f"environment '{view.name}' requests {total} GPUs, "
                              f"over its quota of {quota} ({detail})",
                              "lower GPU counts or replicas, or raise policy.gpuQuota")]
