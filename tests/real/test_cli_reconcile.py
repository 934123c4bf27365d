"""The CLI end to end (plan, apply, status against clusters) on real kube-apiservers."""

from tests.engine.conftest import *  # noqa: F403 - collected again against a real kube-apiserver
from tests.test_cli_reconcile import *  # noqa: F403 - collected again against a real kube-apiserver
