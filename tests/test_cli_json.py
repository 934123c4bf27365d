"""--output json on every command: one JSON document on stdout, for scripts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer

from reconciler.cli import app, main
from tests.daemon.conftest import make_repo


def _leaves(command: Any, prefix: str = "") -> dict[str, Any]:
    """Every runnable command, sub-commands of groups (``rollout status``) included."""
    subcommands = getattr(command, "commands", None)
    if not subcommands:
        return {prefix.strip(): command}
    found: dict[str, Any] = {}
    for name, sub in subcommands.items():
        found.update(_leaves(sub, f"{prefix} {name}"))
    return found


def test_every_command_takes_output_json() -> None:
    commands = _leaves(typer.main.get_command(app))
    assert {"validate", "schedules", "promote", "run"} <= set(commands)
    lacking = [name for name, command in commands.items()
               if not any("--output" in getattr(p, "opts", ()) for p in command.params)]
    assert lacking == []


def test_each_command_prints_one_json_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path / "repo")
    path = str(repo.path)
    runs: dict[str, tuple[list[str], int]] = {
        "validate": (["validate", path], 0),
        "schema": (["schema", "--out", str(tmp_path / "schemas")], 0),
        "render": (["render", path, "--env", "dev", "--revision", "r1"], 0),
        "schedules": (["schedules", path, "--env", "dev", "--from", "2026-01-01T00:00:00Z", "--next", "2"], 0),
        "plan": (["plan", "--env", "dev", path], 2),
        "run": (["run", "--repo", path, "--env", "dev", "--once", "--lease", "none"], 0),
        "apply": (["apply", "--env", "dev", path, "--yes"], 0),
        "status": (["status", "--env", "dev", path], 0),
        "diff": (["diff", path, "--base", "HEAD", "--env", "dev"], 0),
        "promote": (["promote", "-C", path, "fraud-detector", "--from", "staging", "--to", "prod", "--dry-run"], 0),
        "demo": (["demo", path], 0),
    }
    documents = {}
    for name, (argv, code) in runs.items():
        assert main([*argv, "--output", "json"]) == code, (name, capsys.readouterr().err)
        documents[name] = json.loads(capsys.readouterr().out)
    assert documents["schedules"]["environments"][0]["name"] == "dev"
    assert documents["run"]["converged"] is True and documents["run"]["revision"] == repo.head()
    assert {c["action"] for c in documents["run"]["targets"][0]["changes"]} == {"created"}
    assert documents["promote"]["branch"] == "promote/prod/fraud-detector"
    assert len(documents["schema"]["written"]) >= 9
    assert documents["demo"]["valid"] is True and documents["demo"]["environments"][0]["name"] == "dev"


def test_json_for_run_needs_once(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--output", "json"]) == 64
    assert "--output json needs --once" in capsys.readouterr().err
