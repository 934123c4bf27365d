"""The Event recorder (tests/cluster/test_kube_events.py) against a real kube-apiserver: the test server's
events (create, merge-patched count, 404 in a missing namespace) held to the real thing."""

from tests.cluster.conftest import *  # noqa: F403 - collected again against a real kube-apiserver
from tests.cluster.test_kube_events import *  # noqa: F403 - collected again against a real kube-apiserver
