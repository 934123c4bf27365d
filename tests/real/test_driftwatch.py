"""Drift seen by WATCH (tests/daemon/test_driftwatch.py) on real kube-apiservers."""

from tests.engine.conftest import *  # noqa: F403 - collected again against a real kube-apiserver
from tests.daemon.conftest import *  # noqa: F403 - collected again against a real kube-apiserver
from tests.daemon.test_driftwatch import *  # noqa: F403 - collected again against a real kube-apiserver
