"""platformctl schedules: next fire times per environment and GPU overlap warnings."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.cli import main
from tests.spec.conftest import REPO, copy_platform


def test_next_fire_times_in_the_kfp_time_zone(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schedules", str(REPO), "--env", "prod-onprem", "--next", "2", "--from", "2026-11-23T12:00:00Z"]) == 0
    out = capsys.readouterr().out
    assert "prod-onprem (KFP time zone UTC)" in out
    assert "  fraud-nightly-training -> fraud-training, 1 GPU\n    2026-11-24T02:00:00+00:00\n    2026-11-25T02:00:00+00:00" in out
    assert "  recsys-weekly-scoring -> batch-scoring\n    2026-11-30T04:30:00+00:00\n" in out
    assert "  batch-scoring-hourly -> batch-scoring\n    2026-11-23T13:00:00+00:00\n    2026-11-23T14:00:00+00:00" in out


@pytest.mark.parametrize(("start", "first"), [
    ('startTime: "2026-12-01T00:00:00Z"', "2026-12-01T01:00:00+00:00"),  # a start ahead: one interval after it
    ("", "2026-11-23T13:00:00+00:00"),  # no start: one interval after its creation (now), as KFP does
])
def test_an_interval_schedule_first_fires_one_interval_after_it_starts(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], start: str, first: str) -> None:
    repo = copy_platform(tmp_path / "r")
    hourly = repo / "components" / "schedules" / "batch-scoring-hourly.yaml"
    hourly.write_text(hourly.read_text().replace('startTime: "2026-01-01T00:00:00Z"', start))
    assert main(["schedules", str(repo), "--env", "prod-onprem", "--next", "1", "--from", "2026-11-23T12:00:00Z"]) == 0
    assert f"  batch-scoring-hourly -> batch-scoring\n    {first}\n" in capsys.readouterr().out


def test_disabled_schedules_are_marked(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schedules", str(REPO), "--env", "staging", "--from", "2026-11-23T12:00:00Z"]) == 0
    assert "fraud-nightly-training -> fraud-training, 1 GPU [disabled]" in capsys.readouterr().out


def test_gpu_schedules_starting_together_are_flagged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = copy_platform(tmp_path / "r")
    source = repo / "components" / "schedules" / "fraud-nightly-training.yaml"
    (repo / "components" / "schedules" / "fraud-backfill.yaml").write_text(
        source.read_text().replace("name: fraud-nightly-training", "name: fraud-backfill")
        .replace('"0 2 * * *"', '"30 2 * * *"'))
    assert main(["schedules", str(repo), "--env", "dev", "--from", "2026-11-23T12:00:00Z"]) == 0
    out = capsys.readouterr().out
    assert "warning: dev: fraud-backfill and fraud-nightly-training both need GPUs and start within 1:00:00" in out
