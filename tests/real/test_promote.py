"""Promotion with health gates read from real kube-apiservers."""

from tests.engine.conftest import *  # noqa: F403 - collected again against a real kube-apiserver
from tests.promote.test_promote_cli import *  # noqa: F403 - collected again against a real kube-apiserver
