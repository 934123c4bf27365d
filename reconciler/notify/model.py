"""The notifications file (``kind: Notifications``): providers, what each hears, and how sending behaves.

Kept by the operator and given to the daemon (``--notifications``), never read from the platform
repository. Secrets (webhook URLs, tokens, signing keys) are named by file, never written inline.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from reconciler.spec.models.base import API_VERSION, ApiVersion, Metadata, SpecModel

AlertName = Literal["sync-failed", "degraded", "drift", "revision-rejected", "recovered"]
ProviderType = Literal["webhook", "slack", "github", "gitlab"]
Name = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
Pattern = Annotated[str, StringConstraints(min_length=1),
                    Field(description="a glob pattern: '*' matches anything, e.g. prod-*")]
FilePath = Annotated[str, StringConstraints(min_length=1)]
Seconds = Annotated[float, Field(ge=0)]

DEFAULT_ADDRESSES = {"github": "https://api.github.com", "gitlab": "https://gitlab.com"}


class Provider(SpecModel):
    """Where alerts go, and which ones."""

    name: Name = Field(description="the provider's name (in logs and the metrics' 'provider' label)")
    type: ProviderType = Field(description="webhook (generic JSON POST), slack (Slack-compatible incoming "
                                           "webhook), github or gitlab (commit statuses)")
    url_file: FilePath | None = Field(
        default=None, description="webhook, slack: file holding the URL to POST to (a Slack webhook URL is a "
                                  "secret)")
    url: str | None = Field(default=None, description="webhook, slack: the URL, when it is not a secret")
    secret_file: FilePath | None = Field(
        default=None, description="webhook: file holding an HMAC key; each body is signed in the header "
                                  "X-Platformctl-Signature: sha256=<hex>")
    token_file: FilePath | None = Field(
        default=None, description="github, gitlab: file holding the API token (repo:status / api scope)")
    address: str | None = Field(
        default=None, description="github, gitlab: API base URL (default https://api.github.com, "
                                  "https://gitlab.com; GitHub Enterprise: https://HOST/api/v3)")
    repository: str | None = Field(
        default=None, description="github: owner/name; gitlab: the project's numeric id or path (group/name)")
    context: str = Field(default="platformctl", description="github, gitlab: prefix of the status context "
                                                            "(context/environment/cluster)")
    status_page: str | None = Field(default=None, description="link sent with each alert (the daemon's status page)")
    alerts: tuple[AlertName, ...] = Field(
        default=("sync-failed", "degraded", "drift", "revision-rejected", "recovered"),
        description="which alerts this provider gets")
    environments: tuple[Pattern, ...] = Field(
        default=("*",), description="environments whose alerts it gets (glob patterns); a rejected revision "
                                    "(not one environment's) always goes to every provider that takes it")
    timeout: Seconds = Field(default=5.0, description="seconds one request may take")

    @model_validator(mode="after")
    def _complete(self) -> Provider:
        if self.type in ("webhook", "slack"):
            if (self.url is None) == (self.url_file is None):
                raise ValueError(f"a {self.type} provider needs exactly one of url and urlFile")
            if self.token_file is not None or self.repository is not None:
                raise ValueError(f"a {self.type} provider takes no tokenFile or repository")
        else:
            if self.token_file is None or not self.repository:
                raise ValueError(f"a {self.type} provider needs tokenFile and repository")
            if self.url is not None or self.url_file is not None:
                raise ValueError(f"a {self.type} provider takes no url (use address for the API base)")
            if self.type == "github" and self.repository.count("/") != 1:
                raise ValueError("a github repository is owner/name")
        if self.secret_file is not None and self.type != "webhook":
            raise ValueError("secretFile is for webhook providers")
        return self


class Retry(SpecModel):
    """How a failed request is tried again: exponential backoff with full jitter, Retry-After honoured."""

    attempts: int = Field(default=4, ge=1, le=10, description="tries per alert and provider, the first included")
    base: Seconds = Field(default=1.0, description="seconds before the first retry; doubles per retry")
    cap: Seconds = Field(default=30.0, description="longest wait between two tries")


class NotificationsSpec(SpecModel):
    """Providers and the sending rules they share."""

    providers: tuple[Provider, ...] = Field(default=(), description="where alerts go")
    dedupe_window: Seconds = Field(
        default=600.0, description="seconds an identical alert (kind, target, component, revision, message) is "
                                   "not sent again")
    rate_limit: int = Field(default=30, ge=1, description="alerts per provider per rateWindow; more are dropped "
                                                         "(and counted)")
    rate_window: Seconds = Field(default=60.0, description="seconds of the rate limit's window")
    queue_size: int = Field(default=100, ge=1, le=10_000, description="alerts waiting per provider; when full, "
                                                                      "new ones are dropped (and counted)")
    retry: Retry = Retry()

    @model_validator(mode="after")
    def _unique(self) -> NotificationsSpec:
        names = [p.name for p in self.providers]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"provider names must be unique: {', '.join(duplicates)}")
        return self


class Notifications(SpecModel):
    """A ``kind: Notifications`` file, kept by the operator outside the platform repository."""

    api_version: ApiVersion = API_VERSION
    kind: Literal["Notifications"] = "Notifications"
    metadata: Metadata | None = None
    spec: NotificationsSpec = NotificationsSpec()
