"""Serving breadth (issue 14): the request batcher, HPA/KEDA autoscaling metrics, an explainer; each rendered
only when set, as KServe's own examples write them, and accepted by the upstream CRD."""

from __future__ import annotations

import json

import pytest

from reconciler.conformance import validate_object
from reconciler.errors import SpecErrors
from reconciler.kinds import apply_rank
from reconciler.objects import Manifest
from reconciler.render import render_cluster
from reconciler.spec.load import load
from reconciler.spec.sources import MemorySource
from reconciler.tenancy import Scope, tenancy_violations
from tests.render.test_roundtrip import minimal_platform, render_component

SERVING = (b"apiVersion: platformctl.dev/v1alpha1\nkind: Serving\nmetadata: {name: iris}\nspec:\n"
           b"  model: {format: sklearn, storageUri: 'gs://models/iris'}\n")

KEDA = b"""  deploymentMode: Standard
  replicas: {min: 1, max: 5}
  autoscaling:
    metrics:
      - type: External
        external:
          metric:
            backend: prometheus
            serverAddress: http://prometheus.istio-system:9090
            query: sum(rate(http_requests_total{namespace="ml"}[1m]))
          target: {type: Value, value: "2"}
"""


def predictor(extra: bytes) -> dict[str, object]:
    rendered: Manifest = render_component(minimal_platform(SERVING + extra, "ml"), "Serving", "iris")
    assert validate_object(rendered) == []  # the upstream InferenceService CRD accepts it
    return dict(rendered["spec"]["predictor"])


def test_the_batcher_renders_what_is_set() -> None:
    assert predictor(b"  batcher: {maxBatchSize: 32, maxLatency: 500}\n")["batcher"] == {
        "maxBatchSize": 32, "maxLatency": 500}
    assert "batcher" not in predictor(b"")


def test_keda_metrics_are_rendered_as_kserve_writes_them() -> None:
    found = predictor(KEDA)
    assert found["autoScaling"] == {"metrics": [{"type": "External", "external": {
        "metric": {"backend": "prometheus", "serverAddress": "http://prometheus.istio-system:9090",
                   "query": 'sum(rate(http_requests_total{namespace="ml"}[1m]))'},
        "target": {"type": "Value", "value": "2"}}}]}
    assert "scaleMetric" not in found and "scaleTarget" not in found  # nothing the spec did not set


def test_autoscaling_metrics_need_standard_mode() -> None:
    with pytest.raises(SpecErrors) as raised:
        load(minimal_platform(SERVING + KEDA.replace(b"deploymentMode: Standard", b"deploymentMode: Knative"), "ml"))
    message = str(raised.value)
    assert "components/serving/iris.yaml:" in message and "autoscaling.metrics (HPA or KEDA) needs deploymentMode" in message


def test_scale_metric_and_target_only_when_set() -> None:
    assert {k: v for k, v in predictor(b"  autoscaling: {metric: rps}\n").items() if k.startswith("scale")} == {
        "scaleMetric": "rps"}
    both = predictor(b"  deploymentMode: Standard\n  autoscaling: {metric: cpu, metricType: Utilization, target: 70}\n")
    assert (both["scaleMetric"], both["scaleMetricType"], both["scaleTarget"]) == ("cpu", "Utilization", 70)


def test_a_metric_the_crd_refuses_is_caught_offline() -> None:
    rendered = render_component(minimal_platform(
        SERVING + KEDA.replace(b"backend: prometheus", b"backend: datadog"), "ml"), "Serving", "iris")
    assert any("datadog" in str(v) or "backend" in str(v) for v in validate_object(rendered))


def test_an_explainer_container_sits_beside_the_predictor() -> None:
    rendered = render_component(minimal_platform(
        SERVING + b"  explainer: {image: 'registry.acme.io/explain:1', args: [--model_name, iris], "
                  b"resources: null}\n", "ml"), "Serving", "iris")
    assert validate_object(rendered) == []
    assert rendered["spec"]["explainer"] == {"containers": [
        {"name": "kserve-container", "image": "registry.acme.io/explain:1", "args": ["--model_name", "iris"]}]}


CUSTOM = (b"apiVersion: platformctl.dev/v1alpha1\nkind: Serving\nmetadata: {name: custom-model}\nspec:\n"
          b"  container: {image: 'registry.acme.io/custom-model:{version}', args: [--model_name, custom-model]}\n"
          b"  version: v1\n  resources: null\n")


def test_a_custom_predictor_container_as_kserve_writes_it() -> None:
    rendered = render_component(minimal_platform(CUSTOM, "ml"), "Serving", "custom-model")
    assert validate_object(rendered) == []
    assert rendered["spec"]["predictor"] == {"minReplicas": 1, "containers": [
        {"name": "kserve-container", "image": "registry.acme.io/custom-model:v1",
         "args": ["--model_name", "custom-model"]}]}


@pytest.mark.parametrize("body", [
    b"  version: v1\n",  # neither
    b"  model: {format: sklearn, storageUri: 'gs://m'}\n  container: {image: 'r/x:1'}\n",  # both
])
def test_exactly_one_of_model_or_container(body: bytes) -> None:
    text = b"apiVersion: platformctl.dev/v1alpha1\nkind: Serving\nmetadata: {name: x}\nspec:\n" + body
    with pytest.raises(SpecErrors, match="set exactly one of 'model'"):
        load(minimal_platform(text, "ml"))


def _with_registry_policy(component: bytes) -> MemorySource:
    """The custom-model platform, its environment allowing only registry.acme.io/ images."""
    source = minimal_platform(component, "ml")
    files = {path: source.read(path)
             for path in ("platform.yaml", "environments/rt.yaml", "components/serving/custom-model.yaml")}
    environment = json.loads(files["environments/rt.yaml"])
    environment["spec"]["policy"] = {"allowedRegistries": ["registry.acme.io/"]}
    files["environments/rt.yaml"] = json.dumps(environment).encode()
    return MemorySource(files)


