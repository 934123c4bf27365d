"""The daemon end to end (convergence, leases, push relay, resilience, replacements) on real kube-apiservers."""

from tests.engine.conftest import *  # noqa: F403 - collected again against a real kube-apiserver
from tests.daemon.conftest import *  # noqa: F403 - collected again against a real kube-apiserver
from tests.daemon.test_convergence import *  # noqa: F403 - collected again against a real kube-apiserver
from tests.daemon.test_leader import *  # noqa: F403 - collected again against a real kube-apiserver
from tests.daemon.test_pushrelay import *  # noqa: F403 - collected again against a real kube-apiserver
from tests.daemon.test_resilience import *  # noqa: F403 - collected again against a real kube-apiserver
from tests.daemon.test_service import *  # noqa: F403 - collected again against a real kube-apiserver
from tests.daemon.test_replacement import *  # noqa: F403 - collected again against a real kube-apiserver
from tests.daemon.test_shards import *  # noqa: F403 - collected again against a real kube-apiserver
from tests.daemon.test_shard_fleet import *  # noqa: F403 - collected again against a real kube-apiserver
