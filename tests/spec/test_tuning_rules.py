"""Tuning rules checked offline: metrics collector kinds, per-algorithm settings, NAS, TFJob trials."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from reconciler.conformance import validate_object
from reconciler.errors import SpecErrors
from reconciler.objects import Manifest
from reconciler.spec.load import load
from reconciler.spec.sources import MemorySource
from tests.render.test_roundtrip import minimal_platform, render_component

BASE: dict[str, Any] = {
    "objective": {"type": "maximize", "metric": "accuracy", "goal": 0.9},
    "algorithm": {"name": "random"},
    "trials": {"parallel": 1, "max": 4},
    "parameters": [{"name": "lr", "type": "double", "min": 0.01, "max": 0.1},
                   {"name": "epochs", "type": "int", "min": 1, "max": 9}],
    "trialTemplate": {"image": "train:1", "command": ["python", "t.py", "--lr=${trialParameters.lr}",
                                                       "--epochs=${trialParameters.epochs}"]},
}
NAS = {"graph": {"numLayers": 2, "inputSizes": [32, 32, 3], "outputSizes": [10]},
       "operations": [{"type": "convolution", "parameters": [
           {"name": "filter_size", "type": "categorical", "values": ["3", "5"]}]}]}
ENAS_COMMAND = ["python", "run.py", "--architecture=${trialParameters.architecture}",
                "--nn_config=${trialParameters.nn_config}"]


def _component(**changes: Any) -> bytes:
    spec = {**BASE, **changes}
    doc = {"apiVersion": "platformctl.dev/v1alpha1", "kind": "Tuning", "metadata": {"name": "search"}, "spec": spec}
    return yaml.safe_dump(doc).encode()


def _render(**changes: Any) -> Manifest:
    rendered = render_component(minimal_platform(_component(**changes), "ml"), "Tuning", "search")
    assert validate_object(rendered) == []
    return rendered


def _refused(match: str, **changes: Any) -> str:
    with pytest.raises(SpecErrors, match=match) as caught:
        load(minimal_platform(_component(**changes), "ml"))
    return str(caught.value)


# --- metrics collectors ------------------------------------------------------------------------

@pytest.mark.parametrize(("collector", "expected"), [
    ({"kind": "None"}, {"collector": {"kind": "None"}}),
    ({"kind": "Push"}, {"collector": {"kind": "Push"}}),
    ({"kind": "PrometheusMetric", "httpGet": {"port": 9090, "path": "/m"}},
     {"collector": {"kind": "PrometheusMetric"}, "source": {"httpGet": {"port": 9090, "path": "/m"}}}),
    ({"kind": "PrometheusMetric", "httpGet": {"port": 9090}},
     {"collector": {"kind": "PrometheusMetric"}, "source": {"httpGet": {"port": 9090}}}),
    ({"kind": "File", "path": "/out/metrics.json", "format": "JSON"},
     {"collector": {"kind": "File"}, "source": {"fileSystemPath": {"path": "/out/metrics.json", "kind": "File",
                                                                   "format": "JSON"}}}),
    ({"kind": "TensorFlowEvent", "path": "/logs"},
     {"collector": {"kind": "TensorFlowEvent"}, "source": {"fileSystemPath": {"path": "/logs", "kind": "Directory"}}}),
    ({"kind": "Custom", "path": "/logs", "pathKind": "Directory", "custom": {"name": "c", "image": "c:1"}},
     {"collector": {"kind": "Custom", "customCollector": {"name": "c", "image": "c:1"}},
      "source": {"fileSystemPath": {"path": "/logs", "kind": "Directory"}}}),
])
def test_each_collector_kind_renders_only_what_is_set(collector: dict[str, Any], expected: dict[str, Any]) -> None:
    assert _render(metricsCollector=collector)["spec"]["metricsCollectorSpec"] == expected


def test_custom_collector_env_takes_plain_values_secrets_and_pod_fields() -> None:
    custom = {"name": "c", "image": "c:1", "command": ["collect"],
              "env": {"B": "1", "A": {"fieldPath": "metadata.name"}, "C": {"secret": "s", "key": "k"}}}
    out = _render(metricsCollector={"kind": "Custom", "custom": custom})["spec"]["metricsCollectorSpec"]
    assert out["collector"]["customCollector"]["env"] == [
        {"name": "A", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": "B", "value": "1"},
        {"name": "C", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
    ]


@pytest.mark.parametrize(("collector", "message"), [
    ({"kind": "Custom"}, "needs its container"),
    ({"kind": "StdOut", "custom": {"name": "c", "image": "c:1"}}, "does not use custom"),
    ({"kind": "File", "path": "/logs", "pathKind": "Directory"}, "reads one file, not a directory"),
    ({"kind": "TensorFlowEvent", "path": "/logs", "pathKind": "File"}, "reads a directory"),
    ({"kind": "TensorFlowEvent", "path": "/logs", "format": "TEXT"}, "does not use format"),
    ({"kind": "StdOut", "httpGet": {"port": 80}}, "does not use httpGet"),
    ({"kind": "None", "path": "/x"}, "does not use path"),
    ({"kind": "File", "path": "/m.json", "format": "JSON", "metricsFormat": ["(a)=(b)"]}, "cannot be used with JSON"),
    ({"kind": "StdOut", "metricsFormat": ["only (one) group"]}, "needs two groups"),
    ({"kind": "StdOut", "metricsFormat": ["(unclosed"]}, "not a regular expression"),
    ({"kind": "File", "pathKind": "File"}, "pathKind without a path"),
])
def test_collector_fields_that_contradict_the_kind_are_refused(collector: dict[str, Any], message: str) -> None:
    text = _refused(message, metricsCollector=collector)
    assert "components/tuning/search.yaml:" in text


# --- algorithms --------------------------------------------------------------------------------

def test_hyperband_needs_a_numeric_resource_and_eta_above_one() -> None:
    _refused("needs the setting 'resource_name'", algorithm={"name": "hyperband", "settings": {"eta": 3}})
    _refused("resource_name 'steps' is not a numeric search parameter",
             algorithm={"name": "hyperband", "settings": {"resource_name": "steps"}})
    _refused(r"setting 'eta' \(1\) must be > 1", algorithm={"name": "hyperband",
                                                          "settings": {"resource_name": "epochs", "eta": 1}})
    _refused("'r_l' .* must be a number", algorithm={"name": "hyperband",
                                                    "settings": {"resource_name": "epochs", "r_l": "many"}})
    out = _render(algorithm={"name": "hyperband", "settings": {"resource_name": "epochs", "eta": 3, "r_l": 9}})
    assert out["spec"]["algorithm"]["algorithmSettings"] == [
        {"name": "eta", "value": "3"}, {"name": "r_l", "value": "9"}, {"name": "resource_name", "value": "epochs"}]


@pytest.mark.parametrize(("algorithm", "settings", "message"), [
    ("bayesianoptimization", {"base_estimator": "gp"}, "base_estimator' \\(gp\\) must be one of GP, RF, ET, GBRT"),
    ("bayesianoptimization", {"acq_func": "ucb"}, "acq_func' \\(ucb\\) must be one of gp_hedge"),
    ("cmaes", {"restart_strategy": "IPOP"}, "restart_strategy' \\(IPOP\\) must be one of none, ipop, bipop"),
])
def test_settings_that_take_a_few_words(algorithm: str, settings: dict[str, Any], message: str) -> None:
    _refused(message, algorithm={"name": algorithm, "settings": settings})
    fixed = {key: {"base_estimator": "GP", "acq_func": "EI", "restart_strategy": "ipop"}[key] for key in settings}
    _render(algorithm={"name": algorithm, "settings": fixed})


def test_grid_refuses_more_trials_than_grid_points() -> None:
    parameters = [{"name": "lr", "type": "double", "min": 0.01, "max": 0.05, "step": 0.01},  # 5 points
                  {"name": "epochs", "type": "int", "min": 1, "max": 3, "step": 1}]          # 3 points
    _refused("grid search has 15 points but trials.max is 16", algorithm={"name": "grid"}, parameters=parameters,
             trials={"parallel": 1, "max": 16})
    _render(algorithm={"name": "grid"}, parameters=parameters, trials={"parallel": 1, "max": 15})


def test_unknown_settings_name_the_ones_the_algorithm_has() -> None:
    text = _refused("algorithm tpe has no setting 'eta'", algorithm={"name": "tpe", "settings": {"eta": 2}})
    assert "n_EI_candidates" in text


# --- NAS ---------------------------------------------------------------------------------------

def test_enas_renders_nas_config_and_the_trial_parameters_it_hands_out() -> None:
    template = {"image": "enas:1", "command": ENAS_COMMAND}
    spec = _render(algorithm={"name": "enas", "settings": {"controller_train_steps": 5}}, parameters=[], nas=NAS,
                   trialTemplate=template)["spec"]
    assert "parameters" not in spec
    assert spec["nasConfig"] == {"graphConfig": {"numLayers": 2, "inputSizes": [32, 32, 3], "outputSizes": [10]},
                                 "operations": [{"operationType": "convolution", "parameters": [
                                     {"name": "filter_size", "parameterType": "categorical",
                                      "feasibleSpace": {"list": ["3", "5"]}}]}]}
    assert [p["reference"] for p in spec["trialTemplate"]["trialParameters"]] == ["architecture", "nn_config"]


def test_enas_settings_that_take_none_accept_it() -> None:
    settings = {"controller_skip_weight": "None", "controller_temperature": 5, "controller_log_every_steps": 1}
    spec = _render(algorithm={"name": "enas", "settings": settings}, parameters=[], nas=NAS,
                   trialTemplate={"image": "enas:1", "command": ENAS_COMMAND})["spec"]
    assert {"name": "controller_skip_weight", "value": "None"} in spec["algorithm"]["algorithmSettings"]
    _refused(r"controller_train_steps' \(None\) must be an integer", algorithm={
        "name": "enas", "settings": {"controller_train_steps": "None"}}, parameters=[], nas=NAS,
        trialTemplate={"image": "enas:1", "command": ENAS_COMMAND})


@pytest.mark.parametrize(("changes", "message"), [
    ({"algorithm": {"name": "enas"}}, "searches architectures and needs nas"),
    ({"nas": NAS}, "nas needs algorithm enas or darts"),
    ({"algorithm": {"name": "enas"}, "nas": NAS}, "either parameters or nas"),
    ({"algorithm": {"name": "enas", "settings": {"controller_skip_target": 2}}, "nas": NAS, "parameters": [],
      "trialTemplate": {"image": "e:1", "command": ENAS_COMMAND}}, r"controller_skip_target' \(2\) must be >= 0"),
    ({"algorithm": {"name": "darts", "settings": {"controller_train_steps": 2}}, "nas": NAS, "parameters": [],
      "trialTemplate": {"image": "e:1", "command": ["python", "${trialParameters.search-space}"]}},
     "algorithm darts has no setting 'controller_train_steps'"),
    ({"algorithm": {"name": "enas"}, "nas": NAS, "parameters": [],
      "trialTemplate": {"image": "e:1", "command": ["python", "run.py"]}}, "never receives the architecture"),
    ({"algorithm": {"name": "darts"}, "nas": NAS, "parameters": [],
      "trialTemplate": {"image": "e:1", "command": ["python", "${trialParameters.architecture}"]}},
     r"trialParameters.architecture\} is used but"),
    ({"parameters": []}, "has no parameters"),
])
def test_nas_rules(changes: dict[str, Any], message: str) -> None:
    _refused(message, **changes)


# --- trial templates ---------------------------------------------------------------------------

def test_tfjob_trial_has_worker_replicas_and_the_tensorflow_container() -> None:
    template = {**BASE["trialTemplate"], "kind": "TFJob", "workers": 3,
                "primaryPodLabels": {"training.kubeflow.org/replica-type": "worker"}}
    trial = _render(trialTemplate=template)["spec"]["trialTemplate"]
    assert trial["primaryContainerName"] == "tensorflow"
    assert trial["primaryPodLabels"] == {"training.kubeflow.org/replica-type": "worker"}
    worker = trial["trialSpec"]["spec"]["tfReplicaSpecs"]["Worker"]
    assert (trial["trialSpec"]["kind"], worker["replicas"], worker["restartPolicy"]) == ("TFJob", 3, "OnFailure")
    assert worker["template"]["spec"]["containers"][0]["name"] == "tensorflow"
    assert "successCondition" not in trial  # Katib defaults it for TFJob


def test_a_train_job_trial_takes_no_primary_pod_labels() -> None:
    template = {**BASE["trialTemplate"], "kind": "TrainJob", "runtime": "torch-distributed",
                "primaryPodLabels": {"a": "b"}}
    _refused("primary pod labels are Katib's JobSet defaults", trialTemplate=template)


# --- policy and secrets reach the Custom collector ---------------------------------------------

def _with_registry_policy(component: bytes) -> MemorySource:
    source = minimal_platform(component, "ml")
    files = {path: source.read(path) for path in source.files()}
    environment = json.loads(files["environments/rt.yaml"])
    environment["spec"]["policy"] = {"allowedRegistries": ["registry.acme.io/"]}
    files["environments/rt.yaml"] = json.dumps(environment).encode()
    return MemorySource(files)


def test_the_custom_collector_image_is_held_to_the_allowed_registries() -> None:
    template = {**BASE["trialTemplate"], "image": "registry.acme.io/train:1"}
    custom = {"kind": "Custom", "custom": {"name": "c", "image": "docker.io/evil/collector:1"}}
    with pytest.raises(SpecErrors, match="image docker.io/evil/collector:1 is not from a registry allowed"):
        load(_with_registry_policy(_component(trialTemplate=template, metricsCollector=custom)))
    custom["custom"]["image"] = "registry.acme.io/collector:1"
    load(_with_registry_policy(_component(trialTemplate=template, metricsCollector=custom)))


def test_the_custom_collector_env_takes_no_plaintext_secret() -> None:
    custom = {"name": "c", "image": "c:1", "env": {"DB_PASSWORD": "hunter2"}}
    _refused("DB_PASSWORD looks like a secret", metricsCollector={"kind": "Custom", "custom": custom})


# --- metric strategies ---------------------------------------------------------------------------

def test_metric_strategies_are_rendered_in_order_and_must_name_a_metric() -> None:
    objective = {**BASE["objective"], "additionalMetrics": ["loss"], "strategies": {"accuracy": "max", "loss": "latest"}}
    rendered = _render(objective=objective)
    assert rendered["spec"]["objective"]["metricStrategies"] == [
        {"name": "accuracy", "value": "max"}, {"name": "loss", "value": "latest"}]
    assert "metricStrategies" not in _render()["spec"]["objective"]  # Katib's own default otherwise
    message = _refused("strategies name", objective={**objective, "strategies": {"los": "min"}})
    assert "strategies name los, which is neither the objective metric nor an additional metric (accuracy, loss)" \
        in message
