"""Fixtures for spec tests: a writable copy of the bundled platform."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.generate import PLATFORM_PATHS, REPO, copy_platform

__all__ = ["PLATFORM_PATHS", "REPO", "copy_platform", "platform_copy"]


@pytest.fixture
def platform_copy(tmp_path: Path) -> Path:
    """A fresh, valid copy of the bundled platform in a temporary directory."""
    return copy_platform(tmp_path / "repo")
