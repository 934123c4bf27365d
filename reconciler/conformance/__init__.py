"""Conformance: would the cluster accept this rendered object?

`validate_object` dispatches on (apiVersion, kind) to the upstream CRD schema (strict:
a field the schema does not declare is reported, since the cluster would silently drop
it) plus the kind's admission-webhook rules, and checks object metadata the way
kube-apiserver does. An empty list means the object would be admitted, as far as can be
told without a cluster.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from reconciler.conformance import core, katib, kfp, kserve, registry, swf
from reconciler.conformance.names import is_dns1123_label, is_dns1123_subdomain
from reconciler.conformance.structural import FieldViolation, StructuralSchema, crd_schemas
from reconciler.conformance.violations import NOT_SUPPORTED, jsonable, not_supported, required

__all__ = ["FieldViolation", "StructuralSchema", "crd_schemas", "supported_kinds", "validate_object"]

Validator = Callable[[Mapping[str, Any]], list[FieldViolation]]

# Kinds with rules beyond their CRD schema; everything else with a CRD gets schema + metadata.
_SPECIAL: dict[tuple[str, str], Validator] = {
    ("kubeflow.org/v1beta1", "Experiment"): katib.validate_experiment,
    ("serving.kserve.io/v1beta1", "InferenceService"): kserve.validate_inference_service,
    ("pipelines.kubeflow.org/v2beta1", "Pipeline"): kfp.validate_pipeline,
    ("pipelines.kubeflow.org/v2beta1", "PipelineVersion"): kfp.validate_pipeline_version,
    ("kubeflow.org/v1beta1", "ScheduledWorkflow"): swf.validate_scheduled_workflow,
}
_CORE: dict[tuple[str, str], Validator] = {
    ("v1", "Namespace"): core.validate_namespace,
    ("v1", "PersistentVolumeClaim"): core.validate_pvc,
}
# A Profile's name becomes a Namespace's name, so it must be a DNS-1123 label.
_LABEL_NAMED = frozenset({("kubeflow.org", "Profile")})


def validate_object(obj: Mapping[str, Any]) -> list[FieldViolation]:
    """Every reason the cluster would reject (or silently alter) `obj`; empty when it conforms."""
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if not isinstance(api_version, str) or not api_version:
        return [required("apiVersion", "must not be empty")]
    if not isinstance(kind, str) or not kind:
        return [required("kind", "must not be empty")]
    validate = _validator_for(api_version, kind)
    try:
        return validate(obj)
    except (TypeError, ValueError):  # YAML-only scalars such as timestamps: check the JSON the client sends
        return validate(jsonable(obj))


@cache
def _validator_for(api_version: str, kind: str) -> Validator:
    if (api_version, kind) in _CORE:
        return _CORE[(api_version, kind)]
    group, _, version = api_version.rpartition("/")
    namespaced = registry.is_namespaced(group, kind)
    if namespaced is None:
        return _unsupported_kind(api_version, kind)
    schema = registry.schema_for(group, version, kind)
    if schema is None:
        return _unsupported_version(group, version, kind)
    name_rule = is_dns1123_label if (group, kind) in _LABEL_NAMED else is_dns1123_subdomain
    special = _SPECIAL.get((api_version, kind))

    def validate(obj: Mapping[str, Any]) -> list[FieldViolation]:
        found = special(obj) if special is not None else schema.validate(obj, strict=True)
        found.extend(core.validate_metadata(obj, namespaced=namespaced, name_rule=name_rule))
        return list(dict.fromkeys(found))

    return validate


def supported_kinds() -> list[str]:
    """`apiVersion Kind` (CRD kinds as `group Kind`) of everything `validate_object` knows."""
    crds = [f"{group} {kind}" for group, kind in registry.crd_index()]
    return [f"{api_version} {kind}" for api_version, kind in _CORE] + crds


def _unsupported_kind(api_version: str, kind: str) -> Validator:
    violation = not_supported("kind", f"{api_version} {kind}", supported_kinds())
    message = violation.message.replace("Unsupported value", "Unsupported value (no schema for this kind)", 1)
    fixed = FieldViolation("kind", NOT_SUPPORTED, message)
    return lambda obj: [fixed]


def _unsupported_version(group: str, version: str, kind: str) -> Validator:
    served = [f"{group}/{v}" for v in registry.served_versions(group, kind)]
    violation = not_supported("apiVersion", f"{group}/{version}", served)
    return lambda obj: [violation]
