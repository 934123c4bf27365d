"""DaemonConfig: every setting of ``platformctl run`` in one frozen dataclass, from flags and the environment.

Precedence: a command-line flag, else its ``PLATFORMCTL_*`` variable, else the default below.
Durations are ``500ms``, ``30s``, ``5m``, ``1h``, ``1d`` or plain seconds.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.durations import DurationError, duration_seconds
from reconciler.source.tracking import is_url
from reconciler.source.verify import SignaturePolicy

LEASE_BACKENDS = ("auto", "kube", "file", "none")


class ConfigError(ValueError):
    """A setting that cannot be used; the message names the flag or variable."""


@dataclass(frozen=True, kw_only=True)
class DaemonConfig:
    """How the daemon runs. Every default is the production value."""

    repo: str = "."
    """Local repository path (watched) or URL (cloned into the state directory, fetched)."""
    branch: str = "main"
    """Branch whose head is applied."""
    environments: tuple[str, ...] = ()
    """Environments to manage; empty: every environment of the spec."""
    poll_interval: float = 30.0
    """Seconds between Git polls (fetch for a URL); 0 turns polling off (watcher/webhook only)."""
    drift_interval: float = 300.0
    """Seconds between drift checks of each target (re-reconcile of the last good revision); 0: off."""
    drift_watch: bool = True
    """Also WATCH each target's kinds and check a target as soon as one of its objects leaves Git's
    line (clusters that cannot watch, local directories, keep only the periodic check)."""
    drift_watch_delay: float = 2.0
    """Seconds from a watched drift to its check (events of one hand edit come in bursts)."""
    watch_timeout: float = 300.0
    """Seconds a WATCH stays open before the server ends it (the watch then resumes where it was)."""
    watch_cache: bool = True
    """Plan from the drift watches' cache (one LIST+WATCH per kind and namespace of each target, of slimmed
    objects) instead of LISTing at every reconcile: a no-op reconcile then sends no request. Needs
    ``drift_watch``; clusters that cannot watch keep listing, and so does ``run --once``. False: LIST at
    every reconcile (``--no-watch-cache``)."""
    watch: bool = True
    """Watch a local repository's refs with watchdog (ignored for a URL)."""
    prune: bool = True
    """Delete objects Git no longer holds (inventory objects only, within the deletion budget)."""
    self_heal: bool = True
    """Drift checks apply what differs; False: they only report it."""
    listen: str | None = "127.0.0.1:8080"
    """host:port of /healthz, /readyz, /metrics, the status page and /webhook; None: no endpoints."""
    webhook_secret: bytes | None = dataclasses.field(default=None, repr=False)
    """HMAC secret of GitHub push webhooks; None accepts unsigned pushes (local use only)."""
    read_token: bytes | None = dataclasses.field(default=None, repr=False)
    """Bearer token every read of the endpoints needs (dashboard, status, metrics; not the probes), so they
    can be exposed; None: open reads (keep the listen address private then)."""
    allowed_signers: Path | None = None
    """SSH allowed_signers file: when set, only commits signed by a listed key are applied."""
    gnupg_home: Path | None = None
    """GPG home whose keyring holds the allowed keys: when set, GPG-signed commits are checked against it."""
    lease: str = "auto"
    """Leader election: ``kube`` (a Lease), ``file`` (state directory), ``none``; ``auto``: file when every
    managed cluster is a local directory, else kube."""
    lease_namespace: str = "platformctl-system"
    """Namespace of the Lease."""
    lease_name: str = "platformctl-leader"
    """Name of the Lease (and of the file lease)."""
    lease_kubeconfig: str | None = None
    """Kubeconfig of the cluster holding the Lease; None: in-cluster service account."""
    lease_context: str | None = None
    """Context in ``lease_kubeconfig``."""
    lease_duration: float = 15.0
    """Seconds a lease lasts without renewal (leaseDurationSeconds)."""
    renew_deadline: float = 10.0
    """The leader stops applying when it has not renewed for this long (< lease_duration)."""
    retry_period: float = 2.0
    """Seconds between lease acquire/renew attempts."""
    shards: int = 0
    """Spread the targets over the replicas in this many shards, one Lease each (``<lease_name>-shard-<i>``,
    with a member Lease per replica); 0: one leader writes every target."""
    identity: str = ""
    """This replica's holderIdentity; empty: hostname-pid."""
    state_dir: Path | None = None
    """Clone, file lease; None: ``default_state_dir`` (outside the repository's work tree, so the daemon never
    makes the checkout it applies dirty)."""
    cluster_root: Path | None = None
    """Where relative ``directory:`` clusters live; None: the local repository, or the state directory."""
    policy: Path | None = None
    """The operator policy file (a mounted ConfigMap); None: the safe defaults (see ``reconciler.policy``)."""
    own_namespace: str | None = None
    """The daemon's own namespace, never written by an environment; None: $POD_NAMESPACE, else the
    service account's namespace file (the Lease's namespace is always reserved too)."""
    backoff_base: float = 2.0
    """Seconds before the first retry of a failed reconcile; doubles per failure, with jitter."""
    backoff_cap: float = 300.0
    """Longest wait between retries of one target."""
    shutdown_grace: float = 30.0
    """Seconds a shutdown waits for applies in flight before abandoning them."""
    answer_timeout: float = 10.0
    """Seconds a read (GET, LIST, a watch's start) waits for a cluster's answer; none by then marks the
    cluster unreachable (Unknown on the status page, ``platformctl_cluster_up`` 0) at once."""
    prometheus_url: str | None = None
    """Base URL of the Prometheus-compatible query API that judges progressive rollouts (operator
    configuration, never the repository's); None: metric checks of a rollout fail (readiness alone
    cannot pass an analysis that asks for metrics)."""
    promote_after_rollout: bool = False
    """After a progressive rollout succeeded on every cluster of an environment, open the promotion of that
    version to the next stage as a branch (``promote/<next>/<component>-<version>``; pushed to origin when
    the repository is a URL). Off: promotion stays ``platformctl promote``."""
    notifications: Path | None = None
    """The operator's notifications file (``kind: Notifications``: providers, secrets by file); None: no
    alerts are sent. Never read from the platform repository."""
    events: bool = True
    """Record Kubernetes Events on the objects applied, pruned or failed (Kubernetes clusters only)."""
    log_format: str = "auto"
    """``json``, ``console`` or ``auto`` (JSON unless stderr is a terminal)."""
    log_level: str = "info"
    """debug, info, warning or error."""

    def __post_init__(self) -> None:
        for name in ("poll_interval", "drift_interval", "drift_watch_delay", "backoff_base", "backoff_cap",
                     "shutdown_grace"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must not be negative")
        if not self.watch_timeout >= 1:
            raise ConfigError("watch_timeout must be at least 1s")
        if not self.answer_timeout > 0:
            raise ConfigError("answer_timeout must be positive")
        if self.lease not in LEASE_BACKENDS:
            raise ConfigError(f"lease must be one of {', '.join(LEASE_BACKENDS)}, not {self.lease!r}")
        if not 0 < self.retry_period < self.renew_deadline < self.lease_duration:
            raise ConfigError("need 0 < retry_period < renew_deadline < lease_duration")
        if self.shards < 0:
            raise ConfigError("shards must not be negative")
        if self.shards and self.lease == "none":
            raise ConfigError("sharding needs leases: --shards with --lease none")
        if self.log_format not in ("auto", "json", "console"):
            raise ConfigError(f"log format must be auto, json or console, not {self.log_format!r}")
        if self.listen is not None:
            listen_address(self.listen)
        if self.prometheus_url is not None:
            _optional_url(self.prometheus_url)

    @property
    def remote(self) -> bool:
        """Whether ``repo`` is a URL."""
        return is_url(self.repo)

    @property
    def signature_policy(self) -> SignaturePolicy:
        """The commit signature policy (off when neither key source is set)."""
        return SignaturePolicy(allowed_signers=self.allowed_signers, gnupg_home=self.gnupg_home)

    def resolved_state_dir(self) -> Path:
        """The state directory, defaults applied."""
        if self.state_dir is not None:
            return self.state_dir
        return default_state_dir(self.repo, remote=self.remote)

    def resolved_cluster_root(self) -> Path:
        """The directory relative ``directory:`` clusters resolve against."""
        if self.cluster_root is not None:
            return self.cluster_root
        return self.resolved_state_dir() if self.remote else Path(self.repo)

    def resolved_identity(self) -> str:
        """holderIdentity: the configured one, else ``<hostname>-<pid>``."""
        return self.identity or f"{socket.gethostname()}-{os.getpid()}"


def default_state_dir(repo: str, *, remote: bool, environ: Mapping[str, str] = os.environ) -> Path:
    """``$XDG_STATE_HOME/platformctl/<repo name>-<hash>`` (``~/.local/state`` without it): one directory per
    repository path or URL, never inside a work tree (a file there would stamp renders ``-dirty``)."""
    key = repo if remote else str(Path(repo).resolve())
    base = Path(environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "platformctl"
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", key.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git"))[:40].strip("-.")
    return base / f"{name or 'repo'}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"


