"""The assembled service (SIGTERM, endpoints, file lease), ``platformctl run --once``, and configuration."""

from __future__ import annotations

import json
import os
import signal
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.daemon import DaemonConfig, FileLeaseStore, ManualClock, build_config, build_service
from reconciler.daemon.config import ConfigError, parse_duration
from tests.daemon.conftest import WAIT, Repo
from tests.daemon.test_triggers import cpu_edit
from kubeserver.server import KubeServer


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - loopback
            return int(answer.status), answer.read()
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read()


def test_sigterm_finishes_the_apply_releases_the_lease_and_stops_the_endpoints(repo: Repo, tmp_path: Path) -> None:
    state = tmp_path / "state"
    config = DaemonConfig(repo=str(repo.path), environments=("dev",), listen="127.0.0.1:0", lease="file",
                          state_dir=state, cluster_root=tmp_path / "clusters", identity="replica-a", watch=False)
    service = build_service(config, clock=ManualClock())
    daemon = service.daemon
    assert service.endpoints is not None
    seen: dict[str, object] = {}

    def operator() -> None:
        """Waits (bounded) for the first apply, reads the endpoints, then sends SIGTERM to this process."""
        try:
            if daemon.wait_until(lambda: bool(daemon.targets()) and all(s.applied for s in daemon.targets()), WAIT):
                url = f"http://127.0.0.1:{service.endpoints.port}"  # type: ignore[union-attr]
                seen["ready"] = _get(f"{url}/readyz")[0]
                seen["status"] = json.loads(_get(f"{url}/status.json")[1])
                seen["url"] = url
                seen["lease"] = FileLeaseStore(state, "platformctl-leader").get()
        finally:
            os.kill(os.getpid(), signal.SIGTERM)

    helper = threading.Thread(target=operator)
    helper.start()
    code = service.run()  # the main thread: it owns the signal handlers
    helper.join(WAIT)

    assert code == 0
    assert seen["ready"] == 200
    status = seen["status"]
    assert isinstance(status, dict) and status["leader"] is True and status["revision"] == repo.head()
    held = seen["lease"]
    assert held is not None and held.holder == "replica-a"  # type: ignore[attr-defined]
    released = FileLeaseStore(state, "platformctl-leader").get()
    assert released is not None and released.holder == "" and released.duration == 1
    assert not daemon.ready()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{seen['url']}/healthz", timeout=5)  # noqa: S310
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_run_once_applies_the_dev_environment_of_a_git_repository(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["run", "--repo", str(repo.path), "--env", "dev", "--once", "--log-format", "json"]
    cluster = repo.path / ".platformctl" / "clusters" / "dev"

    assert main(args) == 0
    first = capsys.readouterr()
    assert first.out.startswith(f"revision {repo.head()}\ndev/local:\n")
    assert "22 created" in first.out and '"event": "reconciled"' in first.err
    assert (cluster / "ml-dev" / "notebooks.kubeflow.org" / "analytics.yaml").is_file()

    assert main(args) == 0
    assert "22 unchanged" in capsys.readouterr().out

    bad = repo.commit("broken notebook", {"components/notebooks/analytics.yaml": lambda t: t + "bogus: 1\n"})
    assert main(args) == 1
    broken = capsys.readouterr()
    assert f"error: revision {bad[:12]} rejected (spec):\ncomponents/notebooks/analytics.yaml:" in broken.err
    assert (cluster / "ml-dev" / "notebooks.kubeflow.org" / "analytics.yaml").is_file()  # nothing pruned

    repo.commit("analytics: 3 CPUs", {"components/notebooks/analytics.yaml": lambda t: t.replace("bogus: 1\n", "")})
    repo.commit("analytics: 3 CPUs", cpu_edit("3"))
    assert main(args) == 0
    assert "Notebook/ml-dev/analytics configured" in capsys.readouterr().out


def test_run_once_against_an_api_server_applies_and_opens_no_watch(
    repo: Repo, capsys: pytest.CaptureFixture[str], kube_cluster_factory: Callable[..., KubeServer], tmp_path: Path
) -> None:
    server = kube_cluster_factory("dev-api")
    server.install_crds()
    (tmp_path / "kube").mkdir()
    config = server.write_kubeconfig(tmp_path / "kube" / "dev")
    policy = tmp_path / "policy.yaml"
    policy.write_text("kind: OperatorPolicy\nspec: {kubeconfigDir: kube}\n")  # the operator allows kubeconfigs there
    repo.commit("dev on an API server", {"environments/dev.yaml": lambda t: t.replace(
        "      directory: .platformctl/clusters/dev\n", f"      kubeconfig: {{context: dev-api, path: {config}}}\n")})

    assert main(["run", "--repo", str(repo.path), "--env", "dev", "--once", "--lease", "none",
                 "--policy", str(policy)]) == 0
    assert "22 created" in capsys.readouterr().out
    assert server.count("patch") > 20 and server.count("watch") == 0  # one pass: nothing to watch for


def test_run_once_refuses_while_another_replica_holds_the_lease(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = ManualClock()
    from reconciler.daemon import LeaderElector

    state = DaemonConfig(repo=str(repo.path)).resolved_state_dir()
    holder = LeaderElector(FileLeaseStore(state, "platformctl-leader"), "other", clock)
    assert holder.tick()

    assert main(["run", "--repo", str(repo.path), "--env", "dev", "--once"]) == 1
    assert "not applied: another replica holds the lease (other)" in capsys.readouterr().err
    assert not (repo.path / ".platformctl" / "clusters").exists()


def test_configuration_comes_from_flags_then_variables_then_defaults(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n")
    environ = {"PLATFORMCTL_REPO": "https://git.example.com/platform.git", "PLATFORMCTL_BRANCH": "release",
               "PLATFORMCTL_INTERVAL": "1m", "PLATFORMCTL_ENVIRONMENTS": "staging, prod-cloud",
               "PLATFORMCTL_PRUNE": "false", "PLATFORMCTL_WEBHOOK_SECRET_FILE": str(secret),
               "PLATFORMCTL_LEASE_NAMESPACE": "gitops", "PLATFORMCTL_ALLOWED_SIGNERS": "/etc/platformctl/signers"}

    config = build_config({"poll_interval": "500ms", "environments": None, "listen": "off"}, environ)

    assert (config.repo, config.branch, config.poll_interval, config.environments) == (
        "https://git.example.com/platform.git", "release", 0.5, ("staging", "prod-cloud"))
    assert (config.prune, config.listen, config.webhook_secret, config.lease_namespace) == (False, None, b"s3cret",
                                                                                            "gitops")
    state = config.resolved_state_dir()
    assert config.remote and state.parent == Path(os.environ["XDG_STATE_HOME"]) / "platformctl"
    assert state.name.startswith("platform-") and state == build_config({}, environ).resolved_state_dir()
    assert config.signature_policy.enabled and "s3cret" not in repr(config)
    assert DaemonConfig().drift_interval == 300.0 and DaemonConfig().lease == "auto"
    assert build_config({}, {"PLATFORMCTL_WEBHOOK_SECRET": "x"}).webhook_secret == b"x"
    assert [parse_duration(t) for t in ("30s", "5m", "1h", "1d", "250ms", "42")] == [30, 300, 3600, 86400, 0.25, 42]


@pytest.mark.parametrize(("flags", "environ", "message"), [
    ({"poll_interval": "soon"}, {}, "--interval: 'soon' is not a duration"),
    ({}, {"PLATFORMCTL_PRUNE": "maybe"}, "PLATFORMCTL_PRUNE: 'maybe' is not a boolean"),
    ({"lease": "zookeeper"}, {}, "lease must be one of auto, kube, file, none"),
    ({"listen": "8080"}, {}, "listen address '8080' is not host:port"),
    ({}, {"PLATFORMCTL_LEASE_DURATION": "5s"}, "need 0 < retry_period < renew_deadline < lease_duration"),
    ({"webhook_secret_file": "/nonexistent/secret"}, {}, "webhook secret file /nonexistent/secret"),
])
def test_bad_settings_are_refused_naming_their_source(flags: dict[str, object], environ: dict[str, str],
                                                       message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build_config(flags, environ)


def test_the_cli_reports_bad_settings_as_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--interval", "soon", "--once"]) == 64
    assert "error: --interval: 'soon' is not a duration (write e.g. 30s, 5m, 1m30s" in capsys.readouterr().err


def test_the_read_deadline_is_a_setting() -> None:
    assert DaemonConfig().answer_timeout == 10.0
    assert build_config({}, {"PLATFORMCTL_ANSWER_TIMEOUT": "2s"}).answer_timeout == 2.0
    assert build_config({"answer_timeout": "500ms"}, {"PLATFORMCTL_ANSWER_TIMEOUT": "2s"}).answer_timeout == 0.5
    with pytest.raises(ConfigError, match="answer_timeout must be positive"):
        build_config({"answer_timeout": "0"}, {})


def test_the_state_directory_defaults_to_outside_the_work_tree(
    repo: Repo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--repo", str(repo.path), "--env", "dev", "--once", "--listen", "off"]) == 0
    capsys.readouterr()
    state = DaemonConfig(repo=str(repo.path)).resolved_state_dir()
    assert not state.is_relative_to(repo.path) and state.is_dir()
    assert any(state.iterdir())  # the file lease lives there
    assert not (repo.path / ".platformctl" / "daemon").exists()
    assert repo.git("status", "--porcelain", "--ignored", "--", ".", ":!.platformctl/clusters") == ""


def test_a_busy_listen_port_is_one_clear_line(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["run", "--repo", str(repo.path), "--env", "dev", "--listen", f"127.0.0.1:{port}"]) == 1
    err = capsys.readouterr().err
    assert err.endswith(f"error: cannot listen on 127.0.0.1:{port}: the port is already in use (another "
                        "platformctl, or another program?); choose another address with --listen HOST:PORT "
                        "(PLATFORMCTL_LISTEN), or --listen off for no endpoints\n")
    assert "Traceback" not in err and "OSError" not in err


def test_the_daemon_plans_from_its_watches_unless_told_not_to() -> None:
    assert DaemonConfig().watch_cache is True and build_config({}, {}).watch_cache is True
    assert build_config({}, {"PLATFORMCTL_WATCH_CACHE": "false"}).watch_cache is False
    assert build_config({"watch_cache": False}, {"PLATFORMCTL_WATCH_CACHE": "true"}).watch_cache is False
