"""The platformctl command line: parse, call one function, map errors to exit codes in one place.

Exit codes follow Terraform's ``-detailed-exitcode``: 0 nothing to do / valid, 1 error or
invalid, 2 usage error (and, for plan/diff, changes present).
"""

from __future__ import annotations

import dataclasses
import functools
import sys
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ParamSpec

import typer

from reconciler import report
from reconciler.commands.common import load_repo
from reconciler.commands.render import render_groups, render_text, write_files
from reconciler.commands.schedules import schedules_text
from reconciler.errors import SpecErrors
from reconciler.source.revision import describe_revision
from reconciler.spec.schema import schemas

if TYPE_CHECKING:
    from reconciler.engine import ApplyOptions, Result
    from reconciler.spec.document import Spec

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


PolicyOpt = Annotated[Path | None, typer.Option(
    "--policy", dir_okay=False, help="operator policy file: which clusters, namespaces and places environments may "
                                     "use [PLATFORMCTL_POLICY; ~/.config/platformctl/policy.yaml; safe defaults]")]


def _report_spec_errors(exc: SpecErrors) -> int:
    sys.stderr.write(report.errors_text(exc.errors))
    return 1


def _validate(
    path: RepoArg = Path("."),
    output: Annotated[Output, typer.Option("--output", "-o", help="text or json")] = Output.text,
    fmt: Annotated[Format, typer.Option("--format", help="github: ::error annotations for pull requests")] = Format.plain,
    policy: PolicyOpt = None,
) -> int:
    """Validate the platform spec (and check it against the operator policy); print a summary, or every error
    as file:line:col."""
    from reconciler.policy.check import require
    from reconciler.policy.resolve import enforcement

    try:
        enforced = enforcement(path, policy)
        spec = load_repo(path)
        require(spec, enforced)
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


class RenderOutput(str, Enum):
    """Render output formats."""

    yaml = "yaml"
    json = "json"


@command
def render(
    path: RepoArg = Path("."),
    env: Annotated[list[str] | None, typer.Option("--env", "-e", help="environment(s); default all")] = None,
    cluster: Annotated[str | None, typer.Option("--cluster", "-c", help="only this cluster")] = None,
    output: Annotated[RenderOutput, typer.Option("--output", "-o")] = RenderOutput.yaml,
    out: Annotated[Path | None, typer.Option("--out", help="write one file per object under DIR/<env>/<cluster>/")] = None,
    revision: Annotated[str | None, typer.Option("--revision", help="source revision to stamp; default: Git HEAD")] = None,
) -> int:
    """Print (or write) the Kubernetes objects each environment and cluster must hold."""
    try:
        spec = load_repo(path)
        groups = render_groups(spec, env or [], cluster, revision or describe_revision(path))
    except SpecErrors as exc:
        return _report_spec_errors(exc)
    except KeyError as exc:
        sys.stderr.write(f"error: {exc.args[0]}\n")
        return 2
    if out is not None:
        for written in write_files(groups, out):
            sys.stdout.write(f"wrote {written}\n")
        return 0
    sys.stdout.write(render_text(groups, output.value))
    return 0


@command
def schedules(
    path: RepoArg = Path("."),
    env: Annotated[list[str] | None, typer.Option("--env", "-e", help="environment(s); default all")] = None,
    count: Annotated[int, typer.Option("--next", "-n", min=1, max=1000, help="fire times per schedule")] = 5,
    start: Annotated[str | None, typer.Option("--from", help="start instant (ISO 8601); default now")] = None,
    window: Annotated[int, typer.Option("--gpu-window", min=1, help="minutes within which GPU runs clash")] = 60,
) -> int:
    """Show the next fire times of every schedule and warn where GPU schedules overlap."""
    try:
        spec = load_repo(path)
        text = schedules_text(spec, env or [], count, start, window)
    except SpecErrors as exc:
        return _report_spec_errors(exc)
    except (KeyError, ValueError) as exc:
        sys.stderr.write(f"error: {exc.args[0]}\n")
        return 2
    sys.stdout.write(text)
    return 0


EnvOpt = Annotated[str, typer.Option("--env", "-e", help="environment to act on")]


def _reconcile(path: Path, env: str, options: ApplyOptions, spec: Spec | None = None,
               policy: Path | None = None) -> list[Result]:
    from reconciler.commands.reconcile import run
    from reconciler.policy.resolve import enforcement

    enforced = enforcement(path.resolve(), policy)  # a broken policy file stops here, before the spec
    return run(spec or load_repo(path), path.resolve(), env, describe_revision(path), options, enforced)


