"""The offline conformance check (reconciler.conformance) agrees with a real kube-apiserver.

Every valid object of tests/conformance/objects.py, and every object the bundled platform
renders, passes the server's own validation (a dry-run create with strict field validation);
every broken object of tests/conformance/test_objects.py's table is refused by the server on the
same field, for the same reason, with the same message.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.conformance import FieldViolation, validate_object
from reconciler.objects import Manifest
from reconciler.render import render_cluster
from reconciler.spec.load import load
from tests.conformance.objects import ALL_VALID, changed
from tests.conformance.test_objects import CASES, Make
from tests.realkube.cluster import RealCluster

_PLURALS: dict[str, dict[str, tuple[str, bool]]] = {}


def _collection(cluster: RealCluster, obj: Mapping[str, Any]) -> str:
    api_version, kind = obj["apiVersion"], obj["kind"]
    if api_version not in _PLURALS:
        base = f"/apis/{api_version}" if "/" in api_version else f"/api/{api_version}"
        listing = cluster.apiserver.call("GET", base)
        _PLURALS[api_version] = {r["kind"]: (r["name"], r["namespaced"]) for r in listing["resources"]
                                 if "/" not in r["name"]}
    base = f"/apis/{api_version}" if "/" in api_version else f"/api/{api_version}"
    namespace = (obj.get("metadata") or {}).get("namespace")
    plural, namespaced = _PLURALS[api_version][kind]
    return f"{base}/namespaces/{namespace}/{plural}" if namespace and namespaced else f"{base}/{plural}"


def dry_run_create(cluster: RealCluster, obj: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
    """The server's verdict on creating `obj` (nothing stored): status and Status body."""
    namespace = (obj.get("metadata") or {}).get("namespace")
    if namespace and obj["kind"] != "Namespace":
        cluster.apiserver.raw("POST", "/api/v1/namespaces", json.dumps(
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}).encode())
    code, raw = cluster.apiserver.raw("POST", f"{_collection(cluster, obj)}?dryRun=All&fieldValidation=Strict",
                                      json.dumps(obj).encode())
    return code, json.loads(raw) if raw.startswith(b"{") else {"message": raw.decode()}


def server_violations(body: Mapping[str, Any]) -> list[FieldViolation]:
    """The server's refusal in the conformance check's terms."""
    causes = (body.get("details") or {}).get("causes") or []
    found = [FieldViolation(c.get("field", ""), c.get("reason", ""), c.get("message", "")) for c in causes]
    message = str(body.get("message", ""))
    if not found and "strict decoding error: unknown field " in message:
        field = message.split('unknown field "', 1)[1].split('"', 1)[0]
        found = [FieldViolation(field, "FieldValueUnknown", f'unknown field "{field}"')]
    return found


# Where the server's answer differs in form, not in verdict.
NOT_ADDRESSABLE = {"metadata.namespace"}
"""A namespaced object without a valid namespace cannot be sent at all: the server answers 404."""
STRICTER_OFFLINE = {("namespace", "metadata.namespace"), ("profile", "metadata.namespace"), ("profile", "metadata.name")}
"""Refused offline on purpose though the apiserver stores them (201): a namespace on a
cluster-scoped object (the server silently drops it: whoever wrote it expected something the
cluster will not do), and a Profile name that is no DNS label (the Kubeflow profile controller
then fails to create the namespace of that name)."""


@pytest.mark.parametrize("kind", sorted(ALL_VALID))
def test_every_valid_object_is_accepted_by_the_server(real_cluster: RealCluster, kind: str) -> None:
    obj = ALL_VALID[kind]()
    assert validate_object(obj) == []
    code, body = dry_run_create(real_cluster, obj)
    assert code == 201, body.get("message")


def test_every_object_the_bundled_platform_renders_is_accepted_by_the_server(real_cluster: RealCluster) -> None:
    from reconciler.render import render_environment
    from reconciler.source.directory import DirectorySource
    from reconciler.spec.load import load
    from tests.realkube.binaries import REPO

    spec = load(DirectorySource(REPO))
    refused = {}
    for environment in spec.environments:
        for obj in (r.manifest for rendered in render_environment(spec, environment, "r1").values()
                    for r in rendered):
            assert validate_object(obj) == [], obj["metadata"]
            code, body = dry_run_create(real_cluster, obj)
            if code not in (201, 409):  # 409: created by an earlier environment's namespace object
                refused[f"{environment}: {obj['kind']}/{obj['metadata']['name']}"] = body.get("message")
    assert refused == {}


