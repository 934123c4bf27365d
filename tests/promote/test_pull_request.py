"""promote --push --pull-request opens the request through the forge's API (a local receiver stands in)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import git
import pytest

from reconciler.source.forge import forge_repo
from tests.promote.test_promote_cli import Repo, promote, repo  # noqa: F401 - the fixture


class _Receiver(ThreadingHTTPServer):
    def __init__(self, answer: tuple[int, dict[str, Any]]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.answer = answer
        self.received: list[dict[str, Any]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: _Receiver

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
        status, answer = self.server.answer
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver(request: pytest.FixtureRequest) -> Iterator[_Receiver]:
    answer = getattr(request, "param", (201, {"html_url": "https://github.example/acme/platform/pull/7"}))
    server = _Receiver(answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _origin(path: Path, tmp_path: Path) -> git.Repo:
    remote = git.Repo.init(tmp_path / "acme" / "platform.git", bare=True)
    git.Repo(path).create_remote("origin", str(tmp_path / "acme" / "platform.git"))
    return remote


def test_push_opens_a_pull_request_into_the_current_branch(
        repo: Repo, tmp_path: Path, receiver: _Receiver, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    path, _ = repo
    remote = _origin(path, tmp_path)
    token = tmp_path / "token"
    token.write_text("s3cret\n")
    assert promote(path, "fraud-detector", "--from", "staging", "--to", "prod-cloud", "--push", "--pull-request",
                   "--forge", "github", "--forge-api", receiver.url, "--forge-token-file", str(token)) == 0
    assert capsys.readouterr().out.endswith("opened https://github.example/acme/platform/pull/7\n")
    assert remote.commit("promote/prod-cloud/fraud-detector").summary == "promote fraud-detector 7 -> 8 to prod-cloud"
    [sent] = receiver.received
    assert sent["path"] == "/repos/acme/platform/pulls"
    assert sent["headers"]["Authorization"] == "Bearer s3cret"
    assert sent["body"]["head"] == "promote/prod-cloud/fraud-detector" and sent["body"]["base"] == "main"
    assert sent["body"]["title"] == "promote fraud-detector 7 -> 8 to prod-cloud"
    assert "- serving/fraud-detector: 7 -> 8" in sent["body"]["body"]


@pytest.mark.parametrize("receiver", [(422, {"message": "Validation Failed",
                                             "errors": [{"message": "A pull request already exists"}]})],
                         indirect=True)
def test_a_refused_pull_request_says_why(repo: Repo, tmp_path: Path, receiver: _Receiver,
                                         capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    path, _ = repo
    _origin(path, tmp_path)
    monkeypatch.setenv("GITHUB_TOKEN", "t")
    assert promote(path, "fraud-detector", "--from", "staging", "--to", "prod-cloud", "--push", "--pull-request",
                   "--forge", "github", "--forge-api", receiver.url) == 1
    assert capsys.readouterr().err == ("refused: github refused the pull request (422): Validation Failed: "
                                       "A pull request already exists\n")


def test_without_a_token_nothing_is_committed(repo: Repo, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    path, git_repo = repo
    _origin(path, tmp_path)
    for name in ("PLATFORMCTL_FORGE_TOKEN", "GITHUB_TOKEN", "GITLAB_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert promote(path, "fraud-detector", "--from", "staging", "--to", "prod-cloud", "--push", "--pull-request",
                   "--forge", "github", "--forge-api", "http://127.0.0.1:1") == 1
    assert "needs an API token" in capsys.readouterr().err
    assert [h.name for h in git_repo.heads] == ["main"]
    assert promote(path, "fraud-detector", "--from", "staging", "--to", "prod-cloud", "--pull-request") == 64


@pytest.mark.parametrize(("url", "forge", "api", "slug"), [
    ("git@github.com:acme/platform.git", "github", "https://api.github.com", "acme/platform"),
    ("https://github.com/acme/platform", "github", "https://api.github.com", "acme/platform"),
    ("https://gitlab.example.com/ml/infra/platform.git", "gitlab", "https://gitlab.example.com/api/v4",
     "ml/infra/platform"),
    ("ssh://git@github.acme.io/acme/platform.git", "github", "https://github.acme.io/api/v3", "acme/platform"),
])
def test_the_forge_is_told_from_the_remote(url: str, forge: str, api: str, slug: str) -> None:
    found = forge_repo(url)
    assert (found.forge, found.api, found.slug) == (forge, api, slug)
