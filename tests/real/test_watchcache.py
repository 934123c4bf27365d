"""Reads from watches (tests/daemon/test_watchcache.py) on real kube-apiservers."""

from tests.engine.conftest import *  # noqa: F403 - collected again against a real kube-apiserver
from tests.daemon.conftest import *  # noqa: F403 - collected again against a real kube-apiserver
from tests.daemon.test_watchcache import *  # noqa: F403 - collected again against a real kube-apiserver
