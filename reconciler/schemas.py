"""JSON Schema export of the platform spec, the operator policy and notifications models, for editors (yaml-language-server) and CI.

The schemas take what the loader takes: shorthands the models accept before validation (``gpu: 1``,
a version written as a number) are in them, and an environment's ``overrides`` are typed per
component kind (a partial spec of that kind: every key optional, ``null`` removes one).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from reconciler.notify.model import Notifications
from pydantic.json_schema import GenerateJsonSchema, models_json_schema
from pydantic_core import core_schema

from reconciler.policy.model import OperatorPolicy
from reconciler.spec.models import (
    COMPONENT_KINDS,
    Environment,
    NotebookComponent,
    PipelineComponent,
    Platform,
    ScheduleComponent,
    ServingComponent,
    TeamComponent,
    TrainingComponent,
    TuningComponent,
)

SCHEMA_MODELS: dict[str, type[Any]] = {
    "platform": Platform,
    "environment": Environment,
    "notebook": NotebookComponent,
    "pipeline": PipelineComponent,
    "schedule": ScheduleComponent,
    "tuning": TuningComponent,
    "serving": ServingComponent,
    "training": TrainingComponent,
    "team": TeamComponent,
    "operator-policy": OperatorPolicy,  # kept by the operator, outside the platform repository
    "notifications": Notifications,  # the operator's too: given to the daemon with --notifications
}
OVERRIDABLE: dict[str, type[Any]] = dict(COMPONENT_KINDS.values())
"""The kind directory of a component reference (``serving/fraud``) -> the model whose spec its override merges into."""
_NAME = "[a-z]([-a-z0-9]*[a-z0-9])?"
_COMPONENT = "component."
_OVERRIDE = ".override"


class _WithFactoryDefaults(GenerateJsonSchema):
    """Shows the default of a field whose default is a factory (``Field(default_factory=Resources)``, used so
    that loading does not deep-copy a default per object) as editors expect: the value it makes, serialised."""

    def get_default_value(self, schema: core_schema.WithDefaultSchema) -> Any:
        factory = schema.get("default_factory")
        if factory is not None and not schema.get("default_factory_takes_data"):
            made = factory()  # type: ignore[call-arg]
            return made.model_dump(mode="json", by_alias=True) if hasattr(made, "model_dump") else made
        return super().get_default_value(schema)


def schemas() -> dict[str, str]:
    """File name -> JSON text of every schema, deterministic (sorted keys, trailing newline)."""
    out = {}
    for name, model in SCHEMA_MODELS.items():
        schema = model.model_json_schema(by_alias=True, mode="validation", schema_generator=_WithFactoryDefaults)
        if model is Environment:
            _type_environment(schema)
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = f"https://platformctl.dev/schemas/{name}.schema.json"
        out[f"{name}.schema.json"] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    return out


def _type_environment(schema: dict[str, Any]) -> None:
    """Numbers as pinned versions (the loader reads ``7`` as ``"7"``); overrides typed per component kind."""
    spec = schema["$defs"]["EnvironmentSpec"]["properties"]
    versions = spec["versions"]
    [(ref, pinned)] = versions["patternProperties"].items()  # the model's component reference pattern
    versions["patternProperties"] = {ref: {"anyOf": [pinned, {"type": "number"}]}}
    versions["additionalProperties"] = False
    overrides = spec["overrides"]
    overrides["patternProperties"] = {ref: {"type": "object"}}  # and, per kind below, that kind's spec
    overrides["additionalProperties"] = False
    _, together = models_json_schema([(model, "validation") for model in OVERRIDABLE.values()], by_alias=True,
                                     ref_template=f"#/$defs/{_COMPONENT}{{model}}",
                                     schema_generator=_WithFactoryDefaults)
    for name, definition in together["$defs"].items():
        if name in {model.__name__ for model in OVERRIDABLE.values()}:
            continue  # the component files themselves: only their specs are overridden
        schema["$defs"][f"{_COMPONENT}{name}"] = definition
        schema["$defs"][f"{_COMPONENT}{name}{_OVERRIDE}"] = _partial(definition)
    for directory, model in OVERRIDABLE.items():
        spec_schema = together["$defs"][model.__name__]["properties"]["spec"]
        overrides["patternProperties"][f"^{directory}/{_NAME}$"] = _partial(spec_schema)


def _partial(node: Any) -> Any:
    """An override of ``node``: no key required (it is merged into the component's spec) and any key may be
    ``null`` (which removes it). Lists are replaced whole, so their items keep every rule."""
    if isinstance(node, list):
        return [_partial(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "required":
            continue
        if key == "$ref":
            out[key] = value + _OVERRIDE
        elif key == "properties":
            out[key] = {name: {"anyOf": [_partial(prop), {"type": "null"}]} for name, prop in value.items()}
        elif key in ("items", "prefixItems"):
            out[key] = copy.deepcopy(value)
        else:
            out[key] = _partial(value)
    return out
