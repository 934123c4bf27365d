"""The platformctl command line: parse, call one function, map errors to exit codes in one place.

Exit codes follow Terraform's ``-detailed-exitcode``: 0 nothing to do / valid, 1 error or
invalid, 2 usage error (and, for plan/diff, changes present).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Annotated, ParamSpec

import typer

from reconciler import report
from reconciler.errors import SpecErrors
from reconciler.source.directory import DirectorySource
from reconciler.spec.document import Spec
from reconciler.spec.load import load
from reconciler.spec.schema import schemas

P = ParamSpec("P")
app = typer.Typer(
    name="platformctl", no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
    help="Declarative GitOps for Kubeflow-style ML platforms.",
)


class Output(str, Enum):
    """Output formats."""

    text = "text"
    json = "json"


class Format(str, Enum):
    """Error annotation formats."""

    plain = "plain"
    github = "github"


def command(func: Callable[P, int]) -> Callable[P, None]:
    """Register a command whose integer result becomes the exit code."""
    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        raise typer.Exit(func(*args, **kwargs))

    app.command(name=func.__name__.strip("_").replace("_", "-"))(wrapper)
    return wrapper


RepoArg = Annotated[
    Path, typer.Argument(exists=True, file_okay=False, dir_okay=True, help="platform repository root")
]


def load_repo(path: Path) -> Spec:
    """Load and validate the platform at ``path`` (raises SpecErrors)."""
    return load(DirectorySource(path))


def _validate(
    path: RepoArg = Path("."),
    output: Annotated[Output, typer.Option("--output", "-o", help="text or json")] = Output.text,
    fmt: Annotated[Format, typer.Option("--format", help="github: ::error annotations for pull requests")] = Format.plain,
) -> int:
    """Validate the platform spec; print a summary, or every error as file:line:col."""
    try:
        spec = load_repo(path)
    except SpecErrors as exc:
        if output is Output.json:
            sys.stdout.write(report.to_json({"valid": False, "errors": [_error_dict(e) for e in exc.errors]}))
        elif fmt is Format.github:
            sys.stdout.write(report.errors_github(exc.errors))
            sys.stderr.write(report.errors_text(exc.errors))
        else:
            sys.stderr.write(report.errors_text(exc.errors))
        return 1
    data = report.summary(spec)
    if output is Output.json:
        sys.stdout.write(report.to_json({"valid": True, "errors": [], "summary": data}))
    else:
        sys.stdout.write(report.summary_text(data))
    return 0


validate = command(_validate)


def _error_dict(error: object) -> dict[str, object]:
    return {k: getattr(error, k) for k in ("path", "line", "col", "message", "hint")}


@command
def schema(
    out: Annotated[Path, typer.Option("--out", help="directory to write the JSON Schemas to")] = Path("schemas"),
) -> int:
    """Write the JSON Schemas of every spec file kind (for editors and CI)."""
    out.mkdir(parents=True, exist_ok=True)
    for name, text in schemas().items():
        (out / name).write_text(text, encoding="utf-8")
        sys.stdout.write(f"wrote {out / name}\n")
    return 0


@command
def demo(path: RepoArg = Path(".")) -> int:
    """The README demo: validate the bundled platform and summarise it (no cluster needed)."""
    return _validate(path, Output.text, Format.plain)


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code so tests can call it in-process."""
    try:
        app(args=argv, prog_name="platformctl", standalone_mode=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    run()
