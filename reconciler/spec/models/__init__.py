"""Pydantic models of every spec file kind."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from reconciler.spec.models.environment import Cluster, Environment, EnvironmentSpec
from reconciler.spec.models.notebook import NotebookComponent, NotebookSpec
from reconciler.spec.models.pipeline import PipelineComponent, PipelineSpec
from reconciler.spec.models.platform import Platform, PlatformSpec
from reconciler.spec.models.schedule import ScheduleComponent, ScheduleSpec
from reconciler.spec.models.serving import ServingComponent, ServingSpec
from reconciler.spec.models.team import TeamComponent, TeamSpec
from reconciler.spec.models.training import TrainingComponent, TrainingSpec
from reconciler.spec.models.tuning import TuningComponent, TuningSpec

ComponentDoc = (NotebookComponent | PipelineComponent | ScheduleComponent | TuningComponent | ServingComponent
                | TrainingComponent | TeamComponent)
ComponentSpec = NotebookSpec | PipelineSpec | ScheduleSpec | TuningSpec | ServingSpec | TrainingSpec | TeamSpec
AnyComponent = Annotated[ComponentDoc, Field(discriminator="kind")]

# kind -> (directory used in references, document model)
COMPONENT_KINDS: dict[str, tuple[str, type[ComponentDoc]]] = {
    "Notebook": ("notebooks", NotebookComponent),
    "Pipeline": ("pipelines", PipelineComponent),
    "Schedule": ("schedules", ScheduleComponent),
    "Tuning": ("tuning", TuningComponent),
    "Serving": ("serving", ServingComponent),
    "Training": ("training", TrainingComponent),
    "Team": ("teams", TeamComponent),
}

__all__ = [
    "COMPONENT_KINDS", "AnyComponent", "Cluster", "ComponentDoc", "ComponentSpec", "Environment",
    "EnvironmentSpec", "NotebookComponent", "NotebookSpec", "PipelineComponent", "PipelineSpec", "Platform",
    "PlatformSpec", "ScheduleComponent", "ScheduleSpec", "ServingComponent", "ServingSpec", "TeamComponent", "TeamSpec", "TrainingComponent",
    "TrainingSpec", "TuningComponent", "TuningSpec",
]
