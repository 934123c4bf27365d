"""Load a platform repository into a validated Spec, or every error found, with locations.

The steps return early only when nothing further can be checked: a broken platform.yaml
stops the load; a broken component or environment file is reported and the rest go on.
"""

from __future__ import annotations

import fnmatch
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from reconciler.collection import collection_paused
from reconciler.errors import SpecError, SpecErrors
from reconciler.spec import checks
from reconciler.spec.diagnose import problems
from reconciler.spec.document import Component, Document, EnvironmentView, Resolved, Spec
from reconciler.spec.kfp_ir import ir_problems
from reconciler.spec.merge import deep_merge
from reconciler.spec.models import COMPONENT_KINDS, ComponentDoc, Environment, PipelineSpec, Platform
from reconciler.spec.sources import SourceFileError, SourceReader, glob
from reconciler.spec.yamlio import DEFAULT_LIMITS, Allowance, Limits, YamlParseError, parse_yaml

PLATFORM_FILE = "platform.yaml"
PACKAGE_LIMITS = Limits(max_file_bytes=8 * 1_048_576, max_depth=128, max_nodes=2_000_000,
                        max_expanded_bytes=16 * 1_048_576)
M = TypeVar("M", bound=BaseModel)


def load(reader: SourceReader) -> Spec:
    """Read, parse and validate the platform held by ``reader``; raise SpecErrors listing every problem."""
    with collection_paused():  # linear in the platform's size (see reconciler.collection)
        return _load(reader)


def _load(reader: SourceReader) -> Spec:
    errors: list[SpecError] = []
    allowance = Allowance()
    platform_doc = _parse(reader, PLATFORM_FILE, errors, allowance=allowance)
    platform = _validate(platform_doc, Platform, errors) if platform_doc else None
    if platform is None or platform_doc is None:
        raise SpecErrors(errors)

    globbed: list[SpecError] = []
    env_paths = _glob(reader, platform.spec.environments, platform_doc, ("spec", "environments"), globbed)
    component_paths = _glob(reader, platform.spec.components, platform_doc, ("spec", "components"), globbed)
    if globbed:
        raise SpecErrors(errors + globbed)
    environments, broken_envs = _load_environments(reader, env_paths, errors, allowance)
    components, broken = _load_components(reader, component_paths, errors, allowance)
    packages = _load_packages(reader, components, errors, allowance)
    views = {
        name: _resolve(env, doc, components, errors) for name, (env, doc) in environments.items()
    }
    spec = Spec(platform, platform_doc, components, views, packages, frozenset(broken | broken_envs))
    errors.extend(checks.run_all(spec))
    if errors:
        raise SpecErrors(errors)
    return spec


def _parse(reader: SourceReader, path: str, errors: list[SpecError], limits: Limits | None = None,
           allowance: Allowance | None = None) -> Document | None:
    try:
        data = reader.read(path)
        tree = parse_yaml(data, limits or DEFAULT_LIMITS, allowance, located=False)
    except SourceFileError as exc:
        errors.append(SpecError(exc.path, 1, 1, exc.message, exc.hint))
        return None
    except YamlParseError as exc:
        errors.append(SpecError(path, exc.line, exc.col, exc.message, exc.hint))
        return None
    return Document(path, tree, data, limits or DEFAULT_LIMITS)


def _validate(doc: Document, model: type[M], errors: list[SpecError]) -> M | None:
    if not isinstance(doc.tree, dict):
        errors.append(doc.error((), f"expected a mapping with apiVersion, kind, metadata and spec, "
                                    f"found {type(doc.tree).__name__}",
                                "start the file with 'apiVersion: platformctl.dev/v1alpha1'"))
        return None
    try:
        return model.model_validate(doc.tree)
    except ValidationError as exc:
        for problem in problems(exc, model):
            errors.append(doc.error(problem.loc, problem.message, problem.hint))
        return None


