"""The CLI, called in-process: exit codes, stdout, stderr."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.schemas import schemas
from tests.spec.conftest import REPO, copy_platform


def test_validate_prints_a_summary_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(REPO)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.startswith("platform acme-ml 1.4.0: valid\n")
    assert "components: 14 (2 notebook, 2 pipeline, 3 schedule, 3 serving, 1 team, 1 training, 2 tuning)" in out
    assert "prod-cloud" in out and "GPUs 6/16" in out


def test_validate_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(REPO), "--output", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["valid"] is True
    assert [e["name"] for e in data["summary"]["environments"]] == ["dev", "staging", "prod-onprem", "prod-cloud"]


def _break(repo: Path) -> None:
    path = repo / "components" / "serving" / "fraud-detector.yaml"
    path.write_text(path.read_text().replace("storageUri:", "storageURI:"))


def test_invalid_json_lists_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = copy_platform(tmp_path / "r")
    _break(repo)
    assert main(["validate", str(repo), "-o", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["valid"] is False
    assert data["errors"] == [{
        "path": "components/serving/fraud-detector.yaml", "line": 11, "col": 5,
        "message": "unknown key 'storageURI' in spec.model",
        "hint": "did you mean 'storageUri'? Allowed keys here: args, env, format, formatVersion, protocol, "
                "runtime, storageUri",
    }]


def test_github_format_annotates_the_pull_request(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = copy_platform(tmp_path / "r")
    _break(repo)
    assert main(["validate", str(repo), "--format", "github"]) == 1
    out, err = capsys.readouterr()
    assert out.startswith("::error file=components/serving/fraud-detector.yaml,line=11,col=5,title=platformctl::"
                          "unknown key 'storageURI' in spec.model; did you mean 'storageUri'?")
    assert err.startswith("components/serving/fraud-detector.yaml:11:5: unknown key")


@pytest.mark.parametrize("argv", [["validate", "/no/such/dir"], ["validate", "--output", "yaml"], ["frobnicate"]])
def test_usage_errors_exit_64_never_the_changes_code_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 64


def test_schema_command_writes_every_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "--out", str(tmp_path)]) == 0
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(schemas())
    assert json.loads((tmp_path / "serving.schema.json").read_text())["title"] == "ServingComponent"


@pytest.mark.parametrize("name", sorted(schemas()))
def test_committed_schemas_are_current(name: str) -> None:
    committed = REPO / "schemas" / name
    assert committed.exists(), f"schemas/{name} is missing: run 'make schema'"
    assert committed.read_text() == schemas()[name], f"schemas/{name} is stale: run 'make schema'"


def test_bundled_yaml_files_point_editors_at_their_schema() -> None:
    for path in [REPO / "platform.yaml", *REPO.glob("environments/*.yaml"), *REPO.glob("components/**/*.yaml")]:
        first = path.read_text().splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), path
        schema_path = (path.parent / first.split("$schema=")[1]).resolve()
        assert schema_path.exists(), f"{path} points at a missing schema"


def test_demo_reconciles_dev_into_its_directory_and_shows_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = copy_platform(tmp_path / "r")
    assert main(["demo", str(repo)]) == 0
    out = capsys.readouterr().out
    assert "platform acme-ml 1.4.0: valid" in out
    assert "rendered 72 objects for 6 clusters" in out
    assert "  22 created\n" in out
    assert "serving/fraud-detector            local    Synced  Progressing" in out
    assert (repo / ".platformctl" / "clusters" / "dev").is_dir()
    assert main(["demo", str(repo)]) == 0
    assert "  22 unchanged\n" in capsys.readouterr().out
