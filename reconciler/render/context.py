"""What every renderer needs to know besides the component itself (pure data)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class RenderContext:
    """The platform, environment and cluster an object is rendered for."""

    platform: str
    environment: str
    cluster: str
    namespace: str
    revision: str
    schedule_time_zone: str = "UTC"
    kfp_experiment: str | None = None
    kfp_service_account: str = "pipeline-runner"
    extra_labels: dict[str, str] = field(default_factory=dict)
    extra_annotations: dict[str, str] = field(default_factory=dict)
    packages: dict[str, dict[str, Any]] = field(default_factory=dict)
