"""The resilience scenarios (tests/resilience) with faults from a proxy in front of real kube-apiservers."""

from tests.engine.conftest import *  # noqa: F403 - collected again against a real kube-apiserver
from tests.resilience.conftest import *  # noqa: F403 - collected again against a real kube-apiserver
from tests.resilience.test_scenarios import *  # noqa: F403 - collected again against a real kube-apiserver