def _report_replacements(spec: Spec, results: list[Result]) -> None:
    """Objects refused because they need replacement, as file:line:col errors at the spec lines that changed them."""
    from reconciler.commands.replacements import located_replacements

    if any(r.permanent for r in results):
        sys.stderr.write(report.errors_text(located_replacements(spec, results)))


@command
def plan(
    env: EnvOpt,
    path: RepoArg = Path("."),
    output: Annotated[Output, typer.Option("--output", "-o")] = Output.text,
    diff: Annotated[bool, typer.Option("--diff/--no-diff", help="show unified YAML diffs")] = True,
    prune: Annotated[bool, typer.Option("--prune/--no-prune", help="plan pruning of objects Git dropped")] = True,
    policy: PolicyOpt = None,
) -> int:
    """Compare what Git renders with what the clusters hold (exit 0 in sync, 2 changes, 1 error)."""
    from reconciler.changes import exit_code, plan_text, results_json
    from reconciler.engine import ApplyOptions

    try:
        spec = load_repo(path)
        results = _reconcile(path, env, ApplyOptions(apply=False, prune=prune), spec, policy)
    except SpecErrors as exc:
        return _report_spec_errors(exc)
    except KeyError as exc:
        sys.stderr.write(f"error: {exc.args[0]}\n")
        return 2
    sys.stdout.write(results_json(results) if output is Output.json else plan_text(results, show_diff=diff))
    _report_replacements(spec, results)
    return exit_code(results)


@command
def apply(
    env: EnvOpt,
    path: RepoArg = Path("."),
    prune: Annotated[bool, typer.Option("--prune/--no-prune", help="delete objects Git no longer holds")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="apply without asking")] = False,
    prune_protected: Annotated[bool, typer.Option("--prune-protected", help="also prune namespaces, PVCs, CRDs")] = False,
    allow_mass_prune: Annotated[bool, typer.Option("--allow-mass-prune", help="override the deletion budget")] = False,
    replace: Annotated[bool, typer.Option("--replace", help="delete and re-create objects whose change the cluster "
                                                            "refuses (a replaced PVC loses its data)")] = False,
    adopt: Annotated[bool, typer.Option("--adopt", help="rebuild a missing or unreadable inventory from the objects "
                                                        "platformctl applied (their managedFields)")] = False,
    release: Annotated[bool, typer.Option("--release", help="forget objects Git dropped that pruning leaves in place "
                                                            "(kept); they stay on the cluster")] = False,
    output: Annotated[Output, typer.Option("--output", "-o")] = Output.text,
    policy: PolicyOpt = None,
) -> int:
    """Converge every cluster of an environment: dry-run all, apply in order, optionally prune."""
    from reconciler.changes import apply_text, plan_text, results_json
    from reconciler.engine import ApplyOptions

    options = ApplyOptions(prune=prune, prune_protected=prune_protected, allow_mass_prune=allow_mass_prune,
                           replace=replace, adopt=adopt, release=release)
    try:
        spec = load_repo(path)
        if not yes:
            planned = _reconcile(path, env, dataclasses.replace(options, apply=False), spec, policy)
            sys.stdout.write(plan_text(planned))
            _report_replacements(spec, planned)
            if any(not r.ok for r in planned):
                return 1
            if not any(r.plan is not None and r.plan.has_changes for r in planned):
                return 0
            if not sys.stdin.isatty():
                sys.stderr.write("error: refusing to apply without --yes when not attached to a terminal\n")
                return 1
            if not typer.confirm("Apply these changes?", default=False):
                return 1
        results = _reconcile(path, env, options, spec, policy)
    except SpecErrors as exc:
        return _report_spec_errors(exc)
    except KeyError as exc:
        sys.stderr.write(f"error: {exc.args[0]}\n")
        return 2
    sys.stdout.write(results_json(results) if output is Output.json else apply_text(results))
    _report_replacements(spec, results)
    return 0 if all(r.ok for r in results) else 1


@command
def status(
    env: EnvOpt,
    path: RepoArg = Path("."),
    output: Annotated[Output, typer.Option("--output", "-o")] = Output.text,
    policy: PolicyOpt = None,
) -> int:
    """A table of components x clusters with sync state and health (exit 1 when a cluster fails)."""
    from reconciler.commands.status import status_json, status_table
    from reconciler.component_status import status_rows
    from reconciler.engine import ApplyOptions

    try:
        results = _reconcile(path, env, ApplyOptions(apply=False), policy=policy)
    except SpecErrors as exc:
        return _report_spec_errors(exc)
    except KeyError as exc:
        sys.stderr.write(f"error: {exc.args[0]}\n")
        return 2
    rows = status_rows(results)
    sys.stdout.write(status_json(rows) if output is Output.json else status_table(rows))
    return 0 if all(r.ok for r in results) else 1


