"""The notifications file: models, secrets read from files, errors located at file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import SpecErrors
from reconciler.notify.settings import load_settings

FILE = """\
apiVersion: platformctl.dev/v1alpha1
kind: Notifications
spec:
  dedupeWindow: 300
  providers:
    - name: ops-hook
      type: webhook
      urlFile: hook-url
      secretFile: hook-key
      alerts: [sync-failed, recovered]
    - name: chat
      type: slack
      urlFile: /abs/slack-url
      environments: ["prod-*"]
    - name: gh
      type: github
      tokenFile: gh-token
      repository: acme/platform
    - name: gl
      type: gitlab
      address: https://gitlab.example/
      tokenFile: gl-token
      repository: ml/platform
"""


def write(tmp_path: Path, text: str, secrets: dict[str, str]) -> Path:
    for name, value in secrets.items():
        (tmp_path / name).write_text(value + "\n")
    path = tmp_path / "notifications.yaml"
    path.write_text(text)
    return path


def test_a_file_with_every_provider_loads_with_its_secrets(tmp_path: Path) -> None:
    slack = tmp_path / "slack-url"
    text = FILE.replace("/abs/slack-url", str(slack))
    path = write(tmp_path, text, {"hook-url": "https://hooks.example/h", "hook-key": "k3y",
                                  "slack-url": "https://hooks.slack.com/services/T/B/X", "gh-token": "ghp_1",
                                  "gl-token": "glpat-2"})
    settings = load_settings(path)
    assert settings.spec.dedupe_window == 300
    hook, chat, gh, gl = settings.providers
    assert (hook.url, hook.secret, hook.model.alerts) == ("https://hooks.example/h", b"k3y", ("sync-failed", "recovered"))
    assert chat.url == "https://hooks.slack.com/services/T/B/X" and chat.model.environments == ("prod-*",)
    assert (gh.url, gh.token) == ("https://api.github.com/repos/acme/platform/statuses/", "ghp_1")
    assert (gl.url, gl.token) == ("https://gitlab.example/api/v4/projects/ml%2Fplatform/statuses/", "glpat-2")
    assert "ghp_1" not in repr(gh) and "k3y" not in repr(hook)


def test_a_missing_secret_file_is_an_error_at_its_provider(tmp_path: Path) -> None:
    path = write(tmp_path, FILE, {"hook-url": "https://hooks.example/h", "hook-key": "k"})
    with pytest.raises(SpecErrors) as caught:
        load_settings(path)
    text = str(caught.value)
    assert f"{path}:11:" in text and "chat" in text and "slack-url" in text
    assert "gh-token" in text and "gl-token" in text


def test_unknown_keys_and_incomplete_providers_are_located(tmp_path: Path) -> None:
    path = write(tmp_path, "apiVersion: platformctl.dev/v1alpha1\nkind: Notifications\nspec:\n  providers:\n"
                           "    - {name: a, type: github, repository: acme/x}\n    - {name: b, type: webhook, url: x, "
                           "colour: red}\n", {})
    with pytest.raises(SpecErrors) as caught:
        load_settings(path)
    text = str(caught.value)
    assert f"{path}:5:" in text and "tokenFile" in text
    assert f"{path}:6:" in text and "colour" in text


def test_a_token_is_never_sent_over_plain_http_except_to_loopback(tmp_path: Path) -> None:
    text = ("apiVersion: platformctl.dev/v1alpha1\nkind: Notifications\nspec:\n  providers:\n"
            "    - {name: a, type: gitlab, address: 'http://gitlab.example', tokenFile: t, repository: '7'}\n")
    with pytest.raises(SpecErrors, match="https only"):
        load_settings(write(tmp_path, text, {"t": "x"}))
    local = load_settings(write(tmp_path, text.replace("gitlab.example", "127.0.0.1:8081"), {"t": "x"}))
    assert local.providers[0].url == "http://127.0.0.1:8081/api/v4/projects/7/statuses/"


def test_an_unreadable_file_is_an_error_not_no_notifications(tmp_path: Path) -> None:
    with pytest.raises(SpecErrors, match="cannot read the notifications file"):
        load_settings(tmp_path / "absent.yaml")
    with pytest.raises(SpecErrors, match="expected Notifications"):
        load_settings(write(tmp_path, "kind: OperatorPolicy\n", {}))


def test_the_readme_example_is_a_valid_notifications_file() -> None:
    from reconciler.notify.settings import parse_notifications

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    start = readme.index("# /etc/platformctl/notifications.yaml")
    example = readme[start:readme.index("```", start)]
    parsed = parse_notifications(example.encode(), "README.md")
    assert [p.type for p in parsed.spec.providers] == ["webhook", "slack", "github", "gitlab"]
