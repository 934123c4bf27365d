"""Plans against live state (tests/test_plan.py) on real kube-apiservers."""

from tests.engine.conftest import *  # noqa: F403 - collected again against a real kube-apiserver
from tests.test_plan import *  # noqa: F403 - collected again against a real kube-apiserver
