"""KubeCluster's client behaviour (retries, rate limits, watches) against a real kube-apiserver."""

from tests.cluster.conftest import *  # noqa: F403 - collected again against a real kube-apiserver
from tests.cluster.test_kube import *  # noqa: F403 - collected again against a real kube-apiserver
from tests.cluster.test_kube_watch import *  # noqa: F403 - collected again against a real kube-apiserver
from tests.cluster.test_kube_fence import *  # noqa: F403 - collected again against a real kube-apiserver
