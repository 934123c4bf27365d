"""Fields a server refuses to change, planned as replacements (tests/engine/test_replace.py), on real kube-apiservers."""

from tests.engine.conftest import *  # noqa: F403 - collected again against a real kube-apiserver
from tests.engine.test_replace import *  # noqa: F403 - collected again against a real kube-apiserver