@command
def _run(
    repo: Annotated[str | None, typer.Option("--repo", help="repository path or URL [PLATFORMCTL_REPO; default .]")] = None,
    branch: Annotated[str | None, typer.Option("--branch", help="branch to apply [PLATFORMCTL_BRANCH; main]")] = None,
    env: Annotated[list[str] | None, typer.Option("--env", "-e", help="environment(s) to manage "
                                                                  "[PLATFORMCTL_ENVIRONMENTS; all]")] = None,
    interval: Annotated[str | None, typer.Option("--interval", help="Git poll interval, 0 off "
                                                                    "[PLATFORMCTL_INTERVAL; 30s]")] = None,
    drift_interval: Annotated[str | None, typer.Option("--drift-interval", help="drift check interval, 0 off "
                                                                                "[PLATFORMCTL_DRIFT_INTERVAL; 5m]")] = None,
    drift_watch: Annotated[bool | None, typer.Option("--drift-watch/--no-drift-watch", help="watch managed kinds "
                                                     "and check drift as it happens [PLATFORMCTL_DRIFT_WATCH; on]")] = None,
    listen: Annotated[str | None, typer.Option("--listen", help="host:port of the endpoints, 'off' for none "
                                                                "[PLATFORMCTL_LISTEN; 127.0.0.1:8080]")] = None,
    once: Annotated[bool, typer.Option("--once", help="reconcile every target once and exit (0 all converged)")] = False,
    prune: Annotated[bool | None, typer.Option("--prune/--no-prune", help="delete objects Git dropped "
                                                                          "[PLATFORMCTL_PRUNE; on]")] = None,
    self_heal: Annotated[bool | None, typer.Option("--self-heal/--no-self-heal", help="drift checks apply "
                                                   "[PLATFORMCTL_SELF_HEAL; on]")] = None,
    watch: Annotated[bool | None, typer.Option("--watch/--no-watch", help="watch a local repository's refs "
                                                                          "[PLATFORMCTL_WATCH; on]")] = None,
    lease: Annotated[str | None, typer.Option("--lease", help="auto, kube, file or none [PLATFORMCTL_LEASE]")] = None,
    lease_namespace: Annotated[str | None, typer.Option("--lease-namespace", help="namespace of the Lease "
                                                        "[PLATFORMCTL_LEASE_NAMESPACE; platformctl-system]")] = None,
    state_dir: Annotated[str | None, typer.Option("--state-dir", help="clone and file lease "
                                                                      "[PLATFORMCTL_STATE_DIR]")] = None,
    allowed_signers: Annotated[str | None, typer.Option("--allowed-signers", help="SSH allowed_signers: apply "
                                                        "only commits they signed [PLATFORMCTL_ALLOWED_SIGNERS]")] = None,
    gnupg_home: Annotated[str | None, typer.Option("--gnupg-home", help="GPG home of the allowed keys "
                                                                        "[PLATFORMCTL_GNUPGHOME]")] = None,
    webhook_secret_file: Annotated[str | None, typer.Option("--webhook-secret-file", help="file holding the "
                                                            "webhook HMAC secret [PLATFORMCTL_WEBHOOK_SECRET(_FILE)]")] = None,
    identity: Annotated[str | None, typer.Option("--identity", help="lease holder identity "
                                                                    "[PLATFORMCTL_IDENTITY; host-pid]")] = None,
    log_format: Annotated[str | None, typer.Option("--log-format", help="json, console or auto "
                                                                        "[PLATFORMCTL_LOG_FORMAT]")] = None,
    policy: Annotated[str | None, typer.Option("--policy", help="operator policy file, e.g. a mounted ConfigMap "
                                                                "[PLATFORMCTL_POLICY; safe defaults]")] = None,
    own_namespace: Annotated[str | None, typer.Option("--own-namespace", help="the daemon's namespace, never "
                                                      "written by an environment [PLATFORMCTL_OWN_NAMESPACE; "
                                                      "POD_NAMESPACE; the service account's]")] = None,
    answer_timeout: Annotated[str | None, typer.Option("--answer-timeout", help="a cluster read without an answer "
                                                       "this long marks the cluster unreachable "
                                                       "[PLATFORMCTL_ANSWER_TIMEOUT; 10s]")] = None,
) -> int:
    """Run the GitOps daemon: apply the branch head to every managed cluster, heal drift, serve endpoints."""
    from reconciler.daemon.config import ConfigError, build_config
    from reconciler.daemon.service import run as run_daemon

    flags = {"repo": repo, "branch": branch, "environments": env, "poll_interval": interval,
             "drift_interval": drift_interval, "drift_watch": drift_watch, "listen": listen, "prune": prune, "self_heal": self_heal,
             "watch": watch, "lease": lease, "lease_namespace": lease_namespace, "state_dir": state_dir,
             "allowed_signers": allowed_signers, "gnupg_home": gnupg_home, "identity": identity,
             "log_format": log_format, "webhook_secret_file": webhook_secret_file, "policy": policy,
             "own_namespace": own_namespace, "answer_timeout": answer_timeout}
    try:
        config = build_config(flags)
    except ConfigError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    try:
        return run_daemon(config, once=once)
    except Exception as exc:  # noqa: BLE001 - the GitSourceError/ClusterError of a bad start, as one line
        sys.stderr.write(f"error: {type(exc).__name__}: {exc}\n")
        return 1


