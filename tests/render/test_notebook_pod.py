"""Notebooks: volumes beyond PVCs, affinity and PodDefault labels, rendered as upstream writes them (issue 14)."""

from __future__ import annotations

import pytest

from reconciler.conformance import validate_object
from reconciler.errors import SpecErrors
from reconciler.objects import Manifest
from reconciler.render import render_cluster
from reconciler.spec.load import load
from tests.render.test_roundtrip import minimal_platform, render_component

NOTEBOOK = b"apiVersion: platformctl.dev/v1alpha1\nkind: Notebook\nmetadata: {name: lab}\nspec:\n  image: j:1\n"


def notebook(extra: bytes) -> Manifest:
    rendered = render_component(minimal_platform(NOTEBOOK + extra, "ml"), "Notebook", "lab")
    assert validate_object(rendered) == []  # the upstream Notebook CRD accepts it
    return rendered


def test_a_memory_backed_dev_shm_a_config_map_and_a_secret_are_mounted() -> None:
    pod = notebook(b"  workspace: null\n  volumes:\n"
                   b"    - {name: dshm, mountPath: /dev/shm, emptyDir: {medium: Memory, sizeLimit: 2Gi}}\n"
                   b"    - {name: scratch, mountPath: /scratch, emptyDir: {}}\n"
                   b"    - {name: settings, mountPath: /etc/lab, configMap: lab-settings, readOnly: true}\n"
                   b"    - {name: creds, mountPath: /var/run/creds, secret: lab-credentials, readOnly: true}\n"
                   )["spec"]["template"]["spec"]
    assert pod["volumes"] == [
        {"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": "2Gi"}},
        {"name": "scratch", "emptyDir": {}},
        {"name": "settings", "configMap": {"name": "lab-settings"}},
        {"name": "creds", "secret": {"secretName": "lab-credentials"}},
    ]
    assert pod["containers"][0]["volumeMounts"] == [
        {"name": "dshm", "mountPath": "/dev/shm"},
        {"name": "scratch", "mountPath": "/scratch"},
        {"name": "settings", "mountPath": "/etc/lab", "readOnly": True},
        {"name": "creds", "mountPath": "/var/run/creds", "readOnly": True},
    ]


def test_only_claims_become_persistent_volume_claims() -> None:
    source = minimal_platform(NOTEBOOK + b"  workspace: null\n  volumes:\n"
                              b"    - {name: dshm, mountPath: /dev/shm, emptyDir: {medium: Memory}}\n"
                              b"    - {name: data, mountPath: /data, size: 5Gi}\n", "ml")
    kinds = sorted((r.manifest["kind"], r.manifest["metadata"]["name"])
                   for r in render_cluster(load(source), "rt", "local", "roundtrip")
                   if r.manifest["kind"] == "PersistentVolumeClaim")
    assert kinds == [("PersistentVolumeClaim", "lab-data")]


@pytest.mark.parametrize(("volume", "said"), [
    (b"{name: v, mountPath: /v}", "needs exactly one of size, existingClaim, emptyDir, configMap or secret"),
    (b"{name: v, mountPath: /v, emptyDir: {}, configMap: c}", "(it gives emptyDir, configMap)"),
])
def test_a_volume_needs_exactly_one_source(volume: bytes, said: str) -> None:
    with pytest.raises(SpecErrors) as raised:
        load(minimal_platform(NOTEBOOK + b"  volumes:\n    - " + volume + b"\n", "ml"))
    assert said in str(raised.value) and "components/notebooks/lab.yaml:" in str(raised.value)


def test_affinity_and_tolerations_are_rendered_as_written() -> None:
    affinity = (b"      affinity:\n        nodeAffinity:\n          requiredDuringSchedulingIgnoredDuringExecution:\n"
                b"            nodeSelectorTerms:\n              - matchExpressions:\n"
                b"                  - {key: nvidia.com/gpu.product, operator: In, values: [NVIDIA-A100-SXM4-80GB]}\n")
    pod = notebook(b"  placement:\n      tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]\n"
                   + affinity)["spec"]["template"]["spec"]
    assert pod["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    assert pod["affinity"] == {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [
            {"key": "nvidia.com/gpu.product", "operator": "In", "values": ["NVIDIA-A100-SXM4-80GB"]}]}]}}}


def test_an_affinity_the_upstream_schema_refuses_is_an_error() -> None:
    rendered = render_component(minimal_platform(
        NOTEBOOK + b"  placement:\n    affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: 3}}\n",
        "ml"), "Notebook", "lab")
    assert validate_object(rendered) != []


def test_pod_defaults_are_selected_by_labels_on_the_notebook() -> None:
    labels = notebook(b"  podDefaultLabels: {add-gcp-secret: 'true', access-ml-pipeline: 'true'}\n")["metadata"]["labels"]
    assert labels["add-gcp-secret"] == "true" and labels["access-ml-pipeline"] == "true"
    assert labels["app"] == "lab"  # our own labels are still there


def test_a_pod_default_label_cannot_claim_platformctls_prefix() -> None:
    with pytest.raises(SpecErrors, match="platformctl.dev/component: keys under platformctl.dev/ are set by platformctl"):
        load(minimal_platform(NOTEBOOK + b"  podDefaultLabels: {platformctl.dev/component: x}\n", "ml"))
