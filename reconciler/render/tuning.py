"""Tuning component -> kubeflow.org/v1beta1 Katib Experiment with a Job, PyTorchJob, TFJob or TrainJob trial."""

from __future__ import annotations

from typing import Any

from reconciler.objects import Manifest
from reconciler.render.context import RenderContext
from reconciler.render.ownership import finish, ownership_labels
from reconciler.render.pods import container, env_list, placement, resources
from reconciler.spec.document import Resolved
from reconciler.spec.models import TuningSpec
from reconciler.spec.models.tuning import NAS_REFERENCES, CustomCollector, FieldRef, MetricsCollector, NasConfig, Parameter, TrialTemplate

PRIMARY_CONTAINER = {"Job": "training-container", "PyTorchJob": "pytorch", "TFJob": "tensorflow", "TrainJob": "node"}


def render_tuning(item: Resolved, ctx: RenderContext) -> list[Manifest]:
    """The Experiment: objective, algorithm, search space, trial template and budget."""
    spec = item.spec
    assert isinstance(spec, TuningSpec)
    image = spec.trial_template.image.replace("{version}", spec.version or "")
    body: dict[str, Any] = {
        "objective": _objective(spec),
        "algorithm": {"algorithmName": spec.algorithm.name, "algorithmSettings": _settings(spec.algorithm.settings)},
        "parallelTrialCount": spec.trials.parallel,
    }
    if spec.trials.max is not None:
        body["maxTrialCount"] = spec.trials.max
    if spec.trials.max_failed is not None:
        body["maxFailedTrialCount"] = spec.trials.max_failed
    if spec.early_stopping is not None:
        body["earlyStopping"] = {"algorithmName": spec.early_stopping.name,
                                 "algorithmSettings": _settings(spec.early_stopping.settings)}
    body["resumePolicy"] = spec.resume_policy
    body["metricsCollectorSpec"] = _collector(spec.metrics_collector)
    if spec.nas is not None:
        body["nasConfig"] = _nas(spec.nas)
    else:
        body["parameters"] = [_parameter(p) for p in spec.parameters]
    body["trialTemplate"] = {
        "primaryContainerName": PRIMARY_CONTAINER[spec.trial_template.kind],
        "retain": spec.trial_template.retain,
        "trialParameters": _trial_parameters(spec),
        "trialSpec": _trial_spec(spec.trial_template, image),
    }
    if spec.trial_template.primary_pod_labels:
        body["trialTemplate"]["primaryPodLabels"] = dict(sorted(spec.trial_template.primary_pod_labels.items()))
    manifest: Manifest = {
        "apiVersion": "kubeflow.org/v1beta1",
        "kind": "Experiment",
        "metadata": {"name": item.name, "namespace": ctx.namespace,
                     "labels": ownership_labels(ctx, "tuning", item.name, spec.version, item.metadata.labels)},
        "spec": body,
    }
    return [finish(manifest, ctx, item.source.path)]


def _objective(spec: TuningSpec) -> dict[str, Any]:
    objective: dict[str, Any] = {"type": spec.objective.type, "objectiveMetricName": spec.objective.metric}
    if spec.objective.goal is not None:
        objective["goal"] = spec.objective.goal
    if spec.objective.additional_metrics:
        objective["additionalMetricNames"] = list(spec.objective.additional_metrics)
    if spec.objective.strategies is not None:
        objective["metricStrategies"] = [{"name": name, "value": value}
                                         for name, value in spec.objective.strategies.items()]
    return objective


def _settings(settings: dict[str, Any]) -> list[dict[str, str]]:
    return [{"name": k, "value": _text(v)} for k, v in sorted(settings.items())]


def _text(value: Any) -> str:
    """Katib carries every value as a string; whole numbers lose their '.0'."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _parameter(p: Parameter) -> dict[str, Any]:
    space: dict[str, Any] = {}
    if p.type in ("int", "double"):
        space = {k: _text(v) for k, v in (("min", p.min), ("max", p.max), ("step", p.step)) if v is not None}
    else:
        space["list"] = [_text(v) for v in p.values]
    if p.distribution:
        space["distribution"] = p.distribution
    return {"name": p.name, "parameterType": p.type, "feasibleSpace": space}


def _trial_parameters(spec: TuningSpec) -> list[dict[str, str]]:
    """One per search parameter, or for NAS one per suggestion output the trial's command uses."""
    if spec.nas is None:
        return [{"name": p.name, "description": f"{p.type} parameter {p.name}", "reference": p.name}
                for p in spec.parameters]
    text = " ".join((*spec.trial_template.command, *(v for v in spec.trial_template.env.values() if isinstance(v, str))))
    return [{"name": ref, "description": f"{spec.algorithm.name} {ref}", "reference": ref}
            for ref in NAS_REFERENCES.get(spec.algorithm.name, ()) if f"${{trialParameters.{ref}}}" in text]


