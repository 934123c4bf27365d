"""Structured logs: one structlog configuration, the same identity fields everywhere, no secret values.

Every line carries an ISO-8601 UTC ``timestamp``, the ``level``, the ``logger`` and whatever context
is bound. Callers bind the target once and name objects with ``object_fields``::

    log = structlog.get_logger().bind(**target_fields(environment="prod", cluster="gke-eu", revision=sha))
    log.info("applied", **object_fields(key), action="configured")
    # {"event": "applied", "environment": "prod", "cluster": "gke-eu", "revision": "3f2c...",
    #  "object": "InferenceService/ml-serving/fraud-detector", "action": "configured", ...}

Records of other libraries' stdlib loggers (kubernetes, urllib3, GitPython) go through the same
processors, so they are masked and rendered the same way.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping
from typing import Any, TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from reconciler.objects import ObjectKey

__all__ = ["MASK", "IDENTITY_KEYS", "configure_logging", "mask_secrets", "object_fields", "scrub", "target_fields"]

MASK = "***"
IDENTITY_KEYS = ("environment", "cluster", "revision", "object")
"""The identity fields every log line about a target or an object uses, by these names."""

# Keys whose values are never logged (matched anywhere in the name, case-insensitively).
SENSITIVE_KEY = re.compile(
    r"token|passw(or)?d|secret|authorization|api[_-]?key|access[_-]?key|private[_-]?key|credential|cookie",
    re.IGNORECASE,
)
# Credentials inside free text: URL userinfo (https://user:token@host) and bearer/basic headers.
_URL_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s@:]*(:[^/\s@]*)?@")
_AUTH_HEADER = re.compile(r"(?P<scheme>\b(?:bearer|basic)\s+)[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE)
# Well-known credential shapes: GitHub and GitLab tokens, AWS access key ids, PEM private keys.
_KNOWN_TOKEN = re.compile(
    r"gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}|glpat-[A-Za-z0-9_-]{20,}|AKIA[0-9A-Z]{16}"
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)"
)
_SECRET_DATA_FIELDS = ("data", "stringData")
_MAX_DEPTH = 32

_HANDLER_NAME = "platformctl"


def configure_logging(*, json: bool | None = None, level: str = "info", stream: TextIO | None = None) -> None:
    """Configure structlog and the stdlib root logger for the process (call once at start; safe to repeat).

    ``json=None`` picks JSON lines when ``stream`` (default stderr) is not a terminal and a coloured
    console format when it is. ``level`` is a stdlib level name (debug, info, warning, error).
    """
    out = stream if stream is not None else sys.stderr
    threshold = _level(level)
    as_json = (not _isatty(out)) if json is None else json
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Processor = (structlog.processors.JSONRenderer(default=str) if as_json
                           else structlog.dev.ConsoleRenderer(colors=_isatty(out)))
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            mask_secrets,
            renderer,
        ],
    )
    handler = logging.StreamHandler(out)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(threshold)
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(threshold),
        cache_logger_on_first_use=False,
    )


def object_fields(key: ObjectKey) -> dict[str, str]:
    """The identity of one object in a log line: ``{"object": "Kind/ns/name"}`` (``str(ObjectKey)``)."""
    return {"object": str(key)}


def target_fields(*, environment: str, cluster: str, revision: str) -> dict[str, str]:
    """The identity of one reconcile target, to ``bind()`` once per worker or reconcile."""
    return {"environment": environment, "cluster": cluster, "revision": revision}


def mask_secrets(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """structlog processor: mask sensitive keys, Secret data and credentials in text (copies, never mutates)."""
    return _scrub_mapping(event_dict, 0)


def scrub(value: Any, _depth: int = 0) -> Any:
    """A copy of ``value`` with secret values masked.

    Masks values under sensitive-looking keys (``token``, ``password``, ``secret``, ``authorization``,
    ...), every value of ``data``/``stringData`` in a ``kind: Secret`` object, ``value`` of
    ``{name: DB_PASSWORD, value: ...}`` pairs, and credentials in strings (URL userinfo, bearer and
    basic credentials, GitHub/GitLab tokens, AWS key ids, PEM private keys).
    """
    if _depth > _MAX_DEPTH:
        return MASK
    if isinstance(value, str):
        return _scrub_text(value)
    if isinstance(value, Mapping):
        return _scrub_mapping(value, _depth)
    if isinstance(value, (list, tuple)):
        return [scrub(v, _depth + 1) for v in value]
    if isinstance(value, (set, frozenset)):
        return [scrub(v, _depth + 1) for v in sorted(value, key=repr)]
    return value


def _scrub_mapping(value: Mapping[Any, Any], depth: int) -> dict[Any, Any]:
    is_secret = value.get("kind") == "Secret"
    named_secret = isinstance(value.get("name"), str) and _sensitive(value["name"])
    out: dict[Any, Any] = {}
    for key, item in value.items():
        if _sensitive(key) or (named_secret and key == "value"):
            out[key] = MASK
        elif is_secret and key in _SECRET_DATA_FIELDS and isinstance(item, Mapping):
            out[key] = {k: MASK for k in item}
        elif is_secret and key in _SECRET_DATA_FIELDS:
            out[key] = MASK
        else:
            out[key] = scrub(item, depth + 1)
    return out


def _scrub_text(text: str) -> str:
    if "@" in text:
        text = _URL_USERINFO.sub(lambda m: f"{m.group('scheme')}{MASK}@", text)
    text = _AUTH_HEADER.sub(lambda m: f"{m.group('scheme')}{MASK}", text)
    return _KNOWN_TOKEN.sub(MASK, text)


def _sensitive(key: object) -> bool:
    return isinstance(key, str) and SENSITIVE_KEY.search(key) is not None


def _level(name: str) -> int:
    value = logging.getLevelNamesMapping().get(name.upper())
    if value is None:
        raise ValueError(f"unknown log level {name!r}; use debug, info, warning or error")
    return value


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # closed or not a real file
        return False
