"""Where in a component's spec each rendered field comes from, to locate conformance errors (pure)."""

from __future__ import annotations

Loc = tuple[str | int, ...]

# (kind, rendered field prefix) -> location in the component's spec; the longest prefix wins.
_ORIGINS: dict[str, list[tuple[str, Loc]]] = {
    "Notebook": [
        ("spec.template.spec.containers[0].image", ("image",)),
        ("spec.template.spec.containers[0].resources", ("resources",)),
        ("spec.template.spec.containers[0].env", ("env",)),
        ("spec.template.spec.containers[0].volumeMounts", ("volumes",)),
        ("spec.template.spec.volumes", ("volumes",)),
        ("spec.template.spec.nodeSelector", ("placement", "nodeSelector")),
        ("spec.template.spec.tolerations", ("placement", "tolerations")),
        ("spec.template.spec.serviceAccountName", ("serviceAccount",)),
    ],
    "PersistentVolumeClaim": [("spec.resources", ("workspace",)), ("spec", ("volumes",))],
    "PipelineVersion": [("spec.pipelineSpec", ("package",)), ("spec.versionName", ("version",))],
    "Pipeline": [("spec.displayName", ("displayName",)), ("spec.description", ("description",))],
    "ScheduledWorkflow": [
        ("spec.trigger", ("trigger",)), ("spec.workflow.parameters", ("parameters",)),
        ("spec.maxConcurrency", ("maxConcurrency",)), ("spec.maxHistory", ("maxHistory",)),
        ("spec.experimentId", ("experiment",)), ("spec.serviceAccount", ("serviceAccount",)),
    ],
    "Experiment": [
        ("spec.objective", ("objective",)), ("spec.algorithm", ("algorithm",)),
        ("spec.earlyStopping", ("earlyStopping",)), ("spec.parameters", ("parameters",)),
        ("spec.parallelTrialCount", ("trials", "parallel")), ("spec.maxTrialCount", ("trials", "max")),
        ("spec.maxFailedTrialCount", ("trials", "maxFailed")), ("spec.metricsCollectorSpec", ("metricsCollector",)),
        ("spec.trialTemplate", ("trialTemplate",)),
        ("spec.trialTemplate.trialSpec", ("trialTemplate", "command")),
    ],
    "InferenceService": [
        ("spec.predictor.minReplicas", ("replicas", "min")), ("spec.predictor.maxReplicas", ("replicas", "max")),
        ("spec.predictor.scaleMetric", ("autoscaling", "metric")),
        ("spec.predictor.scaleTarget", ("autoscaling", "target")),
        ("spec.predictor.canaryTrafficPercent", ("canary", "trafficPercent")),
        ("spec.predictor.timeout", ("timeoutSeconds",)),
        ("spec.predictor.model.modelFormat", ("model", "format")),
        ("spec.predictor.model.runtime", ("model", "runtime")),
        ("spec.predictor.model.protocolVersion", ("model", "protocol")),
        ("spec.predictor.model.storageUri", ("model", "storageUri")),
        ("spec.predictor.model.resources", ("resources",)),
        ("spec.predictor.model", ("model",)),
        ("spec.transformer", ("transformer",)),
        ("metadata.annotations", ("deploymentMode",)),
    ],
}


def spec_location(kind: str, field: str) -> Loc:
    """The component-spec location a rendered field of ``kind`` came from; ``()`` for the spec itself."""
    best: tuple[int, Loc] = (0, ())
    for prefix, loc in _ORIGINS.get(kind, []):
        if (field == prefix or field.startswith((prefix + ".", prefix + "["))) and len(prefix) > best[0]:
            best = (len(prefix), loc)
    return best[1]


_CLAIM_FIELDS: dict[str, str] = {
    "spec.resources": "size", "spec.storageClassName": "storageClass", "spec.accessModes": "accessMode",
}


def claim_location(notebook: str, volumes: list[str], claim: str, field: str) -> Loc:
    """Where a notebook's PersistentVolumeClaim field comes from: its ``workspace`` or its entry in
    ``volumes`` (claims are named ``<notebook>-workspace`` and ``<notebook>-<volume>``)."""
    key = next((v for prefix, v in _CLAIM_FIELDS.items() if field == prefix or field.startswith(prefix + ".")
                or field.startswith(prefix + "[")), None)
    if claim == f"{notebook}-workspace":
        return ("workspace", key) if key in ("size", "storageClass") else ("workspace",)
    for index, volume in enumerate(volumes):
        if claim == f"{notebook}-{volume}":
            return ("volumes", index, key) if key else ("volumes", index)
    return spec_location("PersistentVolumeClaim", field)
