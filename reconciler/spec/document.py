"""Parsed spec files and the loaded, resolved spec (plain data holders)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reconciler.errors import SpecError
from reconciler.spec.models import ComponentDoc, ComponentSpec, Environment, Platform
from reconciler.spec.models.base import ComponentMetadata
from reconciler.spec.yamlio import DEFAULT_LIMITS, Limits, LocatedList, LocatedMap, locate, parse_yaml

Loc = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Document:
    """One parsed YAML file: its repository path, its data, and its text.

    The data is plain (dicts, lists, scalars) or located (see yamlio). Positions are worked out
    only when an error is to be located, by parsing ``text`` again: most files never have one,
    and at 10,000 components the positions of every node would be the largest part of a load.
    """

    path: str
    tree: Any
    """The data; None once released (``released``): a component's model holds what it says."""
    text: bytes | None = None
    limits: Limits = DEFAULT_LIMITS
    _located: list[Any] = field(default_factory=list, compare=False, repr=False)

    def error(self, loc: Loc, message: str, hint: str = "") -> SpecError:
        """A SpecError at the YAML node ``loc`` points to (or its deepest existing parent)."""
        line, col = locate(self.located_tree(), loc)
        return SpecError(self.path, line, col, message, hint)

    def located_tree(self) -> Any:
        """The data with positions (parsed again from ``text`` the first time it is asked for)."""
        if isinstance(self.tree, LocatedMap | LocatedList) or self.text is None:
            return self.tree
        if not self._located:
            self._located.append(parse_yaml(self.text, self.limits))  # it parsed before: it parses again
        return self._located[0]

    def released(self) -> Document:
        """The same file without its data, kept to locate errors."""
        return Document(self.path, None, self.text, self.limits)


@dataclass(frozen=True, slots=True)
class Component:
    """A component as written in its file."""

    ref: str
    kind: str
    doc: ComponentDoc
    source: Document

    @property
    def name(self) -> str:
        """The component's name."""
        return self.doc.metadata.name


@dataclass(frozen=True, slots=True)
class Resolved:
    """A component as one environment runs it: overrides merged, version pinned."""

    ref: str
    kind: str
    metadata: ComponentMetadata
    spec: ComponentSpec
    source: Document
    env_source: Document
    override: Any = None
    pinned: bool = False
    as_written: bool = False
    """The component exactly as its file says (no override, no pin): its errors are the file's own."""

    @property
    def name(self) -> str:
        """The component's name."""
        return self.metadata.name

    @property
    def version(self) -> str | None:
        """The version this environment runs, if the kind has versions."""
        return getattr(self.spec, "version", None)

    def error(self, spec_loc: Loc, message: str, hint: str = "") -> SpecError:
        """Locate ``spec_loc`` (relative to ``spec``) in the override or pin that set it, else the component."""
        if spec_loc[:1] == ("version",) and self.pinned:
            return self.env_source.error(("spec", "versions", self.ref), message, hint)
        node = self.override
        for step in spec_loc:
            if isinstance(node, dict) and step in node:
                node = node[step]
            elif isinstance(node, list) and isinstance(step, int) and step < len(node):
                node = node[step]
            else:
                return self.source.error(("spec", *spec_loc), message, hint)
        return self.env_source.error(("spec", "overrides", self.ref, *spec_loc), message, hint)


@dataclass(frozen=True, slots=True)
class EnvironmentView:
    """An environment with the components it runs and which cluster runs each."""

    model: Environment
    source: Document
    components: dict[str, Resolved]
    placement: dict[str, tuple[str, ...]]
    """Cluster -> the components it runs, in file order (the render order)."""
    placed: dict[str, frozenset[str]] = field(default_factory=dict)
    """``placement`` as sets, for membership tests in time independent of the platform's size."""

    def __post_init__(self) -> None:
        if not self.placed:
            self.placed.update((cluster, frozenset(refs)) for cluster, refs in self.placement.items())

    @property
    def name(self) -> str:
        """The environment's name."""
        return self.model.metadata.name

    def runs(self, cluster: str, ref: str) -> bool:
        """Whether ``cluster`` runs component ``ref``."""
        return ref in self.placed.get(cluster, frozenset())

    def clusters_running(self, ref: str) -> tuple[str, ...]:
        """Names of the clusters of this environment that run component ``ref``."""
        return tuple(cluster for cluster, refs in self.placed.items() if ref in refs)

    def scheduled_pipeline(self, schedule: Resolved) -> tuple[Resolved | None, str | None]:
        """The pipeline a schedule runs here and the version it binds to (its own pin, else the pipeline's)."""
        pipeline = self.components.get(f"pipelines/{getattr(schedule.spec, 'pipeline', '')}")
        if pipeline is None:
            return None, None
        version = getattr(schedule.spec, "pipeline_version", None) or pipeline.version
        return pipeline, version


@dataclass(frozen=True, slots=True)
class Spec:
    """A whole platform, loaded and validated."""

    platform: Platform
    source: Document
    components: dict[str, Component]
    environments: dict[str, EnvironmentView]
    packages: dict[str, dict[str, Any]] = field(default_factory=dict)
    broken: frozenset[str] = frozenset()

    @property
    def name(self) -> str:
        """The platform's name."""
        return self.platform.metadata.name

    def variants(self, *, distinct: bool = False) -> list[tuple[str | None, Resolved]]:
        """Every component as written (env None) and as each environment runs it. ``distinct`` leaves out
        an environment's variant that is the component as written (no override, no pin): a check that
        reads only the component would find the same errors at the same places in it again."""
        found: list[tuple[str | None, Resolved]] = [
            (None, Resolved(c.ref, c.kind, c.doc.metadata, c.doc.spec, c.source, c.source))
            for c in self.components.values()
        ]
        for view in self.environments.values():
            found.extend((view.name, item) for item in view.components.values() if not (distinct and item.as_written))
        return found
