"""Shared pytest configuration."""

import logging
from collections.abc import Iterator

import pytest
from hypothesis import settings

pytest_plugins = ["kubeserver.fixtures", "tests.realkube.fixtures"]

# Property tests are deterministic (examples derived from each test, no example database carried
# between runs) and never timed: a per-example deadline failed on a loaded 2-core machine.
settings.register_profile("platformctl", derandomize=True, database=None, deadline=None)
settings.load_profile("platformctl")


@pytest.fixture(autouse=True)
def _no_operator_policy_of_the_user(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Commands read the operator policy from $PLATFORMCTL_POLICY or ~/.config: never the developer's own."""
    monkeypatch.delenv("PLATFORMCTL_POLICY", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.getbasetemp() / "no-user-config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.getbasetemp() / "user-state"))  # the daemon's default


@pytest.fixture(autouse=True)
def _logging_handlers_end_with_the_test() -> Iterator[None]:
    """A command run in a test (``run``, ``demo``) points the root logger at that test's captured stderr;
    a thread still logging after the test ended would then write to a closed stream ("Logging error")."""
    root = logging.getLogger()
    before = list(root.handlers)
    yield
    for handler in [h for h in root.handlers if h not in before]:
        root.removeHandler(handler)
