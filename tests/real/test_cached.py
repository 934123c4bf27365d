"""The watch cache's client (tests/cluster/test_cached.py) against a real kube-apiserver."""

from tests.cluster.conftest import fake_time, kube  # noqa: F401 - fixtures, shared
from tests.cluster.test_cached import *  # noqa: F403 - the suite, collected again here