def parse_duration(text: str) -> float:
    """Seconds in ``500ms``, ``30s``, ``5m``, ``1.5h``, ``1d12h``, ``PT1H`` or ``42`` (``reconciler.durations``)."""
    try:
        return float(duration_seconds(text))
    except DurationError:
        raise ValueError(f"{text!r} is not a duration (write e.g. 30s, 5m, 1m30s, 1h or a number of seconds)") from None


def parse_bool(text: str) -> bool:
    """true/false, yes/no, on/off, 1/0."""
    value = str(text).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{text!r} is not a boolean (use true or false)")


def listen_address(text: str) -> tuple[str, int]:
    """(host, port) of ``host:port`` or ``[v6]:port``."""
    host, sep, port = str(text).rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise ConfigError(f"listen address {text!r} is not host:port")
    return host.strip("[]") or "0.0.0.0", int(port)


def _names(text: str) -> tuple[str, ...]:
    return tuple(name for name in re.split(r"[\s,]+", text.strip()) if name)


def _optional_url(text: str) -> str | None:
    value = text.strip()
    if not value:
        return None
    if not re.match(r"^https?://[^/\s]+", value):
        raise ValueError(f"{text!r} is not an http(s) URL")
    return value


def _optional_listen(text: str) -> str | None:
    return None if text.strip().lower() in ("", "off", "none") else text.strip()


