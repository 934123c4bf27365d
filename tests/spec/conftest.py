"""Fixtures for spec tests: a writable copy of the bundled platform."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PLATFORM_PATHS = ("platform.yaml", "components", "environments", "kfp-pipelines")


def copy_platform(dest: Path) -> Path:
    """Copy the bundled example platform (spec files and compiled pipelines) into ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in PLATFORM_PATHS:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, dest / name)
        else:
            shutil.copy2(source, dest / name)
    return dest


@pytest.fixture
def platform_copy(tmp_path: Path) -> Path:
    """A fresh, valid copy of the bundled platform in a temporary directory."""
    return copy_platform(tmp_path / "repo")
