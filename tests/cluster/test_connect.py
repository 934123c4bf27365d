"""connect(): an environment's cluster entry becomes a client with the right limits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.cluster.connect import connect
from reconciler.cluster.kube.cluster import KubeCluster
from reconciler.cluster.localdir.cluster import LocalDirCluster
from reconciler.policy.enforcement import Enforcement
from reconciler.policy.model import OperatorPolicy, OperatorPolicySpec
from reconciler.policy.places import PlaceRefused
from reconciler.spec.models import Cluster as ClusterSpec


def allowing(kube_config: Path, root: Path) -> Enforcement:
    """An operator policy whose kubeconfig directory holds ``kube_config``."""
    policy = OperatorPolicy(spec=OperatorPolicySpec(kubeconfig_dir=str(kube_config.parent)))
    return Enforcement.of(policy, "a test policy", root)


def _entry(kube_config: Path, **rate_limit: Any) -> ClusterSpec:
    body: dict[str, Any] = {"name": "east", "kubeconfig": {"context": "kube", "path": str(kube_config)}}
    if rate_limit:
        body["rateLimit"] = rate_limit
    return ClusterSpec.model_validate(body)


def test_default_is_auto_starting_at_200_qps_and_32_in_flight(kube_config: Path, tmp_path: Path) -> None:
    cluster = connect(_entry(kube_config), tmp_path, allowing(kube_config, tmp_path))
    assert isinstance(cluster, KubeCluster)
    with cluster:
        assert cluster.options.defer_to_flow_control
        assert (cluster.options.qps, cluster.options.burst, cluster.options.pool_size) == (200.0, 400, 32)


@pytest.mark.parametrize(("qps", "expected"), [(50, 50.0), (0, 0.0), (12.5, 12.5)])
def test_a_number_is_the_operators_choice_and_is_never_lifted(kube_config: Path, tmp_path: Path, qps: float,
                                                             expected: float) -> None:
    cluster = connect(_entry(kube_config, qps=qps, burst=20, maxInFlight=4), tmp_path, allowing(kube_config, tmp_path))
    assert isinstance(cluster, KubeCluster)
    with cluster:
        assert not cluster.options.defer_to_flow_control
        assert (cluster.options.qps, cluster.options.burst, cluster.options.pool_size) == (expected, 20, 4)


@pytest.mark.parametrize("qps", ["fast", -1, True, None])
def test_anything_else_is_refused(kube_config: Path, qps: object) -> None:
    with pytest.raises(ValueError, match="must be 'auto' or a number of requests per second"):
        _entry(kube_config, qps=qps)


def test_a_kubeconfig_path_is_refused_without_a_policy_and_outside_its_directory(kube_config: Path,
                                                                                 tmp_path: Path) -> None:
    with pytest.raises(PlaceRefused, match="no kubeconfig directory is configured"):
        connect(_entry(kube_config), tmp_path)
    (tmp_path / "allowed").mkdir()
    with pytest.raises(PlaceRefused, match="outside"):
        connect(_entry(kube_config), tmp_path, allowing(tmp_path / "allowed" / "x", tmp_path))


@pytest.mark.parametrize("directory", ["../x", "/tmp/x", "a/../../x"])
def test_a_directory_outside_the_root_is_refused_and_nothing_is_created(tmp_path: Path, directory: str) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    with pytest.raises(PlaceRefused):
        connect(ClusterSpec.model_validate({"name": "d", "directory": directory}), root)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["repo"] and not any(root.iterdir())


def test_a_directory_inside_the_root_connects(tmp_path: Path) -> None:
    cluster = connect(ClusterSpec.model_validate({"name": "d", "directory": "clusters/d"}), tmp_path)
    assert isinstance(cluster, LocalDirCluster)