_PARSERS: dict[str, Callable[[str], Any]] = {
    "repo": str, "branch": str, "environments": _names, "poll_interval": parse_duration,
    "drift_interval": parse_duration, "drift_watch": parse_bool, "drift_watch_delay": parse_duration,
    "watch_cache": parse_bool, "watch_timeout": parse_duration, "watch": parse_bool, "prune": parse_bool, "self_heal": parse_bool,
    "listen": _optional_listen, "allowed_signers": Path, "gnupg_home": Path, "lease": str,
    "lease_namespace": str, "lease_name": str, "lease_kubeconfig": str, "lease_context": str,
    "lease_duration": parse_duration, "renew_deadline": parse_duration, "retry_period": parse_duration,
    "shards": int, "identity": str, "state_dir": Path, "cluster_root": Path, "policy": Path, "own_namespace": str, "backoff_base": parse_duration,
    "backoff_cap": parse_duration, "shutdown_grace": parse_duration, "answer_timeout": parse_duration,
    "log_format": str, "log_level": str, "prometheus_url": _optional_url,
    "promote_after_rollout": parse_bool, "notifications": Path, "events": parse_bool,
}
ENVIRONMENT = {
    "repo": "PLATFORMCTL_REPO", "branch": "PLATFORMCTL_BRANCH", "environments": "PLATFORMCTL_ENVIRONMENTS",
    "poll_interval": "PLATFORMCTL_INTERVAL", "drift_interval": "PLATFORMCTL_DRIFT_INTERVAL",
    "drift_watch": "PLATFORMCTL_DRIFT_WATCH", "drift_watch_delay": "PLATFORMCTL_DRIFT_WATCH_DELAY",
    "watch_cache": "PLATFORMCTL_WATCH_CACHE", "watch_timeout": "PLATFORMCTL_WATCH_TIMEOUT",
    "watch": "PLATFORMCTL_WATCH", "prune": "PLATFORMCTL_PRUNE", "self_heal": "PLATFORMCTL_SELF_HEAL",
    "listen": "PLATFORMCTL_LISTEN", "allowed_signers": "PLATFORMCTL_ALLOWED_SIGNERS",
    "gnupg_home": "PLATFORMCTL_GNUPGHOME", "lease": "PLATFORMCTL_LEASE",
    "lease_namespace": "PLATFORMCTL_LEASE_NAMESPACE", "lease_name": "PLATFORMCTL_LEASE_NAME",
    "lease_kubeconfig": "PLATFORMCTL_LEASE_KUBECONFIG", "lease_context": "PLATFORMCTL_LEASE_CONTEXT",
    "lease_duration": "PLATFORMCTL_LEASE_DURATION", "renew_deadline": "PLATFORMCTL_LEASE_RENEW_DEADLINE",
    "retry_period": "PLATFORMCTL_LEASE_RETRY_PERIOD", "identity": "PLATFORMCTL_IDENTITY",
    "shards": "PLATFORMCTL_SHARDS",
    "state_dir": "PLATFORMCTL_STATE_DIR", "cluster_root": "PLATFORMCTL_CLUSTER_ROOT",
    "policy": "PLATFORMCTL_POLICY", "own_namespace": "PLATFORMCTL_OWN_NAMESPACE",
    "backoff_base": "PLATFORMCTL_BACKOFF_BASE", "backoff_cap": "PLATFORMCTL_BACKOFF_CAP",
    "shutdown_grace": "PLATFORMCTL_SHUTDOWN_GRACE", "answer_timeout": "PLATFORMCTL_ANSWER_TIMEOUT",
    "log_format": "PLATFORMCTL_LOG_FORMAT", "prometheus_url": "PLATFORMCTL_PROMETHEUS_URL",
    "promote_after_rollout": "PLATFORMCTL_PROMOTE_AFTER_ROLLOUT", "notifications": "PLATFORMCTL_NOTIFICATIONS",
    "events": "PLATFORMCTL_EVENTS",
    "log_level": "PLATFORMCTL_LOG_LEVEL",
}
"""The variable of each setting (the webhook secret is PLATFORMCTL_WEBHOOK_SECRET or ..._FILE, the read token
PLATFORMCTL_READ_TOKEN or ..._FILE)."""
_FLAGS = {"poll_interval": "--interval", "environments": "--env"}
"""The command-line flag of a setting whose name differs from ``--<setting>``."""


