"""What we ship is built from pinned parts: the pull-request workflow and the container build."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.y*ml"))
CONTAINERFILE = REPO / "deploy" / "Containerfile"
LOCK = REPO / "deploy" / "requirements.lock"


def _steps() -> list[dict[str, Any]]:
    assert WORKFLOWS
    steps: list[dict[str, Any]] = []
    for path in WORKFLOWS:
        for job in yaml.safe_load(path.read_text())["jobs"].values():
            steps.extend(job.get("steps", []))
    return steps


def test_every_action_is_pinned_by_a_full_commit_sha() -> None:
    uses = [step["uses"] for step in _steps() if "uses" in step]
    assert uses
    for ref in uses:
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref), f"{ref} is not pinned by commit"


def test_checkout_keeps_no_credentials() -> None:
    checkouts = [step for step in _steps() if step.get("uses", "").startswith("actions/checkout@")]
    assert checkouts
    assert all(step.get("with", {}).get("persist-credentials") is False for step in checkouts)


def test_no_expression_is_interpolated_into_a_shell_script() -> None:
    scripts = [str(step["run"]) for step in _steps() if "run" in step]
    assert scripts
    for script in scripts:
        assert "${{" not in script, f"use an env: variable instead of an expression in:\n{script}"


def _stages() -> list[str]:
    text = CONTAINERFILE.read_text()
    args = dict(re.findall(r"^ARG (\w+)=(\S+)$", text, re.MULTILINE))
    return [re.sub(r"\$\{(\w+)\}", lambda m: args[m[1]], image)
            for image in re.findall(r"^FROM (\S+)", text, re.MULTILINE)]


def test_the_base_image_is_pinned_by_digest() -> None:
    images = _stages()
    assert images
    for image in images:
        assert re.fullmatch(r"[\w./:-]+@sha256:[0-9a-f]{64}", image), f"{image} is not pinned by digest"


def test_python_packages_come_from_the_hashed_lock_file_only() -> None:
    text = CONTAINERFILE.read_text().replace("\\\n", " ")
    installs = [line for line in text.splitlines() if "pip install" in line]
    assert installs
    for line in installs:
        locked = "--require-hashes" in line and "-r requirements.lock" in line and "--no-deps" in line
        local_only = "--no-index" in line and "--no-deps" in line
        assert locked or local_only, f"unpinned install: {line}"
    assert "COPY deploy/requirements.lock" in text


def _locked() -> dict[str, str]:
    entries = LOCK.read_text().replace("\\\n", " ")
    pins: dict[str, str] = {}
    for line in entries.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)==(\S+)\s+--hash=sha256:([0-9a-f]{64})", line.strip())
        assert match, f"not a pinned, hashed requirement: {line}"
        pins[re.sub(r"[-_.]+", "-", match[1]).lower()] = match[2]
    return pins


def test_the_lock_file_pins_every_dependency_of_the_package() -> None:
    pins = _locked()
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    for requirement in [*project["project"]["dependencies"], *project["build-system"]["requires"]]:
        name = re.sub(r"[-_.]+", "-", re.split(r"[<>=!~;\[ ]", requirement)[0]).lower()
        assert name in pins, f"{name} is missing from deploy/requirements.lock"


def test_the_image_carries_what_ssh_remotes_and_signature_checks_need() -> None:
    text = CONTAINERFILE.read_text().replace("\\\n", " ")
    [install] = [line for line in text.splitlines() if "apt-get install" in line]
    packages = set(install.split())
    assert {"git", "openssh-client", "gnupg", "ca-certificates"} <= packages  # ssh, ssh-keygen, gpg


def test_everything_the_product_imports_is_in_the_lock_file() -> None:
    """The image installs only the lock: a module imported by reconciler/ but missing from it fails at run time
    (typer bundles its own click, so ``import click`` worked in development and not in the image)."""
    import ast
    import sys
    from importlib.metadata import packages_distributions

    distributions = packages_distributions()
    pins = _locked()
    missing: set[str] = set()
    for source in (REPO / "reconciler").rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
                     else [])
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top == "reconciler":
                    continue
                dists = distributions.get(top, [top])
                if not any(re.sub(r"[-_.]+", "-", d).lower() in pins for d in dists):
                    missing.add(f"{top} ({source.relative_to(REPO)})")
    assert sorted(missing) == []
