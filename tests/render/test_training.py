"""Training components reproduce upstream's own TrainJob, PyTorchJob and TFJob examples field for field.

Each case in tests/data/training/: ``upstream/`` the verbatim upstream object, ``specs/`` the
Training component written for it, ``expected/`` what platformctl renders (reviewed). The rendered
object must equal ``expected/`` exactly, and ``expected/`` minus platformctl's own labels and
annotations must equal the upstream object: nothing forced, nothing left out.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
import yaml

from reconciler.conformance import validate_object
from reconciler.objects import Manifest
from reconciler.render import render_cluster
from reconciler.render.output import to_yaml
from reconciler.spec.load import load
from reconciler.spec.sources import MemorySource
from tests.spec.conftest import REPO

DATA = REPO / "tests" / "data" / "training"
CASES = sorted(p.name for p in (DATA / "upstream").glob("*.yaml"))
OURS = ("app.kubernetes.io/", "platformctl.dev/")


def platform_with(component: bytes, namespace: str) -> MemorySource:
    """platform.yaml + environment ``rt`` (one directory cluster) in ``namespace`` + the component."""
    doc = yaml.safe_load(component)
    platform = {"apiVersion": "platformctl.dev/v1alpha1", "kind": "Platform", "metadata": {"name": "training"},
                "spec": {"version": "0.1.0", "promotion": ["rt"]}}
    environment = {"apiVersion": "platformctl.dev/v1alpha1", "kind": "Environment", "metadata": {"name": "rt"},
                   "spec": {"clusters": [{"name": "local", "directory": ".platformctl/clusters/rt"}],
                            "namespace": namespace}}
    return MemorySource({
        "platform.yaml": json.dumps(platform).encode(),
        "environments/rt.yaml": json.dumps(environment).encode(),
        f"components/training/{doc['metadata']['name']}.yaml": component,
    })


def render_case(name: str) -> Manifest:
    upstream = yaml.safe_load((DATA / "upstream" / name).read_text())
    # an upstream object without a namespace goes to kubectl's current one: "default" here
    spec = load(platform_with((DATA / "specs" / name).read_bytes(), upstream["metadata"].get("namespace", "default")))
    found = [r.manifest for r in render_cluster(spec, "rt", "local", "training") if r.manifest["kind"] != "Namespace"]
    assert len(found) == 1
    return found[0]


def without_ours(obj: Manifest) -> dict[str, Any]:
    """The object minus platformctl's labels and annotations (empty maps dropped)."""
    out = json.loads(json.dumps(obj))
    metadata = out["metadata"]
    for field in ("labels", "annotations"):
        kept = {k: v for k, v in metadata.get(field, {}).items() if not k.startswith(OURS)}
        if kept:
            metadata[field] = kept
        else:
            metadata.pop(field, None)
    return out


@pytest.mark.parametrize("name", CASES)
def test_renders_the_reviewed_expected_object(name: str) -> None:
    text = to_yaml(render_case(name))
    expected = DATA / "expected" / name
    if os.environ.get("UPDATE_GOLDEN"):
        expected.parent.mkdir(exist_ok=True)
        expected.write_text(text)
    assert text == expected.read_text()


@pytest.mark.parametrize("name", CASES)
def test_expected_object_is_upstream_plus_our_labels_and_annotations(name: str) -> None:
    upstream = yaml.safe_load((DATA / "upstream" / name).read_text())
    rendered = yaml.safe_load((DATA / "expected" / name).read_text())
    if "namespace" not in upstream["metadata"]:
        assert rendered["metadata"].pop("namespace") == "default"
    assert without_ours(rendered) == upstream


@pytest.mark.parametrize("name", CASES)
def test_upstream_and_rendered_objects_conform_to_the_crd(name: str) -> None:
    upstream = yaml.safe_load((DATA / "upstream" / name).read_text())
    upstream["metadata"].setdefault("namespace", "default")  # as kubectl sends it
    assert validate_object(upstream) == []
    assert validate_object(render_case(name)) == []
