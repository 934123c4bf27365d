"""JSON Schema export of the platform spec, the operator policy and notifications models, for editors (yaml-language-server) and CI."""

from __future__ import annotations

import json
from typing import Any

from reconciler.notify.model import Notifications
from reconciler.policy.model import OperatorPolicy
from reconciler.spec.models import (
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


def schemas() -> dict[str, str]:
    """File name -> JSON text of every schema, deterministic (sorted keys, trailing newline)."""
    out = {}
    for name, model in SCHEMA_MODELS.items():
        schema = model.model_json_schema(by_alias=True, mode="validation")
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = f"https://platformctl.dev/schemas/{name}.schema.json"
        out[f"{name}.schema.json"] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    return out
