"""The platformctl command line: parse, call one function, print through ``commands.output``.

Errors become exit codes in one place, ``commands.exits`` (its table: 0 done, 1 failed, 2 changes
present (plan and diff only), 64 usage error, 70 internal error).
"""

from __future__ import annotations

import dataclasses
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ParamSpec

import typer

from reconciler import report
from reconciler.commands.exits import ExitCode, UsageCodeGroup, mapped
from reconciler.commands.output import Format, Output, RenderOutput, ReviewOutput, emit, emit_outcome, json_text
from reconciler.commands.platform import load_platform, load_repo
from reconciler.commands.render import render_groups, render_text, write_files
from reconciler.commands.schedules import schedules_data, schedules_text
from reconciler.errors import PlatformctlError, SpecErrors
from reconciler.schemas import schemas
from reconciler.source.revision import describe_revision

if TYPE_CHECKING:
    from reconciler.commands.platform import Platform
    from reconciler.engine import ApplyOptions, Result

P = ParamSpec("P")
EXIT_CODES = ("Exit codes: 0 done (in sync, no change, applied); 1 failed (invalid spec, a cluster failed, "
              "refused); 2 changes present (plan and diff only); 64 usage error (unknown environment, mistyped "
              "flag, bad value); 70 internal error (a bug: the traceback follows).")
app = typer.Typer(
    name="platformctl", cls=UsageCodeGroup, no_args_is_help=True, add_completion=True,
    pretty_exceptions_enable=False, help="Declarative GitOps for Kubeflow-style ML platforms.", epilog=EXIT_CODES,
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        emit(f"platformctl {version('platformctl')}\n")
        raise typer.Exit(ExitCode.OK)


@app.callback()
def _main(
    _show_version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="print the version and exit")] = False,
) -> None:
    """Declarative GitOps for Kubeflow-style ML platforms.

    Shell completion: `platformctl --install-completion` (bash, zsh, fish, PowerShell).
    """


def command(func: Callable[P, int]) -> Callable[P, None]:
    """Register a command whose integer result becomes the exit code (its errors mapped by ``exits.mapped``)."""
    run = mapped(func)

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        raise typer.Exit(run(*args, **kwargs))

    app.command(name=func.__name__.strip("_").replace("_", "-"))(wrapper)
    return wrapper


RepoArg = Annotated[
    Path, typer.Argument(exists=True, file_okay=False, dir_okay=True, help="platform repository root")
]


PolicyOpt = Annotated[Path | None, typer.Option(
    "--policy", dir_okay=False, help="operator policy file: which clusters, namespaces and places environments may "
                                     "use [PLATFORMCTL_POLICY; ~/.config/platformctl/policy.yaml; safe defaults]")]


def _validate(
    path: RepoArg = Path("."),
    output: Annotated[Output, typer.Option("--output", "-o", help="text or json")] = Output.text,
    fmt: Annotated[Format, typer.Option("--format", help="github: ::error annotations for pull requests")] = Format.plain,
    policy: PolicyOpt = None,
) -> int:
    """Validate the platform spec (and check it against the operator policy); print a summary, or every error
    as file:line:col."""
    try:
        spec = load_platform(path, policy).spec
    except SpecErrors as exc:
        if output is Output.json:
            emit(json_text({"valid": False, "errors": [_error_dict(e) for e in exc.errors]}, sort_keys=True))
        elif fmt is Format.github:
            emit(report.errors_github(exc.errors), report.errors_text(exc.errors))
        else:
            emit(err=report.errors_text(exc.errors))
        return ExitCode.FAILED
    data = report.summary(spec)
    if output is Output.json:
        emit(json_text({"valid": True, "errors": [], "summary": data}, sort_keys=True))
    else:
        emit(report.summary_text(data))
    return ExitCode.OK


validate = command(_validate)


def _error_dict(error: object) -> dict[str, object]:
    return {k: getattr(error, k) for k in ("path", "line", "col", "message", "hint")}


