"""Schedule component: a recurring run of a pipeline (a KFP ScheduledWorkflow)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from reconciler.durations import DurationError, duration_timedelta
from reconciler.spec.models.base import API_VERSION, ApiVersion, ComponentMetadata, DnsLabel, SpecModel
from reconciler.spec.models.pipeline import VersionName


def _duration(value: Any) -> Any:
    if not isinstance(value, str) or value.startswith("P"):
        return value  # numbers and ISO 8601: pydantic's own timedelta parsing (and its errors)
    try:
        return duration_timedelta(value)
    except DurationError:
        raise ValueError(f"{value!r} is not a duration; write 90s, 15m, 6h, 1d12h or a number of seconds") from None


Duration = Annotated[
    timedelta,
    BeforeValidator(_duration),
    Field(description="a duration: 90s, 15m, 6h, 1d12h, or a number of seconds"),
]

ParameterValue = str | int | float | bool | list[Any] | dict[str, Any]


class Trigger(SpecModel):
    """Exactly one of a cron expression or a fixed interval."""

    cron: str | None = Field(
        default=None,
        description="5 fields (minute hour day month weekday, unix cron) or 6 fields with seconds first (KFP form)",
    )
    interval: Duration | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Trigger:
        if (self.cron is None) == (self.interval is None):
            raise ValueError("set exactly one of 'cron' or 'interval'")
        if self.interval is not None and self.interval.total_seconds() < 1:
            raise ValueError("interval must be at least one second")
        return self


class ScheduleSpec(SpecModel):
    """When and how a pipeline runs on its own."""

    pipeline: DnsLabel = Field(description="name of a Pipeline component")
    pipeline_version: VersionName | None = Field(
        default=None, description="defaults to the version of the pipeline pinned in the environment"
    )
    trigger: Trigger
    start_time: datetime | None = None
    end_time: datetime | None = None
    time_zone: str | None = Field(
        default=None, description="must equal the environment's KFP scheduler time zone (KFP has one per cluster)"
    )
    parameters: dict[str, ParameterValue] = Field(default_factory=dict)
    max_concurrency: int = Field(default=1, ge=1, le=10)
    max_history: int = Field(default=10, ge=0, le=100)
    enabled: bool = True
    catch_up: bool = Field(default=True, description="run every missed period after a pause (false = only the latest)")
    experiment: str | None = Field(default=None, description="KFP experiment id the runs belong to")
    service_account: str | None = None
    pipeline_root: str | None = None


class ScheduleComponent(SpecModel):
    """A ``kind: Schedule`` component file."""

    api_version: ApiVersion = API_VERSION
    kind: Literal["Schedule"]
    metadata: ComponentMetadata
    spec: ScheduleSpec
