"""Shared pytest configuration."""

import pytest

pytest_plugins = ["kubeserver.fixtures", "tests.realkube.fixtures"]


@pytest.fixture(autouse=True)
def _no_operator_policy_of_the_user(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Commands read the operator policy from $PLATFORMCTL_POLICY or ~/.config: never the developer's own."""
    monkeypatch.delenv("PLATFORMCTL_POLICY", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.getbasetemp() / "no-user-config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.getbasetemp() / "user-state"))  # the daemon's default
