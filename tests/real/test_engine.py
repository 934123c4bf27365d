"""Engine plan/apply/prune (tests/engine) against real kube-apiservers."""

from tests.engine.conftest import *  # noqa: F403 - collected again against a real kube-apiserver
from tests.engine.test_reconcile import *  # noqa: F403 - collected again against a real kube-apiserver
from tests.engine.test_ownership import *  # noqa: F403 - collected again against a real kube-apiserver
from tests.engine.test_teams import *  # noqa: F403 - collected again against a real kube-apiserver
