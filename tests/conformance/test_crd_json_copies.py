"""The compact JSON copies of the CRDs match their YAML sources (regenerate: python scripts/crd_json.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CRDS = REPO / "reconciler" / "data" / "crds"
_spec = importlib.util.spec_from_file_location("crd_json", REPO / "scripts" / "crd_json.py")
assert _spec is not None and _spec.loader is not None
crd_json = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(crd_json)


@pytest.mark.parametrize("source", sorted(CRDS.glob("*.yaml")), ids=lambda p: p.stem)
def test_json_copy_is_current(source: Path) -> None:
    copy = CRDS / "json" / f"{source.stem}.json"
    assert copy.exists(), "run: python scripts/crd_json.py"
    assert copy.read_text(encoding="utf-8") == crd_json.crd_json(source), "stale: run python scripts/crd_json.py"
