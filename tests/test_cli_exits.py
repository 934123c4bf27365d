"""One error mapper: spec errors exit 1, usage errors 2, anything else is an internal error (70), never usage."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler import cli
from reconciler.cli import main
from reconciler.commands.exits import ExitCode, mapped
from reconciler.errors import SpecError, SpecErrors, UnknownEnvironment
from tests.spec.conftest import REPO, copy_platform


def test_a_key_error_from_a_bug_is_an_internal_error_not_a_usage_error(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def broken(*_args: object) -> None:
        raise KeyError("clusters")

    monkeypatch.setattr(cli, "render_groups", broken)
    assert main(["render", str(REPO), "--revision", "x"]) == ExitCode.INTERNAL == 70
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("internal error: KeyError: 'clusters'\nTraceback (most recent call last):\n")
    assert err.endswith("this is a bug in platformctl; please report it with the traceback above\n")


def test_spec_and_usage_errors_map_to_1_and_2(capsys: pytest.CaptureFixture[str]) -> None:
    def invalid() -> int:
        raise SpecErrors([SpecError("a.yaml", 3, 5, "bad", "fix it")])

    def unknown() -> int:
        raise UnknownEnvironment("qa", ["dev", "prod"])

    assert mapped(invalid)() == 1
    assert capsys.readouterr().err == "a.yaml:3:5: bad; fix it\n"
    assert mapped(unknown)() == 2
    assert capsys.readouterr().err == "error: unknown environment 'qa'; known: dev, prod\n"


@pytest.mark.parametrize("command", ["plan", "status"])
def test_an_unknown_environment_is_a_usage_error_listing_the_known_ones(
        command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = copy_platform(tmp_path / "r")
    assert main([command, "--env", "qa", str(repo)]) == 2
    assert capsys.readouterr().err == "error: unknown environment 'qa'; known: dev, prod-cloud, prod-onprem, staging\n"


def test_schedules_names_unknown_environments_and_bad_instants(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schedules", str(REPO), "--env", "qa"]) == 2
    assert capsys.readouterr().err == "error: unknown environment 'qa'; known: dev, staging, prod-onprem, prod-cloud\n"
    assert main(["schedules", str(REPO), "--from", "yesterday"]) == 2
    assert capsys.readouterr().err == "error: Invalid isoformat string: 'yesterday'\n"
