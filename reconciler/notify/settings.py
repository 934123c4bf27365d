"""Read the notifications file (hardened YAML, errors as ``file:line:col``) and the secrets it names.

``load_settings(path)`` is everything the daemon needs to start sending: each provider with its
URL and credentials read from their files now, so a missing secret stops the daemon at start
instead of failing the first alert. Relative secret paths are relative to the file's directory.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

from reconciler.errors import SpecError, SpecErrors
from reconciler.notify.model import DEFAULT_ADDRESSES, Notifications, NotificationsSpec, Provider
from reconciler.spec.document import Document
from reconciler.spec.standalone import parse_kind, read_operator_file



@dataclass(frozen=True)
class ProviderSettings:
    """A provider ready to send: its model and the secrets read from files."""

    model: Provider
    url: str
    """Webhook/Slack: where to POST; GitHub/GitLab: the statuses endpoint without the SHA."""
    token: str = field(default="", repr=False)
    secret: bytes = field(default=b"", repr=False)

    @property
    def name(self) -> str:
        """The provider's name."""
        return self.model.name


@dataclass(frozen=True)
class Settings:
    """The whole notifications configuration, secrets resolved."""

    spec: NotificationsSpec
    providers: tuple[ProviderSettings, ...]


def parse_notifications(data: bytes, path: str) -> Notifications:
    """The notifications file in ``data`` (the text of ``path``); SpecErrors listing every problem."""
    return _parse(data, path)[0]


def _parse(data: bytes, path: str) -> tuple[Notifications, Document]:
    return parse_kind(data, path, Notifications, "Notifications", "a notifications file")


def load_settings(path: Path) -> Settings:
    """Read the file at ``path`` and every secret it names; SpecErrors for anything unusable."""
    data = read_operator_file(path, "the notifications file", "--notifications or $PLATFORMCTL_NOTIFICATIONS")
    model, doc = _parse(data, str(path))
    errors: list[SpecError] = []
    providers = []
    for index, provider in enumerate(model.spec.providers):
        try:
            providers.append(resolve(provider, path.parent))
        except ValueError as exc:
            errors.append(doc.error(("spec", "providers", index), f"provider {provider.name}: {exc}"))
    if errors:
        raise SpecErrors(errors)
    return Settings(model.spec, tuple(providers))


def resolve(provider: Provider, base: Path) -> ProviderSettings:
    """A provider with its secrets read (relative to ``base``); ValueError when one is unusable."""
    if provider.type in ("webhook", "slack"):
        url = provider.url if provider.url is not None else _secret(base, provider.url_file).decode()
        _check_url(url, secret_in_url=provider.url_file is not None)
        secret = _secret(base, provider.secret_file) if provider.secret_file else b""
        return ProviderSettings(provider, url, secret=secret)
    address = (provider.address or DEFAULT_ADDRESSES[provider.type]).rstrip("/")
    _check_url(address, secret_in_url=True)  # the token travels with every request
    repository = provider.repository or ""
    if provider.type == "github":
        url = f"{address}/repos/{repository}/statuses/"
    else:
        project = repository if repository.isdigit() else quote(repository, safe="")
        url = f"{address}/api/v4/projects/{project}/statuses/"
    return ProviderSettings(provider, url, token=_secret(base, provider.token_file).decode())


def _secret(base: Path, name: str | None) -> bytes:
    assert name is not None
    path = Path(name) if Path(name).is_absolute() else base / name
    try:
        value = path.read_bytes().strip()
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not value:
        raise ValueError(f"{path} is empty")
    return value


def _check_url(url: str, *, secret_in_url: bool) -> None:
    """http(s) only; a secret (in the URL or a token) goes over plain http only to a loopback address."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("the URL must be http:// or https:// with a host")
    if parts.scheme == "http" and secret_in_url and not _loopback(parts.hostname):
        raise ValueError("a secret URL or token is sent over https only (plain http only to a loopback address)")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
