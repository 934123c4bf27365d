"""One error mapper: spec errors exit 1, usage errors 64 (never 2, plan/diff's "changes"), anything else 70."""

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


def test_spec_and_usage_errors_map_to_1_and_64(capsys: pytest.CaptureFixture[str]) -> None:
    def invalid() -> int:
        raise SpecErrors([SpecError("a.yaml", 3, 5, "bad", "fix it")])

    def unknown() -> int:
        raise UnknownEnvironment("qa", ["dev", "prod"])

    assert mapped(invalid)() == 1
    assert capsys.readouterr().err == "a.yaml:3:5: bad; fix it\n"
    assert mapped(unknown)() == 64
    assert capsys.readouterr().err == "error: unknown environment 'qa'; known: dev, prod\n"


@pytest.mark.parametrize("command", ["plan", "status"])
def test_an_unknown_environment_is_a_usage_error_listing_the_known_ones(
        command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = copy_platform(tmp_path / "r")
    assert main([command, "--env", "qa", str(repo)]) == 64
    assert capsys.readouterr().err == "error: unknown environment 'qa'; known: dev, prod-cloud, prod-onprem, staging\n"


def test_schedules_names_unknown_environments_and_bad_instants(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schedules", str(REPO), "--env", "qa"]) == 64
    assert capsys.readouterr().err == "error: unknown environment 'qa'; known: dev, staging, prod-onprem, prod-cloud\n"
    assert main(["schedules", str(REPO), "--from", "yesterday"]) == 64
    assert capsys.readouterr().err == "error: Invalid isoformat string: 'yesterday'\n"


@pytest.mark.parametrize("argv", [
    ["plan", "--env", "nope", str(REPO)],          # an unknown environment
    ["plan", "--env", "dev", "--no-dif", str(REPO)],  # a mistyped flag
    ["plan", "--env", "dev", "--output", "yaml", str(REPO)],  # a bad value
    ["plan", str(REPO)],                           # a missing option
    ["diff", "--base", "HEAD", "--env", "nope", str(REPO)],
    ["diff", "--bse", "HEAD", str(REPO)],
    ["--no-such-flag"],
])
def test_plan_and_diff_usage_errors_never_exit_2_which_means_changes(
        argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == ExitCode.USAGE == 64
    assert capsys.readouterr().err


def test_help_documents_the_exit_codes_and_version_prints_it(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    assert main(["--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "2 changes present (plan and diff only)" in text and "64 usage error" in text
    assert "--install-completion" in text
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"platformctl {version('platformctl')}\n"


def test_shell_completion_script_is_offered(capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # the shell is named, not detected: detection reads the process tree (under make, a `sh` parent)
    monkeypatch.setenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION", "1")
    assert main(["--show-completion", "bash"]) == 0
    assert "_PLATFORMCTL_COMPLETE" in capsys.readouterr().out