def build_config(flags: Mapping[str, object], environ: Mapping[str, str] = os.environ) -> DaemonConfig:
    """A DaemonConfig from flags (field name -> value, None when not given) over variables over defaults.

    Flag values may be strings (parsed like variables) or already typed. ``webhook_secret_file`` and
    ``read_token_file`` are accepted as flags; the secrets themselves only from a file or a variable, never argv.
    """
    values: dict[str, Any] = {}
    for name, parse in _PARSERS.items():
        raw = flags.get(name)
        where = _FLAGS.get(name, f"--{name.replace('_', '-')}")
        if raw is None or raw == () or raw == []:
            env_name = ENVIRONMENT[name]
            if environ.get(env_name, "") == "":
                continue
            raw, where = environ[env_name], env_name
        try:
            values[name] = parse(raw) if isinstance(raw, str) else (
                tuple(str(v) for v in raw) if isinstance(raw, (list, tuple)) else raw)
        except ValueError as exc:
            raise ConfigError(f"{where}: {exc}") from None
    values["webhook_secret"] = _secret("webhook secret", flags.get("webhook_secret_file"), environ,
                                       "PLATFORMCTL_WEBHOOK_SECRET")
    values["read_token"] = _secret("read token", flags.get("read_token_file"), environ, "PLATFORMCTL_READ_TOKEN")
    try:
        return DaemonConfig(**values)
    except ConfigError:
        raise
    except (TypeError, ValueError) as exc:
        raise ConfigError(str(exc)) from None


def _secret(what: str, flag_file: object, environ: Mapping[str, str], variable: str) -> bytes | None:
    """A secret from the flag's file, else ``<variable>_FILE``, else ``<variable>`` itself; None when unset."""
    path = flag_file or environ.get(f"{variable}_FILE")
    if path:
        try:
            secret = Path(str(path)).read_bytes().strip()
        except OSError as exc:
            raise ConfigError(f"{what} file {path}: {exc.strerror or exc}") from None
        if not secret:
            raise ConfigError(f"{what} file {path} is empty")
        return secret
    value = environ.get(variable, "").strip()
    return value.encode() if value else None