def _expect_kind(doc: Document, allowed: tuple[str, ...], errors: list[SpecError]) -> str | None:
    if not isinstance(doc.tree, dict):
        errors.append(doc.error((), f"expected a mapping with apiVersion, kind, metadata and spec, found "
                                f"{type(doc.tree).__name__}",
                                "start the file with 'apiVersion: platformctl.dev/v1alpha1'"))
        return None
    kind = doc.tree.get("kind")
    if kind in allowed:
        return str(kind)
    shown = f"'{kind}'" if kind is not None else "missing"
    errors.append(doc.error(("kind",), f"kind is {shown}; expected {' or '.join(allowed)}",
                            f"set 'kind: {allowed[0]}'" if len(allowed) == 1 else
                            f"use one of: {', '.join(allowed)}"))
    return None


def _load_environments(
    reader: SourceReader, paths: list[str], errors: list[SpecError], allowance: Allowance
) -> tuple[dict[str, tuple[Environment, Document]], set[str]]:
    """Valid environments by name, and names of files that failed (to silence follow-on errors)."""
    found: dict[str, tuple[Environment, Document]] = {}
    broken: set[str] = set()
    for path in paths:
        doc = _parse(reader, path, errors, allowance=allowance)
        env = _validate(doc, Environment, errors) if doc and _expect_kind(doc, ("Environment",), errors) else None
        if env is None or doc is None:
            broken.add(path.rsplit("/", 1)[-1].rsplit(".", 1)[0])
            continue
        name = env.metadata.name
        if name in found:
            errors.append(doc.error(("metadata", "name"), f"environment '{name}' is also defined in {found[name][1].path}",
                                    "give each environment a unique name"))
            broken.add(path.rsplit("/", 1)[-1].rsplit(".", 1)[0])
            continue
        found[name] = (env, doc)
    return found, broken


def _load_components(
    reader: SourceReader, paths: list[str], errors: list[SpecError], allowance: Allowance
) -> tuple[dict[str, Component], set[str]]:
    """Valid components by reference, and references of files that failed (to silence follow-on errors)."""
    found: dict[str, Component] = {}
    broken: set[str] = set()
    duplicated: set[str] = set()
    for path in paths:
        doc = _parse(reader, path, errors, allowance=allowance)
        kind = _expect_kind(doc, tuple(COMPONENT_KINDS), errors) if doc else None
        if kind is None or doc is None:
            broken.add(_ref_from_path(path))
            continue
        directory, model = COMPONENT_KINDS[kind]
        component: ComponentDoc | None = _validate(doc, model, errors)
        if component is None:
            metadata = doc.tree.get("metadata")
            name = metadata.get("name") if isinstance(metadata, dict) else None
            broken.update({f"{directory}/{name}", _ref_from_path(path)})
            continue
        ref = f"{directory}/{component.metadata.name}"
        if ref in found or ref in duplicated:
            first = found.pop(ref, None)
            where = first.source.path if first else "another file"
            errors.append(doc.error(("metadata", "name"), f"{kind} '{component.metadata.name}' is also defined in "
                                    f"{where}", "rename one of them"))
            duplicated.add(ref)
            broken.update({ref, _ref_from_path(path)} | ({_ref_from_path(first.source.path)} if first else set()))
            continue
        found[ref] = Component(ref, kind, component, doc.released())  # the model holds what the file says
    return found, broken


def _ref_from_path(path: str) -> str:
    """``components/serving/fraud.yaml`` -> ``serving/fraud``: the likely reference of a broken file."""
    parts = path.rsplit("/", 2)
    stem = parts[-1].rsplit(".", 1)[0]
    return f"{parts[-2]}/{stem}" if len(parts) >= 2 else stem


def _glob(reader: SourceReader, pattern: str, doc: Document, loc: tuple[str, ...], errors: list[SpecError]) -> list[str]:
    try:
        paths = glob(reader, pattern)
    except SourceFileError as exc:
        errors.append(doc.error(loc, exc.message, exc.hint))
        return []
    return [p for p in paths if p != PLATFORM_FILE]


