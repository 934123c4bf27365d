"""Each environment's deletion budget at a revision, from platform.yaml and the environment files only (pure).

Used to find the budget of the revision last applied to a target: that revision need not load
as a whole today (a newer platformctl may refuse what it accepted), and its components do not
matter here, so only the files naming the budgets are read.
"""

from __future__ import annotations

from pydantic import ValidationError

from reconciler.spec.models import Environment, Platform
from reconciler.spec.sources import SourceFileError, SourceReader, glob
from reconciler.spec.yamlio import YamlParseError, parse_yaml

PLATFORM_FILE = "platform.yaml"


def prune_budgets(reader: SourceReader) -> dict[str, float]:
    """``maxPruneFraction`` by environment name; environments whose file does not read are left out."""
    try:
        platform = Platform.model_validate(parse_yaml(reader.read(PLATFORM_FILE), located=False))
        paths = glob(reader, platform.spec.environments)
    except (SourceFileError, YamlParseError, ValidationError):
        return {}
    found: dict[str, float] = {}
    for path in paths:
        if path == PLATFORM_FILE:
            continue
        try:
            env = Environment.model_validate(parse_yaml(reader.read(path), located=False))
        except (SourceFileError, YamlParseError, ValidationError):
            continue
        found.setdefault(env.metadata.name, env.spec.policy.max_prune_fraction)
    return found
