"""References between files: promotion order, releases, pins, overrides, selections."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
import fnmatch

from reconciler.errors import SpecError
from reconciler.spec.document import Document, Spec

_VERSIONED = {"Notebook", "Pipeline", "Tuning", "Serving", "Training"}


def check(spec: Spec) -> list[SpecError]:
    """Dangling or duplicate references anywhere in the spec."""
    return [*_promotion(spec), *_releases(spec), *_environments(spec)]


def _promotion(spec: Spec) -> list[SpecError]:
    found, seen = [], set()
    for i, stage in enumerate(spec.platform.spec.stages()):
        for j, name in enumerate(stage):
            loc = ("spec", "promotion", i) if len(stage) == 1 else ("spec", "promotion", i, j)
            if name not in spec.environments and name not in spec.broken:
                found.append(spec.source.error(loc, f"promotion names environment '{name}', which is not defined",
                                               f"define it in environments/ or use one of: {_names(spec.environments)}"))
            if name in seen:
                found.append(spec.source.error(loc, f"environment '{name}' appears twice in the promotion order",
                                               "list each environment once"))
            seen.add(name)
    return found


def _releases(spec: Spec) -> list[SpecError]:
    found = []
    for release, refs in spec.platform.spec.releases.items():
        for i, ref in enumerate(refs):
            if ref not in spec.components and ref not in spec.broken:
                found.append(spec.source.error(("spec", "releases", release, i),
                                               f"release '{release}' names {ref}, which is not a component",
                                               _suggest(ref, spec.components)))
    return found


def _environments(spec: Spec) -> list[SpecError]:
    found: list[SpecError] = []
    for view in spec.environments.values():
        env, doc = view.model.spec, view.source
        for i, pattern in enumerate(env.components):
            if not any(fnmatch.fnmatchcase(ref, pattern) for ref in spec.components):
                found.append(doc.error(("spec", "components", i), f"pattern '{pattern}' selects no component",
                                       "fix the pattern or remove it"))
        names = [c.name for c in env.clusters]
        for i, cluster in enumerate(env.clusters):
            if names.count(cluster.name) > 1 and names.index(cluster.name) != i:
                found.append(doc.error(("spec", "clusters", i, "name"), f"cluster '{cluster.name}' is listed twice",
                                       "give each cluster a unique name"))
        for ref in env.versions:
            if ref not in spec.broken:
                found.extend(_pin(spec, view.name, ref, doc))
        for ref in env.overrides:
            if ref in spec.broken:
                continue
            if ref not in spec.components:
                found.append(doc.error(("spec", "overrides", ref), f"override for {ref}, which is not a component",
                                       _suggest(ref, spec.components)))
            elif ref not in view.components:
                found.append(doc.error(("spec", "overrides", ref), f"override for {ref}, which this environment "
                                       "does not run", "add it to spec.components or remove the override"))
        for ref in view.components:
            if not any(ref in refs for refs in view.placed.values()):
                found.append(doc.error(("spec", "clusters"), f"no cluster of environment '{view.name}' runs {ref}",
                                       "widen a cluster's 'components' patterns"))
    return found


def _pin(spec: Spec, env_name: str, ref: str, doc: Document) -> list[SpecError]:
    loc = ("spec", "versions", ref)
    component = spec.components.get(ref)
    if component is None:
        return [doc.error(loc, f"version pinned for {ref}, which is not a component", _suggest(ref, spec.components))]
    if component.kind not in _VERSIONED:
        hint = ("pin the version of the pipeline it runs instead" if component.kind == "Schedule"
                else "remove the pin: a team's Profile is not versioned")
        return [doc.error(loc, f"{ref} is a {component.kind} and has no version of its own", hint)]
    if ref not in spec.environments[env_name].components:
        return [doc.error(loc, f"version pinned for {ref}, which environment '{env_name}' does not run",
                          "add it to spec.components or remove the pin")]
    pin = spec.environments[env_name].model.spec.versions[ref]
    if component.kind == "Pipeline":
        pipeline = component.doc.spec  # as written: the pin chooses among these
        known = [pipeline.version, *pipeline.previous_versions]  # type: ignore[union-attr]
        if pin not in known:
            return [doc.error(loc, f"{ref} has no compiled package for version '{pin}'",
                              f"pin one of {', '.join(known)} or add it to previousVersions")]
    return []


def _names(items: Mapping[str, object]) -> str:
    return ", ".join(sorted(items)) or "(none)"


def _suggest(ref: str, components: Mapping[str, object]) -> str:
    close = difflib.get_close_matches(ref, list(components), n=1)
    return f"did you mean {close[0]}?" if close else f"known components: {_names(components)[:300]}"