def _nas(nas: NasConfig) -> dict[str, Any]:
    graph: dict[str, Any] = {"numLayers": nas.graph.num_layers}
    if nas.graph.input_sizes:
        graph["inputSizes"] = list(nas.graph.input_sizes)
    if nas.graph.output_sizes:
        graph["outputSizes"] = list(nas.graph.output_sizes)
    operations = [{"operationType": op.type, **({"parameters": [_parameter(p) for p in op.parameters]}
                                                 if op.parameters else {})} for op in nas.operations]
    return {"graphConfig": graph, "operations": operations}


def _collector(spec: MetricsCollector) -> dict[str, Any]:
    collector: dict[str, Any] = {"kind": spec.kind}
    if spec.custom is not None:
        collector["customCollector"] = _custom(spec.custom)
    out: dict[str, Any] = {"collector": collector}
    source: dict[str, Any] = {}
    if spec.path:
        kind = spec.path_kind or ("Directory" if spec.kind == "TensorFlowEvent" else "File")
        source["fileSystemPath"] = {"path": spec.path, "kind": kind, **({"format": spec.format} if spec.format else {})}
    if spec.metrics_format:
        source["filter"] = {"metricsFormat": list(spec.metrics_format)}
    if spec.http_get is not None:
        source["httpGet"] = {k: v for k, v in (("port", spec.http_get.port), ("path", spec.http_get.path))
                             if v is not None}
    if source:
        out["source"] = source
    return out


def _trial_spec(template: TrialTemplate, image: str) -> dict[str, Any]:
    name = PRIMARY_CONTAINER[template.kind]
    if template.kind == "TrainJob":
        trainer: dict[str, Any] = {"image": image, "command": list(template.command), "numNodes": template.workers}
        if per_node := resources(template.resources):
            trainer["resourcesPerNode"] = per_node
        if template.env:
            trainer["env"] = env_list(template.env)
        return {"apiVersion": "trainer.kubeflow.org/v1alpha1", "kind": "TrainJob",
                "spec": {"runtimeRef": {"name": template.runtime}, "trainer": trainer}}
    pod: dict[str, Any] = {
        "containers": [container(name, image, template.resources, command=template.command, env=template.env)],
        **placement(template.placement),
    }
    pod_template: dict[str, Any] = {"spec": pod}
    if template.pod_annotations:
        pod_template = {"metadata": {"annotations": dict(sorted(template.pod_annotations.items()))}, "spec": pod}
    if template.kind == "Job":
        pod["restartPolicy"] = "Never"
        return {"apiVersion": "batch/v1", "kind": "Job", "spec": {"template": pod_template}}
    replica = {"restartPolicy": "OnFailure", "template": pod_template}
    if template.kind == "TFJob":
        return {"apiVersion": "kubeflow.org/v1", "kind": "TFJob",
                "spec": {"tfReplicaSpecs": {"Worker": {"replicas": template.workers, **replica}}}}
    specs = {"Master": {"replicas": 1, **replica}}
    if template.workers > 1:
        specs["Worker"] = {"replicas": template.workers - 1, **replica}
    return {"apiVersion": "kubeflow.org/v1", "kind": "PyTorchJob", "spec": {"pytorchReplicaSpecs": specs}}


def _custom(spec: CustomCollector) -> dict[str, Any]:
    """The Custom collector's core/v1 Container, with only the fields written."""
    out: dict[str, Any] = {"name": spec.name, "image": spec.image}
    if spec.image_pull_policy:
        out["imagePullPolicy"] = spec.image_pull_policy
    if spec.command:
        out["command"] = list(spec.command)
    if spec.args:
        out["args"] = list(spec.args)
    if spec.env:
        plain = {k: v for k, v in spec.env.items() if not isinstance(v, FieldRef)}
        fields = [{"name": k, "valueFrom": {"fieldRef": {"fieldPath": v.field_path}}}
                  for k, v in spec.env.items() if isinstance(v, FieldRef)]
        out["env"] = sorted([*env_list(plain), *fields], key=lambda e: str(e["name"]))
    return out
