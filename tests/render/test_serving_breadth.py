"""Serving breadth (issue 14): the request batcher, HPA/KEDA autoscaling metrics, an explainer; each rendered
only when set, as KServe's own examples write them, and accepted by the upstream CRD."""

from __future__ import annotations

import json

import pytest

from reconciler.conformance import validate_object
from reconciler.errors import SpecErrors
from reconciler.objects import Manifest
from reconciler.spec.load import load
from reconciler.spec.sources import MemorySource
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
