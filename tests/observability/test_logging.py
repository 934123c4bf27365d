"""Logs: JSON lines with the identity fields, console on a terminal, secrets masked everywhere."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from reconciler.objects import ObjectKey
from reconciler.observability.logging import (
    MASK,
    configure_logging,
    mask_secrets,
    object_fields,
    scrub,
    target_fields,
)

KEY = ObjectKey("serving.kserve.io", "InferenceService", "ml-serving", "fraud-detector")


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    """A captured log stream; structlog and the root logger are restored afterwards."""
    root = logging.getLogger()
    level = root.level
    out = io.StringIO()
    yield out
    for handler in [h for h in root.handlers if h.get_name() == "platformctl"]:
        root.removeHandler(handler)
    root.setLevel(level)
    structlog.reset_defaults()


def lines(out: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]


def test_json_lines_carry_timestamp_level_and_identity(stream: io.StringIO) -> None:
    configure_logging(json=True, stream=stream)
    log = structlog.get_logger("platformctl.test").bind(
        **target_fields(environment="prod-cloud", cluster="gke-eu", revision="3f2c" * 10))
    log.info("applied", **object_fields(KEY), action="configured")
    (line,) = lines(stream)
    assert line["event"] == "applied"
    assert line["level"] == "info"
    assert line["logger"] == "platformctl.test"
    assert line["timestamp"].endswith("Z") and "T" in line["timestamp"]
    assert line["object"] == "InferenceService/ml-serving/fraud-detector" == str(KEY)
    assert (line["environment"], line["cluster"], line["revision"]) == ("prod-cloud", "gke-eu", "3f2c" * 10)
    assert line["action"] == "configured"


def test_not_a_terminal_means_json_and_level_filters(stream: io.StringIO) -> None:
    configure_logging(level="warning", stream=stream)  # StringIO is not a TTY
    log = structlog.get_logger()
    log.info("dropped")
    log.warning("kept", n=1)
    assert [line["event"] for line in lines(stream)] == ["kept"]


def test_console_renderer_when_asked(stream: io.StringIO) -> None:
    configure_logging(json=False, stream=stream)
    structlog.get_logger().info("hello", **object_fields(KEY), password="hunter2")
    text = stream.getvalue()
    assert "hello" in text and "object=InferenceService/ml-serving/fraud-detector" in text
    assert "hunter2" not in text
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)


def test_stdlib_records_share_the_format_and_the_masking(stream: io.StringIO) -> None:
    configure_logging(json=True, stream=stream)
    logging.getLogger("urllib3.connectionpool").warning("retrying with Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.x.y")
    (line,) = lines(stream)
    assert line["logger"] == "urllib3.connectionpool" and line["level"] == "warning"
    assert "eyJhbGci" not in line["event"] and f"Bearer {MASK}" in line["event"]


def test_reconfiguring_does_not_duplicate_lines(stream: io.StringIO) -> None:
    configure_logging(json=True, stream=io.StringIO())
    configure_logging(json=True, stream=stream)
    structlog.get_logger().info("once")
    assert len(lines(stream)) == 1


def test_sensitive_keys_and_secret_data_are_masked(stream: io.StringIO) -> None:
    configure_logging(json=True, stream=stream)
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"},
              "data": {"password": "aHVudGVyMg=="}, "stringData": {"url": "postgres://u:hunter2@db/x"}}
    structlog.get_logger().info(
        "applying", token="t0k3n-value", webhook_secret=b"s3cr3t", Authorization="Basic dXNlcjpwYXNz",
        manifest=secret, objects=[secret], password="hunter2",
        env=[{"name": "DB_PASSWORD", "value": "hunter2"}, {"name": "LOG_LEVEL", "value": "debug"}])
    (line,) = lines(stream)
    text = json.dumps(line)
    for leaked in ("t0k3n-value", "s3cr3t", "dXNlcjpwYXNz", "aHVudGVyMg==", "hunter2"):
        assert leaked not in text
    assert line["manifest"]["data"] == {"password": MASK}
    assert line["manifest"]["stringData"] == {"url": MASK}
    assert line["manifest"]["metadata"] == {"name": "db"}
    assert line["env"][1] == {"name": "LOG_LEVEL", "value": "debug"}
    assert secret["data"] == {"password": "aHVudGVyMg=="}  # the caller's object is untouched


def test_exceptions_are_rendered_and_scrubbed(stream: io.StringIO) -> None:
    configure_logging(json=True, stream=stream)
    try:
        raise RuntimeError("clone of https://x-access-token:ghs_abcdefghijklmnopqrstuvwxyz0123@github.com/a/b failed")
    except RuntimeError:
        structlog.get_logger().exception("fetch failed")
    (line,) = lines(stream)
    assert "RuntimeError" in line["exception"]
    assert "ghs_" not in line["exception"] and f"https://{MASK}@github.com/a/b" in line["exception"]


@pytest.mark.parametrize(("text", "expected"), [
    ("https://user:pass@example.com/repo.git", f"https://{MASK}@example.com/repo.git"),
    ("ssh://git@github.com/a/b.git", f"ssh://{MASK}@github.com/a/b.git"),
    ("token ghp_" + "a" * 36 + " leaked", f"token {MASK} leaked"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----", MASK),
    ("plain text with an @ sign and user@example.com", "plain text with an @ sign and user@example.com"),
    ("revision 3f2c1a9 applied", "revision 3f2c1a9 applied"),
])
def test_credentials_in_text(text: str, expected: str) -> None:
    assert scrub(text) == expected


def test_mask_secrets_processor_keeps_harmless_fields() -> None:
    event = {"event": "x", "environment": "prod", "object": "Secret/ns/db", "kind": "Secret", "count": 3}
    assert mask_secrets(None, "info", dict(event)) == event


def test_unknown_level_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown log level"):
        configure_logging(level="loud", stream=io.StringIO())


def test_a_secret_logged_as_top_level_fields_is_masked(stream: io.StringIO) -> None:
    configure_logging(json=True, stream=stream)
    structlog.get_logger().info("dump", kind="Secret", data={"key": "dmFsdWU="})
    assert lines(stream)[0]["data"] == {"key": MASK}