@pytest.mark.parametrize(("make", "path", "value", "expected"), CASES, ids=[f"{c[0].__name__}:{c[1]}" for c in CASES])
def test_every_broken_object_is_refused_by_the_server_as_the_offline_check_says(
        real_cluster: RealCluster, make: Make, path: str, value: Any, expected: FieldViolation) -> None:
    obj = changed(make(), path, value)
    assert validate_object(obj) == [expected]
    code, body = dry_run_create(real_cluster, obj)
    if (make.__name__, path) in STRICTER_OFFLINE:
        assert code == 201
        return
    if path in NOT_ADDRESSABLE and make.__name__ not in ("namespace", "profile"):
        assert code == 404
        return
    assert code in (400, 422), (code, body.get("message"))
    if code == 400 and not (body.get("details") or {}).get("causes") and "strict decoding" not in body["message"]:
        # A value the server cannot even decode (a malformed quantity): same words, no field.
        assert expected.message.split('": ', 1)[1] in body["message"], body
        return
    assert expected in server_violations(body), body


def _breadth_objects() -> dict[str, Manifest]:
    """What the issue-14 breadth specs render (serving, notebooks), keyed for the test ids."""
    from tests.render import test_notebook_pod as notebooks
    from tests.render import test_serving_breadth as serving
    from tests.render.test_roundtrip import minimal_platform, render_component

    sources = {
        "serving-keda-batcher": ("Serving", "iris", serving.SERVING + serving.KEDA
                                 + b"  batcher: {maxBatchSize: 32, maxLatency: 500}\n"
                                 b"  explainer: {image: 'registry.acme.io/explain:1', resources: null}\n"),
        "serving-custom-container": ("Serving", "custom-model", serving.CUSTOM),
        "notebook-volumes-affinity": ("Notebook", "lab", notebooks.NOTEBOOK + b"  workspace: null\n  volumes:\n"
                                      b"    - {name: dshm, mountPath: /dev/shm, emptyDir: {medium: Memory, sizeLimit: 2Gi}}\n"
                                      b"    - {name: settings, mountPath: /etc/lab, configMap: lab-settings}\n"
                                      b"    - {name: creds, mountPath: /var/run/creds, secret: lab-credentials}\n"
                                      b"  podDefaultLabels: {add-gcp-secret: 'true'}\n"
                                      b"  placement:\n    affinity: {podAntiAffinity: {preferredDuringSchedulingIgnoredDuringExecution:"
                                      b" [{weight: 1, podAffinityTerm: {topologyKey: kubernetes.io/hostname}}]}}\n"),
    }
    found = {name: render_component(minimal_platform(text, "ml"), kind, object_name)
             for name, (kind, object_name, text) in sources.items()}
    spec = load(serving._runtime_platform())
    found["serving-runtime"] = next(r.manifest for r in render_cluster(spec, "rt", "local", "roundtrip")
                                    if r.manifest["kind"] == "ServingRuntime")
    return found


def _upstream_cases() -> dict[str, Manifest]:
    """Every upstream example the renderer reproduces (tests/data/roundtrip), rendered."""
    from tests.render.test_roundtrip import ALL_CASES, render_case

    cases = {case.id: render_case(case) for case in ALL_CASES}
    training = Path(__file__).resolve().parents[1] / "data" / "training" / "expected"
    for path in sorted(training.glob("*.yaml")):  # what the training specs render (tests/render/test_training.py)
        cases[path.stem] = yaml.safe_load(path.read_text())
    return cases


def test_every_rendered_upstream_example_and_breadth_object_is_accepted_by_the_server(
        real_cluster: RealCluster) -> None:
    refused = {}
    for name, obj in sorted({**_upstream_cases(), **_breadth_objects()}.items()):
        assert validate_object(obj) == [], name
        code, body = dry_run_create(real_cluster, obj)
        if code not in (201, 409):
            refused[name] = body.get("message")
    assert refused == {}