class ReviewOutput(str, Enum):
    """Diff output formats."""

    text = "text"
    json = "json"
    markdown = "markdown"


@command
def _diff(
    base: Annotated[str, typer.Option("--base", help="the revision to compare against (branch, tag, SHA)")],
    path: RepoArg = Path("."),
    head: Annotated[str, typer.Option("--head", help="the revision under review; WORKTREE: the files on disk")] = "HEAD",
    env: Annotated[list[str] | None, typer.Option("--env", "-e", help="environment(s); default all")] = None,
    output: Annotated[ReviewOutput, typer.Option("--output", "-o", help="text, json or markdown (PR comment)")] = (
        ReviewOutput.text),
    start: Annotated[str | None, typer.Option("--from", help="reference instant for schedule times (ISO 8601); "
                                                            "default now")] = None,
    policy: PolicyOpt = None,
) -> int:
    """Review a change between two Git revisions, no cluster needed (exit 0 no change, 2 changes, 1 error)."""
    from reconciler.commands.diff import run_diff

    outcome = run_diff(path, base, head, env or [], output.value, start, policy)
    sys.stdout.write(outcome.stdout)
    sys.stderr.write(outcome.stderr)
    return outcome.code


@command
def promote(
    to: Annotated[str, typer.Option("--to", help="the environment whose pinned versions change")],
    components: Annotated[list[str] | None, typer.Argument(
        help="components to promote: NAME or KIND/NAME (or use --release)", show_default=False)] = None,
    source: Annotated[str | None, typer.Option("--from", help="the environment whose versions are copied")] = None,
    release: Annotated[str | None, typer.Option("--release", help="promote a release of platform.yaml "
                                                                 "spec.releases")] = None,
    version: Annotated[str | None, typer.Option("--version", help="pin this version (a rollback); no --from")] = None,
    skip_stage: Annotated[bool, typer.Option("--skip-stage", help="allow skipping stages of the promotion "
                                                                  "order")] = False,
    require_healthy: Annotated[bool, typer.Option("--require-healthy", help="refuse unless Healthy and Synced in "
                                                                            "--from (reads its clusters)")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="print the change and commit nothing")] = False,
    push: Annotated[bool, typer.Option("--push", help="push the new branch to --remote")] = False,
    branch: Annotated[str | None, typer.Option("--branch", help="branch name; default promote/<to>/<what>")] = None,
    remote: Annotated[str, typer.Option("--remote", help="where --push pushes")] = "origin",
    repo: Annotated[Path, typer.Option("--repo", "-C", exists=True, file_okay=False,
                                       help="platform repository root")] = Path("."),
) -> int:
    """Copy pinned versions from one environment to the next as a commit on a new branch (0 done, 1 refused)."""
    from reconciler.commands.promote import PromoteRequest, run_promote

    request = PromoteRequest(components=tuple(components or ()), release=release, source=source, target=to,
                             version=version, skip_stage=skip_stage, require_healthy=require_healthy,
                             dry_run=dry_run, push=push, branch=branch, remote=remote)
    outcome = run_promote(repo, request)
    sys.stdout.write(outcome.stdout)
    sys.stderr.write(outcome.stderr)
    return outcome.code


@command
def demo(path: RepoArg = Path(".")) -> int:
    """The README demo, no cluster needed: validate, render, reconcile dev into its local directory, show status."""
    from reconciler.commands.demo import run_demo

    code, out, err = run_demo(path)
    sys.stdout.write(out)
    sys.stderr.write(err)
    return code


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