@command
def schema(
    out: Annotated[Path, typer.Option("--out", help="directory to write the JSON Schemas to")] = Path("schemas"),
    output: Annotated[Output, typer.Option("--output", "-o", help="text or json (the files written)")] = Output.text,
) -> int:
    """Write the JSON Schemas of every spec file kind (for editors and CI)."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in schemas().items():
        (out / name).write_text(text, encoding="utf-8")
        written.append(str(out / name))
    emit(json_text({"written": written}) if output is Output.json else "".join(f"wrote {w}\n" for w in written))
    return ExitCode.OK


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
    groups = render_groups(load_repo(path), env or [], cluster, revision or describe_revision(path))
    if out is not None:
        for written in write_files(groups, out):
            emit(f"wrote {written}\n")
        return ExitCode.OK
    emit(render_text(groups, output.value))
    return ExitCode.OK


@command
def schedules(
    path: RepoArg = Path("."),
    env: Annotated[list[str] | None, typer.Option("--env", "-e", help="environment(s); default all")] = None,
    count: Annotated[int, typer.Option("--next", "-n", min=1, max=1000, help="fire times per schedule")] = 5,
    start: Annotated[str | None, typer.Option("--from", help="start instant (ISO 8601); default now")] = None,
    window: Annotated[int, typer.Option("--gpu-window", min=1, help="minutes within which GPU runs clash")] = 60,
    output: Annotated[Output, typer.Option("--output", "-o", help="text or json")] = Output.text,
) -> int:
    """Show the next fire times of every schedule and warn where GPU schedules overlap."""
    if output is Output.json:
        emit(json_text(schedules_data(load_repo(path), env or [], count, start, window)))
    else:
        emit(schedules_text(load_repo(path), env or [], count, start, window))
    return ExitCode.OK


EnvOpt = Annotated[str, typer.Option("--env", "-e", help="environment to act on")]


def _reconcile(path: Path, env: str, options: ApplyOptions, platform: Platform) -> list[Result]:
    from reconciler.commands.progress import reading
    from reconciler.commands.reconcile import run

    if options.apply:  # an apply shows its own progress
        return run(platform, path.resolve(), env, describe_revision(path), options)
    with reading(env):
        return run(platform, path.resolve(), env, describe_revision(path), options)


def _report_replacements(platform: Platform, results: list[Result]) -> None:
    """Objects refused because they need replacement, as file:line:col errors at the spec lines that changed them."""
    from reconciler.replacements import located_replacements

    if any(r.permanent for r in results):
        emit(err=report.errors_text(located_replacements(platform.spec, results)))


@command
def plan(
    env: EnvOpt,
    path: RepoArg = Path("."),
    output: Annotated[Output, typer.Option("--output", "-o")] = Output.text,
    diff: Annotated[bool, typer.Option("--diff/--no-diff", help="show unified YAML diffs")] = True,
    prune: Annotated[bool, typer.Option("--prune/--no-prune", help="plan pruning of objects Git dropped")] = True,
    policy: PolicyOpt = None,
) -> int:
    """Compare what Git renders with what the clusters hold (exit 0 in sync, 2 changes, 1 error, 64 usage)."""
    from reconciler.changes import exit_code, plan_text, results_json
    from reconciler.engine import ApplyOptions

    from reconciler.fleet import placements
    from reconciler.rollout.planned import rollout_notes

    platform = load_platform(path, policy, (env,))
    results = _reconcile(path, env, ApplyOptions(apply=False, prune=prune), platform)
    rollouts = {p.cluster.name: p.rollouts for p in placements(platform.spec, env, "plan")}
    notes = {key: note for r in results for key, note in rollout_notes(r, rollouts.get(r.target.cluster, ())).items()}
    emit(results_json(results) if output is Output.json else plan_text(results, show_diff=diff, notes=notes))
    _report_replacements(platform, results)
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
    diff: Annotated[bool, typer.Option("--diff", help="before asking, show every object and its diff (default: "
                                                      "counts per action and kind)")] = False,
    policy: PolicyOpt = None,
) -> int:
    """Converge every cluster of an environment: dry-run all, apply in order, optionally prune.

    Without --yes it first shows what would change and asks; on a terminal the apply shows a progress bar
    and each object as it is written.
    """
    from reconciler.changes import apply_text, plan_summary, plan_text, results_json
    from reconciler.engine import ApplyOptions

    options = ApplyOptions(prune=prune, prune_protected=prune_protected, allow_mass_prune=allow_mass_prune,
                           replace=replace, adopt=adopt, release=release)
    platform = load_platform(path, policy, (env,))
    if not yes:
        planned = _reconcile(path, env, dataclasses.replace(options, apply=False), platform)
        emit(results_json(planned) if output is Output.json else plan_text(planned) if diff else plan_summary(planned))
        if output is Output.text and not diff and any(r.plan is not None and r.plan.has_changes for r in planned):
            emit("(--diff shows every object and its diff)\n")
        _report_replacements(platform, planned)
        if any(not r.ok for r in planned):
            return ExitCode.FAILED
        if not any(r.plan is not None and r.plan.has_changes for r in planned):
            return ExitCode.OK
        if not sys.stdin.isatty():
            emit(err="error: refusing to apply without --yes when not attached to a terminal\n")
            return ExitCode.FAILED
        if not typer.confirm("Apply these changes?", default=False):
            return ExitCode.FAILED
    from reconciler.commands.progress import for_apply

    with for_apply(text=output is Output.text) as progress:
        results = _reconcile(path, env, dataclasses.replace(options, progress=progress), platform)
    emit(results_json(results) if output is Output.json else apply_text(results, each=progress is None))
    _report_replacements(platform, results)
    return ExitCode.OK if all(r.ok for r in results) else ExitCode.FAILED


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

    results = _reconcile(path, env, ApplyOptions(apply=False), load_platform(path, policy, (env,)))
    rows = status_rows(results)
    emit(status_json(rows) if output is Output.json else status_table(rows))
    return ExitCode.OK if all(r.ok for r in results) else ExitCode.FAILED


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
    watch_cache: Annotated[bool | None, typer.Option("--watch-cache/--no-watch-cache", help="plan from the drift "
                                                     "watches' cache: a no-op reconcile sends no request "
                                                     "[PLATFORMCTL_WATCH_CACHE; on]")] = None,
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
    read_token_file: Annotated[str | None, typer.Option("--read-token-file", help="file holding the bearer token "
                                                        "the dashboard, /status.json and /metrics then need "
                                                        "[PLATFORMCTL_READ_TOKEN(_FILE); open]")] = None,
    identity: Annotated[str | None, typer.Option("--identity", help="lease holder identity "
                                                                    "[PLATFORMCTL_IDENTITY; host-pid]")] = None,
    shards: Annotated[int | None, typer.Option("--shards", help="spread the clusters over the replicas in this "
                                               "many shards, one Lease each [PLATFORMCTL_SHARDS; 0: one leader]")] = None,
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
    prometheus_url: Annotated[str | None, typer.Option("--prometheus-url", help="Prometheus query API that judges "
                                                       "progressive rollouts [PLATFORMCTL_PROMETHEUS_URL; none]")] = None,
    promote_after_rollout: Annotated[bool | None, typer.Option(
        "--promote-after-rollout/--no-promote-after-rollout", help="after a successful progressive rollout, open "
        "the promotion to the next stage as a branch [PLATFORMCTL_PROMOTE_AFTER_ROLLOUT; off]")] = None,
    notifications: Annotated[str | None, typer.Option("--notifications", dir_okay=False, help="notifications "
                                                      "file (providers, secrets by file) [PLATFORMCTL_NOTIFICATIONS; "
                                                      "none]")] = None,
    events: Annotated[bool | None, typer.Option("--events/--no-events", help="record Kubernetes Events on managed "
                                                "objects [PLATFORMCTL_EVENTS; on]")] = None,
    output: Annotated[Output, typer.Option("--output", "-o", help="with --once: text or json (the daemon's "
                                                                  "logs: --log-format)")] = Output.text,
) -> int:
    """Run the GitOps daemon: apply the branch head to every managed cluster, heal drift, serve endpoints."""
    from reconciler.daemon.config import ConfigError, build_config
    from reconciler.daemon.service import run as run_daemon

    flags = {"repo": repo, "branch": branch, "environments": env, "poll_interval": interval,
             "drift_interval": drift_interval, "drift_watch": drift_watch, "watch_cache": watch_cache, "listen": listen, "prune": prune, "self_heal": self_heal,
             "watch": watch, "lease": lease, "lease_namespace": lease_namespace, "state_dir": state_dir,
             "allowed_signers": allowed_signers, "gnupg_home": gnupg_home, "identity": identity, "shards": shards,
             "log_format": log_format, "webhook_secret_file": webhook_secret_file, "policy": policy,
             "read_token_file": read_token_file,
             "own_namespace": own_namespace, "answer_timeout": answer_timeout, "prometheus_url": prometheus_url,
             "promote_after_rollout": promote_after_rollout, "notifications": notifications, "events": events}
    if output is Output.json and not once:
        emit(err="error: --output json needs --once (a running daemon logs JSON with --log-format json)\n")
        return ExitCode.USAGE
    try:
        config = build_config(flags)
    except ConfigError as exc:
        emit(err=f"error: {exc}\n")
        return ExitCode.USAGE
    try:
        return run_daemon(config, once=once, json=output is Output.json)
    except PlatformctlError as exc:  # a busy --listen port, a GitSourceError or ClusterError of a bad start
        emit(err=f"error: {exc}\n")
        return ExitCode.FAILED
    except Exception as exc:  # noqa: BLE001 - anything else of a bad start, as one line
        emit(err=f"error: {type(exc).__name__}: {exc}\n")
        return ExitCode.FAILED


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
    """Review a change between two Git revisions, no cluster needed (exit 0 no change, 2 changes, 1 error,
    64 usage)."""
    from reconciler.commands.diff import run_diff

    return emit_outcome(run_diff(path, base, head, env or [], output.value, start, policy))


@command
def promote(
    to: Annotated[list[str], typer.Option("--to", help="an environment whose pinned versions change, or a stage "
                                                       "(all its environments); repeat for several, one commit")],
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
    pull_request: Annotated[bool, typer.Option("--pull-request", help="with --push: open a pull request (GitHub) "
                                                                     "or merge request (GitLab) into the current "
                                                                     "branch")] = False,
    forge: Annotated[str | None, typer.Option("--forge", help="github or gitlab; default: told from the remote's "
                                                              "host")] = None,
    forge_api: Annotated[str | None, typer.Option("--forge-api", help="the forge's API root (GitHub Enterprise, "
                                                                      "self-hosted GitLab)")] = None,
    forge_token_file: Annotated[Path | None, typer.Option("--forge-token-file", dir_okay=False, help="file holding "
                                                          "the API token [PLATFORMCTL_FORGE_TOKEN, GITHUB_TOKEN, "
                                                          "GITLAB_TOKEN]")] = None,
    output: Annotated[Output, typer.Option("--output", "-o", help="text or json")] = Output.text,
) -> int:
    """Copy pinned versions from one environment to the next stage's as one commit on a new branch
    (0 done, 1 refused, 64 usage)."""
    from reconciler.commands.promote import PromoteRequest, run_promote

    request = PromoteRequest(components=tuple(components or ()), release=release, source=source, targets=tuple(to),
                             version=version, skip_stage=skip_stage, require_healthy=require_healthy,
                             dry_run=dry_run, push=push, branch=branch, remote=remote,
                             json=output is Output.json, pull_request=pull_request, forge=forge,
                             forge_api=forge_api, forge_token_file=forge_token_file)
    return emit_outcome(run_promote(repo, request))


@command
def demo(
    path: RepoArg = Path("."),
    output: Annotated[Output, typer.Option("--output", "-o", help="text or json")] = Output.text,
) -> int:
    """The README demo, no cluster needed: validate, render, reconcile dev into its local directory, show status."""
    from reconciler.commands.demo import run_demo

    return emit_outcome(run_demo(path, json=output is Output.json))


rollout_app = typer.Typer(name="rollout", no_args_is_help=True,
                          help="Progressive rollouts of served models (canary.steps): status, pause, resume, abort.")
app.add_typer(rollout_app)
ComponentArg = Annotated[str, typer.Argument(help="the served model: NAME or serving/NAME")]


def rollout_command(func: Callable[P, int]) -> Callable[P, None]:
    """Register ``rollout_<verb>`` as ``platformctl rollout <verb>`` (exit code and errors as ``command``)."""
    run = mapped(func)

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        raise typer.Exit(run(*args, **kwargs))

    rollout_app.command(name=func.__name__.removeprefix("rollout_"))(wrapper)
    return wrapper


def _rollout(action: str, component: str, env: str, path: Path, output: Output, policy: Path | None) -> int:
    from reconciler.commands.rollout import run_rollout

    platform = load_platform(path, policy, (env,))
    return emit_outcome(run_rollout(platform, path.resolve(), env, component, action, as_json=output is Output.json))


@rollout_command
def rollout_status(component: ComponentArg, env: EnvOpt, path: RepoArg = Path("."),
                   output: Annotated[Output, typer.Option("--output", "-o")] = Output.text,
                   policy: PolicyOpt = None) -> int:
    """The rollout of COMPONENT on each cluster: phase, step, share, last analysis, time to the next step."""
    return _rollout("status", component, env, path, output, policy)


@rollout_command
def rollout_pause(component: ComponentArg, env: EnvOpt, path: RepoArg = Path("."),
                  output: Annotated[Output, typer.Option("--output", "-o")] = Output.text,
                  policy: PolicyOpt = None) -> int:
    """Hold the rollout at its step (the daemon stops the step's clock at its next look)."""
    return _rollout("pause", component, env, path, output, policy)


@rollout_command
def rollout_resume(component: ComponentArg, env: EnvOpt, path: RepoArg = Path("."),
                   output: Annotated[Output, typer.Option("--output", "-o")] = Output.text,
                   policy: PolicyOpt = None) -> int:
    """Go on with a paused rollout from where its step's clock stopped."""
    return _rollout("resume", component, env, path, output, policy)


@rollout_command
def rollout_abort(component: ComponentArg, env: EnvOpt, path: RepoArg = Path("."),
                  output: Annotated[Output, typer.Option("--output", "-o")] = Output.text,
                  policy: PolicyOpt = None) -> int:
    """Give the new version's share back (0%) and end the rollout as Aborted."""
    return _rollout("abort", component, env, path, output, policy)


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
