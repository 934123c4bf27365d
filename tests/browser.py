"""Debian's chromium, headless, driven by Playwright for Python: never a browser Playwright downloads.

``make test`` installs both (``make chromium``; ``playwright`` is a dev extra). A test that needs the
browser is skipped, with the reason, only when chromium cannot be started at all.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("PLATFORMCTL_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
"""Known to work as root in a container; the user data directory is a fresh one per test."""


REQUIRED = os.environ.get("PLATFORMCTL_REQUIRE_BROWSER") == "1"
"""Set by ``make test``, which installs chromium first: there a missing or broken browser fails the
browser tests instead of skipping them (only ``make test-fast`` on a machine without it skips)."""


def _unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(reason)
    pytest.skip(reason)


@contextmanager
def chromium(profile: Path, *, headers: Mapping[str, str] | None = None) -> Iterator[Any]:
    """A browser context (Playwright ``BrowserContext``) of the system chromium with a fresh profile."""
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        _unavailable(f"no chromium at {CHROMIUM}: run `make chromium` (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install -e '.[dev]'")
    with sync_api.sync_playwright() as playwright:
        try:
            context = playwright.chromium.launch_persistent_context(
                str(profile), executable_path=CHROMIUM, headless=True, args=FLAGS,
                extra_http_headers=dict(headers or {}), viewport={"width": 1400, "height": 900})
        except sync_api.Error as exc:
            _unavailable(f"chromium at {CHROMIUM} cannot be started: {str(exc).splitlines()[0]}")
        try:
            yield context
        finally:
            context.close()
