"""Every saved object in tests/data/health/<kind>-<state>.yaml gets the health its header promises.

Each file starts with ``# expect: <Status>: <message fragment>``; the fragment must appear in the
message verbatim. Sources of the objects are listed in tests/data/health/SOURCES.md.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.health import Status, health_of

DATA = Path(__file__).resolve().parents[1] / "data" / "health"
EXPECT = re.compile(r"^# expect: (?P<status>\w+): (?P<fragment>.+)$", re.MULTILINE)
FILES = sorted(DATA.glob("*.yaml"))

# The brief's minimum set; each must exist.
REQUIRED = """
notebook-ready notebook-image-pull-backoff notebook-stopped notebook-starting isvc-ready
isvc-ready-canary isvc-not-ready-revision-missing isvc-failed-load isvc-stale-generation
experiment-running experiment-succeeded experiment-failed swf-enabled swf-disabled swf-failed-runs
pipelineversion-ready pipelineversion-creating pytorchjob-running pytorchjob-failed trainjob-complete
pvc-bound pvc-pending namespace-terminating profile-failed
""".split()


def expectation(path: Path) -> tuple[Status, str]:
    found = EXPECT.search(path.read_text(encoding="utf-8"))
    assert found, f"{path.name}: no '# expect: <Status>: <fragment>' header"
    return Status(found["status"]), found["fragment"].strip()


def load(path: Path) -> dict[str, Any]:
    obj = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(obj, dict), path.name
    return obj


def test_the_required_states_are_all_there() -> None:
    names = {p.stem for p in FILES}
    assert not [n for n in REQUIRED if n not in names]


def test_every_file_is_listed_in_sources() -> None:
    sources = (DATA / "SOURCES.md").read_text(encoding="utf-8")
    assert not [p.name for p in FILES if f"`{p.name}`" not in sources]


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_golden(path: Path) -> None:
    status, fragment = expectation(path)
    health = health_of(load(path))
    assert health.status is status, f"{path.name}: {health}"
    assert fragment in health.message, f"{path.name}: {health.message!r} lacks {fragment!r}"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_golden_file_name_names_the_kind(path: Path) -> None:
    """``isvc-...`` is an InferenceService, ``swf-...`` a ScheduledWorkflow, and so on."""
    prefix = path.stem.split("-")[0]
    kinds = {
        "notebook": "Notebook",
        "isvc": "InferenceService",
        "experiment": "Experiment",
        "swf": "ScheduledWorkflow",
        "pipeline": "Pipeline",
        "pipelineversion": "PipelineVersion",
        "pytorchjob": "PyTorchJob",
        "tfjob": "TFJob",
        "trainjob": "TrainJob",
        "pvc": "PersistentVolumeClaim",
        "namespace": "Namespace",
        "profile": "Profile",
    }
    assert load(path)["kind"] == kinds[prefix]
