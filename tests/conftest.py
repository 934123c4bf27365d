"""Shared pytest configuration."""

pytest_plugins = ["tests.kubeserver.fixtures", "tests.realkube.fixtures"]
