"""Load a platform without its semantic checks, for review of a change that breaks policy (pure).

``load`` refuses a spec that is over its GPU quota, and rightly so; but the reviewer of that
pull request needs the numbers that broke it. This runs the same reading, validation and
resolution steps as ``load`` (its own helpers, in the same order) and stops before
``checks.run_all``. Any error it does find (a file that does not parse or validate) is raised:
a partial spec is never returned, so a broken file never reads as a removed component.
"""

from __future__ import annotations

from reconciler.errors import SpecError, SpecErrors
from reconciler.spec.document import Spec
from reconciler.spec.load import (
    PLATFORM_FILE,
    _glob,
    _load_components,
    _load_environments,
    _load_packages,
    _parse,
    _resolve,
    _validate,
)
from reconciler.spec.models import Platform
from reconciler.spec.sources import SourceReader
from reconciler.spec.yamlio import Allowance


def load_unchecked(reader: SourceReader) -> Spec:
    """The resolved spec before semantic checks; SpecErrors when any file fails to read or validate."""
    errors: list[SpecError] = []
    allowance = Allowance()
    platform_doc = _parse(reader, PLATFORM_FILE, errors, allowance=allowance)
    platform = _validate(platform_doc, Platform, errors) if platform_doc else None
    if platform is None or platform_doc is None:
        raise SpecErrors(errors)
    env_paths = _glob(reader, platform.spec.environments, platform_doc, ("spec", "environments"), errors)
    component_paths = _glob(reader, platform.spec.components, platform_doc, ("spec", "components"), errors)
    if errors:
        raise SpecErrors(errors)
    environments, broken_envs = _load_environments(reader, env_paths, errors, allowance)
    components, broken = _load_components(reader, component_paths, errors, allowance)
    packages = _load_packages(reader, components, errors, allowance)
    views = {name: _resolve(env, doc, components, errors) for name, (env, doc) in environments.items()}
    if errors:
        raise SpecErrors(errors)
    return Spec(platform, platform_doc, components, views, packages, frozenset(broken | broken_envs))
