"""Open a pull request (GitHub) or merge request (GitLab) for a pushed branch, through the forge's REST API.

The repository is named by the remote's URL (``git@github.com:acme/platform.git``,
``https://gitlab.example.com/group/platform``); the API root defaults from the host and may be
given (GitHub Enterprise, a self-hosted GitLab, a test server). The token is read from a file or a
variable, never from the command line.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from reconciler.source.git import GitSourceError

FORGES = ("github", "gitlab")
TOKEN_VARIABLES = ("PLATFORMCTL_FORGE_TOKEN", "GITHUB_TOKEN", "GITLAB_TOKEN")
TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class ForgeRepo:
    """Which forge and repository a remote points at, and where its API answers."""

    forge: str
    api: str
    slug: str
    """``owner/name`` (GitHub) or ``group/sub/name`` (GitLab)."""


def forge_repo(remote_url: str, *, forge: str | None = None, api: str | None = None) -> ForgeRepo:
    """The forge repository of a remote URL; GitSourceError when the forge cannot be told (name it with ``forge``)."""
    host, path = _host_and_path(remote_url)
    slug = re.sub(r"\.git$", "", path.strip("/"))
    if not host:
        slug = "/".join(slug.split("/")[-2:])  # a local path: its last two components
    if forge is None:
        forge = "github" if "github" in host else "gitlab" if "gitlab" in host else None
        if forge is None:
            raise GitSourceError(f"cannot tell the forge of {remote_url}; name it with --forge github|gitlab")
    if forge not in FORGES:
        raise GitSourceError(f"unknown forge {forge!r}; one of {', '.join(FORGES)}")
    if slug.count("/") < 1:
        raise GitSourceError(f"cannot read a repository (owner/name) from {remote_url}")
    if api is None:
        if not host:
            raise GitSourceError(f"{remote_url} names no host; give the forge's API root with --forge-api")
        api = "https://api.github.com" if forge == "github" and host == "github.com" else (
            f"https://{host}/api/v3" if forge == "github" else f"https://{host}/api/v4")
    return ForgeRepo(forge, api.rstrip("/"), slug)


def read_token(token_file: Path | None, environ: Mapping[str, str] = os.environ) -> str:
    """The API token: from ``token_file``, else the first of ``TOKEN_VARIABLES`` set; GitSourceError without one."""
    if token_file is not None:
        try:
            token = token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise GitSourceError(f"forge token file {token_file}: {exc.strerror or exc}") from None
        if token:
            return token
        raise GitSourceError(f"forge token file {token_file} is empty")
    for name in TOKEN_VARIABLES:
        if environ.get(name):
            return environ[name]
    raise GitSourceError("opening a pull request needs an API token: --forge-token-file FILE, or one of "
                         + ", ".join(TOKEN_VARIABLES))


def open_pull_request(repo: ForgeRepo, token: str, *, branch: str, base: str, title: str, body: str) -> str:
    """Open the request and return its web address; GitSourceError with the forge's message when refused."""
    if repo.forge == "github":
        url = f"{repo.api}/repos/{repo.slug}/pulls"
        payload = {"title": title, "head": branch, "base": base, "body": body}
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json",
                   "X-GitHub-Api-Version": "2022-11-28"}
        key = "html_url"
    else:
        url = f"{repo.api}/projects/{urllib.parse.quote(repo.slug, safe='')}/merge_requests"
        payload = {"source_branch": branch, "target_branch": base, "title": title, "description": body}
        headers = {"PRIVATE-TOKEN": token}
        key = "web_url"
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST",
                                     headers={**headers, "Content-Type": "application/json",
                                              "User-Agent": "platformctl"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:  # noqa: S310 - an https API root
            created = json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as exc:
        raise GitSourceError(f"{repo.forge} refused the pull request ({exc.code}): {_message(exc)}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise GitSourceError(f"cannot reach {repo.api}: {getattr(exc, 'reason', exc)}") from None
    address = created.get(key) if isinstance(created, dict) else None
    if not isinstance(address, str):
        raise GitSourceError(f"{repo.forge} answered without the request's address ({key})")
    return address


def _host_and_path(url: str) -> tuple[str, str]:
    scp = re.fullmatch(r"(?:[^@/]+@)?([^:/]+):(?!//)(.+)", url)  # git@github.com:acme/platform.git
    if scp and "://" not in url:
        return scp[1].lower(), scp[2]
    parts = urllib.parse.urlsplit(url)
    if parts.scheme in ("", "file"):
        return "", parts.path  # a path: only the last two components can name the repository
    return (parts.hostname or "").lower(), parts.path


def _message(exc: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(exc.read() or b"{}")
    except (ValueError, OSError):
        return exc.reason or ""
    if isinstance(body, dict):
        errors = body.get("errors")
        detail = "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e)
                           for e in errors) if isinstance(errors, list) else ""
        message = str(body.get("message", exc.reason or ""))
        return f"{message}: {detail}" if detail else message
    return exc.reason or ""
