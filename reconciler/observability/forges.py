"""Push webhooks of GitHub, GitLab and Gitea/Forgejo: which forge sent a request, is it
authentic, and is it a push (pure; the HTTP server is ``observability.http``).

=================  ===========================  ================================================
forge              event header (push value)    credential
=================  ===========================  ================================================
GitHub             ``X-GitHub-Event: push``     ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256>``
GitLab             ``X-Gitlab-Event: Push Hook``  ``X-Gitlab-Token: <the secret itself>``
Gitea / Forgejo    ``X-Gitea-Event: push``      ``X-Gitea-Signature: <hex HMAC-SHA256>``
                   (``X-Forgejo-Event``)        (``X-Forgejo-Signature``)
=================  ===========================  ================================================

Every comparison is constant-time. All three send the pushed ref as ``ref`` in the JSON body.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol


class Headers(Protocol):
    """Request headers looked up by name, case-insensitively (``http.client.HTTPMessage``, a dict)."""

    def get(self, name: str, /) -> Any: ...


def _hmac_hex(secret: bytes, body: bytes) -> bytes:
    return hmac.new(secret, body, hashlib.sha256).hexdigest().encode()


def _github(secret: bytes, body: bytes, given: str) -> bool:
    return hmac.compare_digest(b"sha256=" + _hmac_hex(secret, body), given.strip().encode("utf-8", "replace"))


def _gitea(secret: bytes, body: bytes, given: str) -> bool:
    return hmac.compare_digest(_hmac_hex(secret, body), given.strip().lower().encode("utf-8", "replace"))


def _gitlab(secret: bytes, _body: bytes, given: str) -> bool:
    return hmac.compare_digest(secret, given.encode("utf-8", "replace"))


@dataclass(frozen=True, slots=True)
class Forge:
    """How one forge marks, signs and names its webhook events."""

    name: str
    event_headers: tuple[str, ...]
    credential_headers: tuple[str, ...]
    push_events: frozenset[str]
    ping_events: frozenset[str]
    _check: Callable[[bytes, bytes, str], bool]

    def event(self, headers: Headers) -> str:
        """The event name ("" when the request names none)."""
        return _first(headers, self.event_headers)

    def authentic(self, secret: bytes, body: bytes, headers: Headers) -> bool:
        """Whether the request carries this forge's proof of ``secret`` for ``body``."""
        given = _first(headers, self.credential_headers)
        return bool(given) and self._check(secret, body, given)

    @property
    def credential(self) -> str:
        """The header that must carry the proof (for error messages)."""
        return self.credential_headers[0]


GITHUB = Forge("github", ("X-GitHub-Event",), ("X-Hub-Signature-256",), frozenset({"push"}), frozenset({"ping"}),
               _github)
GITLAB = Forge("gitlab", ("X-Gitlab-Event",), ("X-Gitlab-Token",), frozenset({"Push Hook"}), frozenset(), _gitlab)
GITEA = Forge("gitea", ("X-Gitea-Event", "X-Forgejo-Event"), ("X-Gitea-Signature", "X-Forgejo-Signature"),
              frozenset({"push"}), frozenset(), _gitea)


def identify(headers: Headers) -> Forge:
    """The forge whose headers the request carries; GitHub when it carries none of theirs."""
    for forge in (GITLAB, GITEA):
        if _first(headers, (*forge.event_headers, *forge.credential_headers)):
            return forge
    return GITHUB


def _first(headers: Headers, names: tuple[str, ...]) -> str:
    """The first non-empty value among ``names`` ("" when none is set)."""
    return next((str(value) for name in names if (value := headers.get(name))), "")