@pytest.mark.parametrize(("extra", "where"), [
    (b"  explainer: {image: 'docker.io/evil/explainer:1'}\n", "explainer"),
    (b"  transformer: {image: 'docker.io/evil/transformer:1'}\n", "transformer"),
])
def test_every_serving_image_is_held_to_the_allowed_registries(extra: bytes, where: str) -> None:
    with pytest.raises(SpecErrors) as raised:
        load(_with_registry_policy(CUSTOM + extra))
    assert f"image docker.io/evil/{where}:1 is not from a registry allowed" in str(raised.value)
    load(_with_registry_policy(CUSTOM))  # the custom predictor's own image is allowed


def test_a_custom_image_from_another_registry_is_refused() -> None:
    with pytest.raises(SpecErrors, match="image quay.io/x/y:1 is not from a registry allowed"):
        load(_with_registry_policy(CUSTOM.replace(b"registry.acme.io/custom-model:{version}", b"quay.io/x/y:1")))


@pytest.mark.parametrize("role", [b"explainer", b"container"])
def test_plaintext_secrets_are_refused_in_every_serving_container(role: bytes) -> None:
    leak = b"{AWS_KEY: AKIAABCDEFGHIJKLMNOP}"
    text = (CUSTOM.replace(b"args: [--model_name, custom-model]", b"env: " + leak) if role == b"container"
            else CUSTOM + b"  explainer: {image: 'registry.acme.io/e:1', env: " + leak + b"}\n")
    with pytest.raises(SpecErrors, match="keep it in a Kubernetes Secret"):
        load(minimal_platform(text, "ml"))


RUNTIME = b"""  model: {format: sklearn, runtime: acme-sklearn, storageUri: 'gs://models/iris'}
  servingRuntime:
    name: acme-sklearn
    spec:
      supportedModelFormats:
        - {name: sklearn, version: "1", autoSelect: true}
      protocolVersions: [v1, v2]
      containers:
        - name: kserve-container
          image: registry.acme.io/sklearnserver:v0.14.0
          args: ['--model_name={{.Name}}', --model_dir=/mnt/models, --http_port=8080]
          resources:
            requests: {cpu: "1", memory: 2Gi}
            limits: {cpu: "1", memory: 2Gi}
"""


def _runtime_platform(kind: bytes = b"") -> MemorySource:
    text = (b"apiVersion: platformctl.dev/v1alpha1\nkind: Serving\nmetadata: {name: iris}\nspec:\n"
            + RUNTIME.replace(b"    name: acme-sklearn\n", b"    name: acme-sklearn\n" + kind))
    return minimal_platform(text, "ml")


def test_a_declared_serving_runtime_is_rendered_as_written_before_the_model_it_serves() -> None:
    spec = load(_runtime_platform())
    rendered = [r.manifest for r in render_cluster(spec, "rt", "local", "roundtrip")]
    runtime = next(m for m in rendered if m["kind"] == "ServingRuntime")
    assert validate_object(runtime) == []  # the upstream ServingRuntime CRD accepts it
    assert (runtime["apiVersion"], runtime["metadata"]["name"], runtime["metadata"]["namespace"]) == (
        "serving.kserve.io/v1alpha1", "acme-sklearn", "ml")
    assert runtime["spec"]["supportedModelFormats"] == [{"name": "sklearn", "version": "1", "autoSelect": True}]
    assert runtime["spec"]["containers"][0]["args"][0] == "--model_name={{.Name}}"
    assert apply_rank(runtime) < apply_rank(next(m for m in rendered if m["kind"] == "InferenceService"))


def test_a_cluster_serving_runtime_is_cluster_scoped_and_outside_the_default_tenancy() -> None:
    spec = load(_runtime_platform(b"    kind: ClusterServingRuntime\n"))
    rendered = [r.manifest for r in render_cluster(spec, "rt", "local", "roundtrip")]
    runtime = next(m for m in rendered if m["kind"] == "ClusterServingRuntime")
    assert "namespace" not in runtime["metadata"] and validate_object(runtime) == []
    refused = tenancy_violations(rendered, Scope("ml"))
    assert any("ClusterServingRuntime" in v for v in refused)  # unless the operator policy allows the kind
    assert tenancy_violations(rendered, Scope("ml", frozenset({"Namespace", "ClusterServingRuntime"}))) == []


def test_a_runtime_spec_the_crd_refuses_is_caught_offline() -> None:
    text = (b"apiVersion: platformctl.dev/v1alpha1\nkind: Serving\nmetadata: {name: iris}\nspec:\n"
            + RUNTIME.replace(b"protocolVersions: [v1, v2]", b"protocolVersions: v1"))
    spec = load(minimal_platform(text, "ml"))
    runtime = next(r.manifest for r in render_cluster(spec, "rt", "local", "roundtrip")
                   if r.manifest["kind"] == "ServingRuntime")
    assert validate_object(runtime) != []


def test_images_inside_declared_runtimes_are_held_to_the_allowed_registries() -> None:
    text = (b"apiVersion: platformctl.dev/v1alpha1\nkind: Serving\nmetadata: {name: custom-model}\nspec:\n"
            + RUNTIME.replace(b"registry.acme.io/sklearnserver", b"docker.io/evil/sklearnserver"))
    with pytest.raises(SpecErrors) as raised:
        load(_with_registry_policy(text))
    assert "image docker.io/evil/sklearnserver:v0.14.0 is not from a registry allowed" in str(raised.value)
    assert "components/serving/custom-model.yaml:" in str(raised.value)
