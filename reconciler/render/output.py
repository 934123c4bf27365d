"""Deterministic text forms of rendered objects: YAML stream, JSON, one file per object (pure)."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from reconciler.kinds import apply_rank
from reconciler.objects import Manifest, ObjectKey


class _Dumper(yaml.CSafeDumper):
    """Block-style YAML, keys in render order, no anchors for shared values."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str_presenter(dumper: _Dumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_presenter)


def to_yaml(manifest: Manifest) -> str:
    """One object as YAML."""
    return yaml.dump(manifest, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True,
                     width=120)


def yaml_stream(groups: list[tuple[str, str, list[Manifest]]]) -> str:
    """A multi-document stream; each (environment, cluster) group is introduced by a comment."""
    parts = []
    for env, cluster, manifests in groups:
        for manifest in manifests:
            parts.append(f"---\n# environment: {env}, cluster: {cluster}\n{to_yaml(manifest)}")
    return "".join(parts)


def json_document(groups: list[tuple[str, str, list[Manifest]]]) -> str:
    """All groups as one JSON document."""
    data = [{"environment": env, "cluster": cluster, "objects": manifests} for env, cluster, manifests in groups]
    return json.dumps(data, indent=2, sort_keys=False) + "\n"


def file_name(manifest: Manifest, index: int) -> str:
    """``<order>-<kind>-<name>.yaml``: files list in apply order."""
    key = ObjectKey.of(manifest)
    safe = re.sub(r"[^a-z0-9.-]", "-", f"{key.kind.lower()}-{key.name}")
    return f"{apply_rank(manifest):02d}-{index:04d}-{safe}.yaml"
