"""Shared building blocks of the spec models: base config, names, quantities (``reconciler.quantity``), resources."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from reconciler.quantity import QuantityError, parse_quantity

ApiVersion = Literal["platformctl.dev/v1alpha1"]
API_VERSION: ApiVersion = "platformctl.dev/v1alpha1"


class SpecModel(BaseModel):
    """Frozen, strict-keyed base: unknown keys are errors, YAML keys are camelCase."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        use_enum_values=True,
        validate_default=False,
    )


RESERVED_PREFIX = "platformctl.dev"
"""Label and annotation prefix of platformctl's own keys (ownership, source, spec hash)."""

DNS_LABEL = r"^[a-z]([-a-z0-9]*[a-z0-9])?$"
DnsLabel = Annotated[
    str,
    StringConstraints(pattern=DNS_LABEL, max_length=40),
    Field(description="lower-case letters, digits and '-', starting with a letter, at most 40 characters"),
]
NamespaceName = Annotated[str, StringConstraints(pattern=DNS_LABEL, max_length=63)]


def _quantity(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("expected a Kubernetes quantity such as 500m, 2 or 4Gi, not a boolean")
    if isinstance(value, int):
        value = str(value)
    elif isinstance(value, float):
        value = str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, str) and not _non_negative_quantity(value):
        raise ValueError(f"{value!r} is not a Kubernetes quantity (examples: 500m, 2, 1.5, 4Gi, 100Mi)")
    return value


def _non_negative_quantity(text: str) -> bool:
    """A quantity Kubernetes accepts, at least zero, with at least one digit (``.`` parses as 0 upstream)."""
    try:
        amount = parse_quantity(text)
    except QuantityError:
        return False
    return amount.sign() >= 0 and any(c.isdigit() for c in text)


Quantity = Annotated[
    str,
    BeforeValidator(_quantity),
    Field(description="Kubernetes quantity, e.g. 500m, 2, 4Gi", json_schema_extra={"type": ["string", "number"]}),
]


class Gpu(SpecModel):
    """GPUs per replica: a count and the extended-resource name of the vendor."""

    count: int = Field(default=0, ge=0, le=64)
    resource: Annotated[str, StringConstraints(pattern=r"^[a-z0-9.-]+/[a-z0-9.-]+$")] = "nvidia.com/gpu"

    @model_validator(mode="before")
    @classmethod
    def _from_count(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return {"count": value}
        return value

    @classmethod
    def __get_pydantic_json_schema__(cls, core: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        """The schema takes what the loader takes: a bare count (``gpu: 1``) or the object."""
        count = {"type": "integer", "minimum": 0, "maximum": 64, "description": "a count of nvidia.com/gpu"}
        return {"anyOf": [count, handler(core)]}


class Resources(SpecModel):
    """CPU, memory and GPUs for one container; limits default to the requests.

    ``resources: null`` renders no resources at all (the container gets the namespace's or the
    controller's defaults); ``cpu: null`` / ``memory: null`` leave that one out; ``limits: false``
    renders requests only. A GPU is always requested and limited alike (Kubernetes requires it).
    """

    cpu: Quantity | None = Field(default="1", description="CPU request; null: none")
    memory: Quantity | None = Field(default="2Gi", description="memory request; null: none")
    gpu: Gpu = Field(default_factory=Gpu)
    cpu_limit: Quantity | None = Field(default=None, description="default: the CPU request (unless limits is false)")
    memory_limit: Quantity | None = Field(default=None,
                                          description="default: the memory request (unless limits is false)")
    limits: bool = Field(default=True, description="false: requests only, no CPU/memory limits (GPUs keep theirs)")

    @model_validator(mode="before")
    @classmethod
    def _null_is_nothing(cls, value: Any) -> Any:
        return {"cpu": None, "memory": None} if value is None else value

    @model_validator(mode="after")
    def _limits_off_means_none(self) -> Resources:
        if not self.limits and (self.cpu_limit is not None or self.memory_limit is not None):
            raise ValueError("limits: false renders no limits; drop cpuLimit/memoryLimit or set limits: true")
        return self


def _or_null(schema: dict[str, Any]) -> None:
    """JSON Schema of a ``Resources`` field that also takes ``null`` (no resources rendered)."""
    ref = {key: schema.pop(key) for key in ("$ref", "allOf") if key in schema}
    schema["anyOf"] = [ref, {"type": "null"}]


def container_resources(default: Resources | None = None) -> Any:
    """A component's ``resources`` field: the given default, and ``null`` for none rendered."""
    return Field(default=default if default is not None else Resources(), json_schema_extra=_or_null,
                 description="requests and limits of the container; null: none rendered")


class Toleration(SpecModel):
    """A core/v1 toleration."""

    key: str | None = None
    operator: str = Field(default="Equal", pattern="^(Equal|Exists)$")
    value: str | None = None
    effect: str | None = Field(default=None, pattern="^(NoSchedule|PreferNoSchedule|NoExecute)$")


class Placement(SpecModel):
    """Where pods may run: node labels, tolerations and affinity."""

    node_selector: dict[str, str] = Field(default_factory=dict)
    tolerations: tuple[Toleration, ...] = ()
    affinity: dict[str, Any] | None = Field(
        default=None, description="a core/v1 Affinity (nodeAffinity, podAffinity, podAntiAffinity), rendered as "
                                  "written and checked against the upstream schema")


class SecretRef(SpecModel):
    """A value kept in a Kubernetes Secret: ``{secret: db-credentials, key: password}``."""

    secret: Annotated[str, StringConstraints(pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", max_length=253)]
    key: Annotated[str, StringConstraints(pattern=r"^[-._a-zA-Z0-9]+$", max_length=253)]


EnvVars = Annotated[
    dict[Annotated[str, StringConstraints(pattern=r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")], str | SecretRef],
    Field(description="environment variables: name to a plain value, or {secret, key} for a value kept in a "
                      "Kubernetes Secret (plaintext secrets are refused)"),
]


def refuse_reserved_keys(keys: dict[str, str], fix: str) -> dict[str, str]:
    """``keys`` unchanged, or a ValueError naming those under platformctl's own prefix (with ``fix``)."""
    reserved = sorted(k for k in keys if k.split("/", 1)[0].lower() == RESERVED_PREFIX)
    if reserved:
        raise ValueError(f"{', '.join(reserved)}: keys under {RESERVED_PREFIX}/ are set by platformctl itself; {fix}")
    return keys


class Metadata(SpecModel):
    """Name and descriptive data of a component, environment or platform."""

    name: DnsLabel
    description: str | None = None
    owner: str | None = None
    labels: dict[str, str] = Field(default_factory=dict, description="added to every object the component renders")



class ComponentMetadata(Metadata):
    """A component's metadata: also annotations for every object it renders, and the team that owns it."""

    team: DnsLabel | None = Field(
        default=None, description="the team (components/teams/<team>.yaml) that owns the component: it runs in "
                                  "the team's namespace, and counts against the team's GPU quota")

    annotations: dict[str, str] = Field(
        default_factory=dict, description="added to every object the component renders, e.g. "
                                "serving.kserve.io/deploymentMode or sidecar.istio.io/inject; keys under "
                                "platformctl.dev/ are platformctl's own")

    @field_validator("annotations")
    @classmethod
    def _not_ours(cls, annotations: dict[str, str]) -> dict[str, str]:
        return refuse_reserved_keys(annotations, "use another prefix")