def _load_packages(reader: SourceReader, components: dict[str, Component], errors: list[SpecError],
                   allowance: Allowance) -> dict[str, dict[str, Any]]:
    packages: dict[str, dict[str, Any]] = {}
    for component in components.values():
        if component.kind != "Pipeline":
            continue
        spec = component.doc.spec
        assert isinstance(spec, PipelineSpec)
        versions: dict[str, tuple[str, ...]] = {spec.version: ("spec", "package")}
        versions.update({v: ("spec", "previousVersions", v) for v in spec.previous_versions})
        for version, loc in versions.items():
            path = spec.package_for(version)
            if path is None or path in packages:
                continue
            inner: list[SpecError] = []
            doc = _parse(reader, path, inner, PACKAGE_LIMITS, allowance)
            if inner or doc is None:
                reason = inner[0].message if inner else "unreadable"
                errors.append(component.source.error(loc, f"pipeline package {path}: {reason}",
                                                     "compile the pipeline with the KFP SDK and commit the IR YAML"))
                continue
            plain = doc.tree
            if not isinstance(plain, dict) or not isinstance(plain.get("pipelineInfo"), dict) or "root" not in plain:
                errors.append(component.source.error(loc, f"{path} is not a compiled KFP pipeline (no pipelineInfo/root)",
                                                     "point at the IR YAML written by kfp.compiler.Compiler"))
                continue
            problems = ir_problems(plain)
            errors.extend(doc.error(at, message, hint) for at, message, hint in problems)
            if not problems:
                packages[path] = plain
    return packages


def matches(ref: str, patterns: tuple[str, ...]) -> bool:
    """Whether a component reference matches any of the glob patterns."""
    return any(fnmatch.fnmatchcase(ref, p) for p in patterns)


def _resolve(
    env: Environment, doc: Document, components: dict[str, Component], errors: list[SpecError]
) -> EnvironmentView:
    spec = env.spec
    resolved: dict[str, Resolved] = {}
    for ref, component in components.items():
        if not matches(ref, spec.components):
            continue
        item = _resolve_one(component, env, doc, errors)
        if item is not None:
            resolved[ref] = item
    placement = {
        cluster.name: tuple(ref for ref in resolved if matches(ref, cluster.components))
        for cluster in spec.clusters
    }
    return EnvironmentView(env, doc, resolved, placement)


def _resolve_one(component: Component, env: Environment, doc: Document, errors: list[SpecError]) -> Resolved | None:
    ref = component.ref
    override_tree = doc.tree.get("spec", {}).get("overrides", {}).get(ref) if isinstance(doc.tree, dict) else None
    pin = env.spec.versions.get(ref)
    spec_model = component.doc.spec
    if ref in env.spec.overrides:
        merged = deep_merge(spec_model.model_dump(by_alias=True, exclude_unset=True, mode="json"),
                           env.spec.overrides[ref])
        try:
            spec_model = type(spec_model).model_validate(merged)
        except ValidationError as exc:
            base = Resolved(ref, component.kind, component.doc.metadata, spec_model, component.source, doc,
                            override_tree, False)
            for problem in problems(exc, type(spec_model)):
                message = f"override of {ref}: {problem.message}"
                errors.append(base.error(problem.loc, message, problem.hint))
            return base
    pinned = False
    if pin is not None and isinstance(spec_model, PipelineSpec):
        spec_model = _pin_pipeline(spec_model, pin)
        pinned = True
    elif pin is not None and "version" in type(spec_model).model_fields:
        spec_model = spec_model.model_copy(update={"version": pin})
        pinned = True
    return Resolved(ref, component.kind, component.doc.metadata, spec_model, component.source, doc,
                    override_tree, pinned, as_written=spec_model is component.doc.spec and override_tree is None and not pinned)


def _pin_pipeline(spec: PipelineSpec, pin: str) -> PipelineSpec:
    """Run an older compiled package: ``version`` and ``package`` always name the same compiled pipeline."""
    package = spec.package_for(pin)
    if package is None or pin == spec.version:
        return spec  # an unknown pin is reported by the reference checks
    previous = {v: p for v, p in spec.previous_versions.items() if v != pin}
    previous[spec.version] = spec.package
    return spec.model_copy(update={"version": pin, "package": package, "previous_versions": previous})
