"""Upstream example objects, written as platformctl specs, render back to equivalent objects.

Each file in tests/data/roundtrip/ is a component spec mirroring one upstream sample in
tests/data/upstream/ (its first line names the file). The test loads it inside a minimal in-memory
platform (platform.yaml + one environment with a ``directory:`` cluster in the upstream object's
namespace), renders it, and checks the rendered object against the upstream one with
``assert_equivalent`` (the definition of "equivalent" is in its docstring).

Gaps, i.e. upstream fields the spec cannot express, are listed per case in ``ignore`` (or as an
``Addition`` where we must render a value upstream leaves out), each with its reason:

- components cannot carry their own annotations (a component's ``metadata.labels`` are rendered);
  the tests use platform ``defaults.annotations``, which apply to every object;
- the notebook always gets ``serviceAccountName``;
- KServe: the transformer container is always ``kserve-container`` and has no ``command``; the
  predictor has no ``runtimeVersion``; ``storageUri`` is required;
- Katib: trial parameters are named after the search parameter and get generated descriptions;
  ``primaryContainerName`` is always set;
- KFP: a PipelineVersion always carries ``versionName`` and ``displayName`` (both can be set);
- ScheduledWorkflow: no single runs (a trigger is required), no ``spec.description``; the workflow
  is a KFP v2 pipeline, not the embedded Argo workflow of the samples (out of scope).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

import pytest
import yaml

from reconciler.conformance import validate_object
from reconciler.objects import Manifest
from reconciler.render import render_cluster
from reconciler.spec.load import load
from reconciler.spec.sources import MemorySource
from tests.spec.conftest import REPO

ROUNDTRIP = REPO / "tests" / "data" / "roundtrip"
UPSTREAM = REPO / "tests" / "data" / "upstream"
KIND_DIRS = {"Notebook": "notebooks", "Serving": "serving", "Tuning": "tuning", "Schedule": "schedules",
             "Pipeline": "pipelines", "Team": "teams"}
RENDERED_KIND = {"Notebook": "Notebook", "Serving": "InferenceService", "Tuning": "Experiment",
                 "Schedule": "ScheduledWorkflow", "Pipeline": "PipelineVersion", "Team": "Profile"}


# --------------------------------------------------------------------------------------------------
# Equivalence
# --------------------------------------------------------------------------------------------------

ANY: Any = object()  # an Addition whose value is not checked


@dataclass(frozen=True)
class Addition:
    """A field we render that the upstream object leaves out: a path glob, the value it must have, why."""

    pattern: str
    value: Any
    reason: str


Path = tuple[str | int, ...]


def dotted(path: Path) -> str:
    """``("spec", "containers", 0, "name")`` -> ``spec.containers[0].name`` (keys are not escaped)."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else step)
    return text


@lru_cache(maxsize=None)
def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile("^" + ".*".join(re.escape(part) for part in pattern.split("*")) + "$")


def matches(path: Path, pattern: str) -> bool:
    """Whether the dotted ``path`` matches ``pattern``, where only ``*`` is special (any text, dots included)."""
    return _glob(pattern).match(dotted(path)) is not None


def flatten(value: Any, prefix: Path = ()) -> dict[Path, Any]:
    """Leaves by path: scalars, and empty mappings/lists (which are leaves too)."""
    if isinstance(value, dict) and value:
        return {p: v for key, item in value.items() for p, v in flatten(item, (*prefix, key)).items()}
    if isinstance(value, list) and value:
        return {p: v for i, item in enumerate(value) for p, v in flatten(item, (*prefix, i)).items()}
    return {prefix: value}


def same(a: Any, b: Any) -> bool:
    """Equal values of the same JSON type (``True`` is not ``1``, ``"1"`` is not ``1``, ``1`` is ``1.0``)."""
    def json_type(v: Any) -> str:
        return "bool" if isinstance(v, bool) else "number" if isinstance(v, (int, float)) else type(v).__name__
    return json_type(a) == json_type(b) and a == b


def _walk_dicts(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _walk_dicts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk_dicts(item)


# Normalisations of representational differences, applied to BOTH objects (each is a no-op where it
# does not apply). Each returns a new object or edits the deep copy it is given.

def n_default_namespace(obj: Manifest) -> Manifest:
    """No metadata.namespace means the namespace it is applied to; the tests apply into ``default``."""
    obj["metadata"].setdefault("namespace", "default")
    return obj


def n_timestamps(obj: Manifest) -> Manifest:
    """YAML 1.1 timestamps (PyYAML reads unquoted ``2018-05-19T05:18:01Z`` as datetime) -> RFC 3339 text."""
    def fix(value: Any) -> Any:
        if isinstance(value, datetime):
            moment = value.astimezone(timezone.utc) if value.tzinfo else value
            return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        if isinstance(value, dict):
            return {k: fix(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fix(v) for v in value]
        return value
    result: Manifest = fix(obj)
    return result


def n_resources(obj: Manifest) -> Manifest:
    """Container resources: quantities as strings (``1`` == ``"1"``), and requests default to limits.

    Kubernetes defaults each request the container leaves out to its limit, so ``limits: {memory: 4Gi}``
    alone means ``requests: {memory: 4Gi}`` too.
    """
    for mapping in _walk_dicts(obj):
        resources = mapping.get("resources")
        if not isinstance(resources, dict) or not ({"requests", "limits"} & resources.keys()):
            continue
        for key in ("requests", "limits"):
            if isinstance(resources.get(key), dict):
                resources[key] = {k: format(v, "g") if isinstance(v, (int, float)) and not isinstance(v, bool)
                                  else v for k, v in resources[key].items()}
        for name, limit in (resources.get("limits") or {}).items():
            resources.setdefault("requests", {}).setdefault(name, limit)
    return obj


LEGACY_PREDICTORS = ("sklearn", "xgboost", "tensorflow", "pytorch", "triton", "onnx", "pmml", "lightgbm", "paddle",
                     "huggingface")


def n_kserve_model_form(obj: Manifest) -> Manifest:
    """KServe's legacy ``predictor.<framework>: {...}`` is ``predictor.model: {modelFormat: {name: <framework>}, ...}``.

    (KServe converts the former into the latter; our renderer writes the model form.)
    """
    if obj.get("kind") != "InferenceService":
        return obj
    predictor = obj["spec"]["predictor"]
    for framework in LEGACY_PREDICTORS:
        if framework in predictor:
            body = predictor.pop(framework)
            predictor["model"] = {"modelFormat": {"name": framework}, **body}
    return obj


def _number_text(text: Any) -> Any:
    try:
        return repr(float(text))
    except (TypeError, ValueError):
        return text


def n_katib(obj: Manifest) -> Manifest:
    """Katib representational differences.

    - feasible-space ``min``/``max``/``step`` are numbers written as strings: compared as numbers
      (``"0.010"`` == ``"0.01"``, ``"2"`` == ``"2.0"``);
    - ``algorithmSettings`` (algorithm and early stopping) are name/value pairs looked up by name: sorted by name;
    - trial parameters are renamed to the search parameter they reference, in ``trialParameters`` and in every
      ``${trialParameters.<name>}`` of the trial spec (upstream's ``learningRate`` -> ``lr``); a placeholder
      naming no trial parameter becomes ``${unresolved.<name>}``, so it never matches a resolved one.
    """
    if obj.get("kind") != "Experiment":
        return obj
    spec = obj["spec"]
    for parameter in spec.get("parameters", []):
        space = parameter.get("feasibleSpace", {})
        for key in ("min", "max", "step"):
            if key in space:
                space[key] = _number_text(space[key])
    for section in ("algorithm", "earlyStopping"):
        settings = spec.get(section, {}).get("algorithmSettings")
        if isinstance(settings, list):
            spec[section]["algorithmSettings"] = sorted(settings, key=lambda s: str(s.get("name")))
    template = spec.get("trialTemplate", {})
    renames = {p["name"]: p["reference"] for p in template.get("trialParameters", [])}
    for parameter in template.get("trialParameters", []):
        parameter["name"] = parameter["reference"]
    if "trialSpec" in template:
        text = json.dumps(template["trialSpec"])
        text = re.sub(r"\$\{trialParameters\.([^}]*)\}", lambda m: "${trialParameters.%s}" % renames[m.group(1)]
                      if m.group(1) in renames else "${unresolved.%s}" % m.group(1), text)
        template["trialSpec"] = json.loads(text)
    return obj


NOTEBOOK_VERSIONS = ("kubeflow.org/v1alpha1", "kubeflow.org/v1beta1")


def n_notebook_version(obj: Manifest) -> Manifest:
    """Notebook (and Profile) ``kubeflow.org/v1alpha1`` and ``v1beta1`` are served versions of one CRD with
    the same schema (no conversion webhook): we render ``kubeflow.org/v1``."""
    if obj.get("kind") in ("Notebook", "Profile") and obj.get("apiVersion") in NOTEBOOK_VERSIONS:
        obj["apiVersion"] = "kubeflow.org/v1"
    return obj


SWF_COMPARED = ("enabled", "maxConcurrency", "maxHistory", "noCatchup", "trigger")


def n_schedule_scope(obj: Manifest) -> Manifest:
    """ScheduledWorkflows are compared on trigger/concurrency/history/catch-up fields only (see SWF_COMPARED):
    the upstream samples embed an Argo workflow, we bind a KFP v2 pipeline. ``status`` is dropped."""
    if obj.get("kind") != "ScheduledWorkflow":
        return obj
    return {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "metadata": obj["metadata"],
            "spec": {k: v for k, v in obj["spec"].items() if k in SWF_COMPARED}}


NORMALISATIONS: tuple[Callable[[Manifest], Manifest], ...] = (
    n_default_namespace, n_timestamps, n_resources, n_kserve_model_form, n_katib, n_notebook_version,
    n_schedule_scope,
)


def normalise(obj: Manifest, ignore: dict[str, str]) -> Manifest:
    """Apply every NORMALISATIONS step, then drop the leaves matching an ``ignore`` glob (a named gap)."""
    result = copy.deepcopy(obj)
    for step in NORMALISATIONS:
        result = step(result)
    if ignore:
        _drop(result, (), ignore)
    return result


def _drop(value: Any, prefix: Path, ignore: dict[str, str]) -> None:
    items = list(value.items()) if isinstance(value, dict) else list(enumerate(value)) if isinstance(value, list) else []
    for key, item in items:
        path = (*prefix, key)
        if any(matches(path, pattern) for pattern in ignore):
            value[key] = _DROPPED
        else:
            _drop(item, path, ignore)
    if isinstance(value, dict):
        for key in [k for k, v in value.items() if v is _DROPPED]:
            del value[key]


_DROPPED = object()


# Fields every rendered object may add: our bookkeeping.
COMMON_ADDITIONS = (
    Addition("metadata.labels.*", ANY, "ownership labels and platform/environment default labels"),
    Addition("metadata.annotations.platformctl.dev/*", ANY, "source path, spec hash, revision, pipeline binding"),
)
ADDITIONS: dict[str, tuple[Addition, ...]] = {
    "Notebook": (
        Addition("metadata.annotations.notebooks.kubeflow.org/server-type", "jupyter",
                 "what the Kubeflow notebook web app sets for a Jupyter server"),
        Addition("spec.template.spec.serviceAccountName", "default-editor",
                 "gap: always rendered; default-editor is the profile's account the notebook web app uses"),
    ),
    "InferenceService": (
        Addition("metadata.annotations.serving.kserve.io/deploymentMode", "Knative", "KServe's default mode"),
        Addition("spec.predictor.minReplicas", 1, "KServe's default"),
    ),
    "Experiment": (
        Addition("spec.resumePolicy", "Never", "Katib's default"),
        Addition("spec.metricsCollectorSpec.collector.kind", "StdOut", "Katib's default"),
        Addition("spec.trialTemplate.retain", False, "Katib's default"),
        Addition("spec.algorithm.algorithmSettings", [], "no settings"),
    ),
    "ScheduledWorkflow": (
        Addition("spec.maxConcurrency", 1, "the KFP controller's default"),
        Addition("spec.noCatchup", False, "the KFP controller's default (catch up)"),
    ),
}
TRIAL_DESCRIPTIONS = {"spec.trialTemplate.trialParameters[*].description":
                      "gap: trial parameter descriptions are generated ('<type> parameter <name>')"}


def equivalence_problems(upstream: Manifest, rendered: Manifest, *, ignore: dict[str, str] | None = None,
                         additions: tuple[Addition, ...] = ()) -> list[str]:
    """Why ``rendered`` is not equivalent to ``upstream``; empty when it is.

    Definition. Both objects are first normalised by every step of NORMALISATIONS (each step's docstring
    names the representational difference it removes: default namespace, YAML timestamps, quantity types
    and requests-default-to-limits, KServe's legacy predictor form, Katib number strings / settings order /
    trial parameter names, Notebook served versions, the ScheduledWorkflow fields in scope), then the
    leaves matching an ``ignore`` glob (named gaps) are dropped from both. With leaves being scalars and
    empty mappings/lists, addressed by path (lists by index), the objects are equivalent when

    1. ``apiVersion``, ``kind``, ``metadata.name`` and ``metadata.namespace`` are equal;
    2. every leaf of the upstream object is a leaf of ours at the same path with the same value and JSON
       type (so lists match element by element and upstream lists cannot grow or shrink in ours);
    3. every leaf of ours that upstream lacks matches an Addition (COMMON_ADDITIONS, the kind's ADDITIONS,
       or the case's ``additions``) and, unless the Addition's value is ANY, has exactly its value.
    """
    u, r = normalise(upstream, ignore or {}), normalise(rendered, ignore or {})
    problems = [f"{key}: upstream {u.get(key)!r}, ours {r.get(key)!r}"
                for key in ("apiVersion", "kind") if u.get(key) != r.get(key)]
    problems += [f"metadata.{key}: upstream {u['metadata'].get(key)!r}, ours {r['metadata'].get(key)!r}"
                 for key in ("name", "namespace") if u["metadata"].get(key) != r["metadata"].get(key)]
    ours, theirs = flatten(r), flatten(u)
    for path, value in theirs.items():
        if path not in ours:
            problems.append(f"{dotted(path)}: upstream {value!r}, ours has no such field")
        elif not same(ours[path], value):
            problems.append(f"{dotted(path)}: upstream {value!r}, ours {ours[path]!r}")
    allowed = (*COMMON_ADDITIONS, *ADDITIONS.get(str(u.get("kind")), ()), *additions)
    for path, value in ours.items():
        if path in theirs or any(path[:len(p)] == p for p in theirs if len(p) < len(path)):
            continue  # compared above (a deeper path under an upstream leaf is reported there)
        match = next((a for a in allowed if matches(path, a.pattern)), None)
        if match is None:
            problems.append(f"{dotted(path)}: ours adds {value!r}, which is neither upstream nor a declared addition")
        elif match.value is not ANY and not same(value, match.value):
            problems.append(f"{dotted(path)}: ours adds {value!r}; the declared addition is {match.value!r} "
                            f"({match.reason})")
    return problems


def assert_equivalent(upstream: Manifest, rendered: Manifest, **options: Any) -> None:
    """Assert ``equivalence_problems`` finds nothing (see its docstring for the definition)."""
    problems = equivalence_problems(upstream, rendered, **options)
    assert not problems, "rendered object differs from upstream:\n  " + "\n  ".join(problems)


# --------------------------------------------------------------------------------------------------
# A minimal platform around one component
# --------------------------------------------------------------------------------------------------

PIPELINE_FILES = ("components/pipelines/fraud-training.yaml", "kfp-pipelines/fraud_training.yaml")


def minimal_platform(component: bytes, namespace: str, *, annotations: dict[str, str] | None = None,
                     env_labels: dict[str, str] | None = None) -> MemorySource:
    """platform.yaml + environment ``rt`` (one ``directory:`` cluster ``local``) + the component.

    A Schedule also gets the bundled fraud-training Pipeline component and its compiled package; a
    Pipeline gets the package it names.
    """
    doc = yaml.safe_load(component)
    kind_dir = KIND_DIRS[doc["kind"]]
    platform = {"apiVersion": "platformctl.dev/v1alpha1", "kind": "Platform", "metadata": {"name": "roundtrip"},
                "spec": {"version": "0.1.0", "promotion": ["rt"], "defaults": {"annotations": annotations or {}}}}
    environment = {"apiVersion": "platformctl.dev/v1alpha1", "kind": "Environment", "metadata": {"name": "rt"},
                   "spec": {"clusters": [{"name": "local", "directory": ".platformctl/clusters/rt"}],
                            "namespace": namespace, "labels": env_labels or {}}}
    files = {
        "platform.yaml": json.dumps(platform).encode(),
        "environments/rt.yaml": json.dumps(environment).encode(),
        f"components/{kind_dir}/{doc['metadata']['name']}.yaml": component,
    }
    if doc["kind"] == "Schedule":
        files.update({path: (REPO / path).read_bytes() for path in PIPELINE_FILES})
    if doc["kind"] == "Pipeline":
        files[doc["spec"]["package"]] = (REPO / doc["spec"]["package"]).read_bytes()
    return MemorySource(files)


def render_component(source: MemorySource, kind: str, name: str) -> Manifest:
    """Load the platform, render cluster ``local`` of ``rt`` and return the object the component became."""
    spec = load(source)
    found = [r.manifest for r in render_cluster(spec, "rt", "local", "roundtrip")
             if r.manifest["kind"] == RENDERED_KIND[kind] and r.manifest["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {RENDERED_KIND[kind]} {name}"
    return found[0]


# --------------------------------------------------------------------------------------------------
# The cases
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    """One roundtrip file, the upstream document it mirrors, and what the comparison must know."""

    spec_file: str
    upstream_file: str
    document: int = 0
    ignore: dict[str, str] = field(default_factory=dict)
    additions: tuple[Addition, ...] = ()
    annotations: dict[str, str] = field(default_factory=dict)
    env_labels: dict[str, str] = field(default_factory=dict)
    name: str | None = None
    """The rendered object's name, where upstream's is a placeholder no API server accepts (then ignored)."""

    @property
    def id(self) -> str:
        return self.spec_file.removesuffix(".yaml")


CASES = [
    Case("notebook-v1.yaml", "notebook_v1.yaml"),
    Case("notebook-v1beta1.yaml", "notebook_v1beta1.yaml"),
    Case("isvc-sklearn-iris.yaml", "kserve_isvc_sklearn_iris_model_format.yaml", document=0,
         # gap: per-object annotations only through the platform-wide defaults.annotations
         annotations={"autoscaling.knative.dev/target-burst-capacity": "0", "sidecar.istio.io/inject": "true"}),
    Case("isvc-sklearn-iris-burst.yaml", "kserve_isvc_sklearn_iris_model_format.yaml", document=1,
         annotations={"sidecar.istio.io/inject": "true"}),
    Case("isvc-sklearn-iris-v1.yaml", "kserve_isvc_sklearn_iris_v1.yaml"),
    Case("isvc-canary-model-format.yaml", "kserve_isvc_canary_model_format.yaml"),
    Case("isvc-canary-tensorflow.yaml", "kserve_isvc_canary_tensorflow.yaml"),
    Case("isvc-transformer-model-format.yaml", "kserve_isvc_transformer_model_format.yaml",
         # gap: component metadata.labels are not rendered; the environment's labels apply to every object
         env_labels={"serviceEnvelope": "kserve"}),
    Case("isvc-transformer-torchserve.yaml", "kserve_isvc_transformer_torchserve.yaml", ignore={
        "spec.transformer.containers[0].name": "gap: the transformer container is always kserve-container "
                                               "(upstream: kfserving-container)"}),
    Case("isvc-gpu-huggingface-llama2.yaml", "kserve_isvc_gpu_huggingface_llama2.yaml", additions=(
        Addition("spec.predictor.model.storageUri", "hf://meta-llama/Llama-2-7b-chat-hf",
                 "gap: storageUri is required; upstream lets the runtime fetch --model_id"),)),
    Case("isvc-gpu-torchserve.yaml", "kserve_isvc_gpu_torchserve.yaml"),
    Case("isvc-triton-bert-transformer.yaml", "kserve_isvc_triton_bert_transformer.yaml", ignore={
        "spec.transformer.containers[0].command*": "gap: a transformer has args but no command",
        "spec.predictor.model.runtimeVersion": "gap: no runtimeVersion (runtime image tag) in the spec",
    }),
    Case("katib-random.yaml", "katib_experiment_random.yaml", ignore=TRIAL_DESCRIPTIONS),
    Case("katib-metrics-collection-strategy.yaml", "katib_experiment_metrics_collection_strategy.yaml",
         ignore=TRIAL_DESCRIPTIONS),
    Case("katib-bayesian-optimization.yaml", "katib_experiment_bayesian_optimization.yaml", ignore=TRIAL_DESCRIPTIONS),
    Case("katib-median-stop.yaml", "katib_experiment_median_stop.yaml", ignore=TRIAL_DESCRIPTIONS),
    Case("katib-pytorchjob-mnist.yaml", "katib_experiment_pytorchjob_mnist.yaml", ignore=TRIAL_DESCRIPTIONS),
    Case("katib-random-istio.yaml", "katib_experiment_random_istio.yaml", ignore=TRIAL_DESCRIPTIONS, additions=(
        Addition("spec.trialTemplate.primaryContainerName", "training-container",
                 "gap: always rendered; this older sample relies on Katib's default container name"),)),
    Case("katib-file-metrics-collector.yaml", "katib_experiment_file_metrics_collector.yaml", ignore=TRIAL_DESCRIPTIONS),
    Case("katib-file-metrics-collector-json.yaml", "katib_experiment_file_metrics_collector_json.yaml",
         ignore=TRIAL_DESCRIPTIONS),
    Case("katib-custom-metrics-collector.yaml", "katib_experiment_custom_metrics_collector.yaml",
         ignore=TRIAL_DESCRIPTIONS),
    Case("katib-tfjob-mnist-with-summaries.yaml", "katib_experiment_tfjob_mnist_with_summaries.yaml",
         ignore=TRIAL_DESCRIPTIONS),
    Case("katib-darts-cpu.yaml", "katib_experiment_darts_cpu.yaml", ignore=TRIAL_DESCRIPTIONS),
    Case("katib-enas-cpu.yaml", "katib_experiment_enas_cpu.yaml", ignore=TRIAL_DESCRIPTIONS),
    Case("katib-trainjob-pytorch.yaml", "katib_experiment_trainjob_pytorch.yaml", ignore=TRIAL_DESCRIPTIONS),
    Case("swf-every-minute-cron.yaml", "kfp_scheduledworkflow_every_minute_cron.yaml"),
    Case("swf-every-minute-periodic.yaml", "kfp_scheduledworkflow_every_minute_periodic.yaml"),
    Case("swf-concurrency.yaml", "kfp_scheduledworkflow_concurrency.yaml"),
    Case("swf-no-history.yaml", "kfp_scheduledworkflow_no_history.yaml"),
    Case("swf-start-end-cron.yaml", "kfp_scheduledworkflow_start_end_cron.yaml"),
    Case("swf-start-end-periodic.yaml", "kfp_scheduledworkflow_start_end_periodic.yaml"),
    Case("kfp-pipelineversion-hello-world.yaml", "kfp_pipelineversion_hello_world.yaml", document=1, additions=(
        Addition("spec.versionName", "v1", "gap: always rendered; set to the version, as the spec's versionName says"),
        Addition("spec.displayName", "hello-world-v1",
                 "gap: always rendered; KFP shows the object's name when it is unset, which versionDisplayName sets"),
    )),
]
PROFILE_CASES = [
    Case("profile-my-profile.yaml", "profile_website_my_profile.yaml"),
    Case("profile-aws-iam.yaml", "profile_readme_aws_iam.yaml"),
    Case("profile-quota.yaml", "profile_website_quota.yaml", name="profile-name", ignore={
        "metadata.name": "gap: the doc's placeholder 'profileName' is not a valid name (upper case); the API server "
                         "refuses it"}),
]
CASES.extend(PROFILE_CASES)
HYPERBAND = Case("katib-hyperband.yaml", "katib_experiment_hyperband.yaml", ignore=TRIAL_DESCRIPTIONS)
CASES.append(HYPERBAND)  # min == max (Katib accepts it; hyperband's resource parameter uses it)
ALL_CASES = CASES


def upstream_object(case: Case) -> Manifest:
    documents = [d for d in yaml.safe_load_all((UPSTREAM / case.upstream_file).read_text()) if d]
    document: Manifest = documents[case.document]
    return document


def render_case(case: Case) -> Manifest:
    upstream = upstream_object(case)
    text = (ROUNDTRIP / case.spec_file).read_bytes()
    doc = yaml.safe_load(text)
    namespace = upstream["metadata"].get("namespace", "default").strip()
    source = minimal_platform(text, namespace, annotations=case.annotations, env_labels=case.env_labels)
    return render_component(source, doc["kind"], case.name or upstream["metadata"]["name"])


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_upstream_example_renders_back_equivalent(case: Case) -> None:
    rendered = render_case(case)
    assert_equivalent(upstream_object(case), rendered, ignore=case.ignore, additions=case.additions)
    assert validate_object(rendered) == []


def test_every_roundtrip_file_is_a_case_and_names_its_upstream_file() -> None:
    files = sorted(p.name for p in ROUNDTRIP.glob("*.yaml"))
    assert files == sorted(c.spec_file for c in ALL_CASES)
    for case in ALL_CASES:
        first = (ROUNDTRIP / case.spec_file).read_text().splitlines()[0]
        assert re.match(rf"# Mirrors tests/data/upstream/{re.escape(case.upstream_file)}([ ,]|$)", first), case.spec_file
        assert (UPSTREAM / case.upstream_file).is_file()


# --------------------------------------------------------------------------------------------------
# The equivalence helper itself: it must notice a regression in any compared field
# --------------------------------------------------------------------------------------------------

def _leaf_paths(obj: Any) -> list[Path]:
    return list(flatten(obj))


def _set(obj: Any, path: Path, value: Any) -> None:
    for step in path[:-1]:
        obj = obj[step]
    obj[path[-1]] = value


def _changed(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 7
    if isinstance(value, str):
        return value + "-changed"
    if isinstance(value, list):
        return ["extra"]
    return {"extra": "x"}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_a_change_to_any_compared_rendered_field_breaks_equivalence(case: Case) -> None:
    """Mutating any leaf of the rendered object that upstream also sets (after normalisation) is caught,
    so each equivalence test above fails when the renderer regresses on any field it compares."""
    upstream, rendered = upstream_object(case), render_case(case)
    compared = set(flatten(normalise(upstream, case.ignore)))
    mutated_any = 0
    for path in _leaf_paths(rendered):
        if path not in compared:
            continue
        broken = copy.deepcopy(rendered)
        _set(broken, path, _changed(flatten(rendered)[path]))
        assert equivalence_problems(upstream, broken, ignore=case.ignore, additions=case.additions), dotted(path)
        mutated_any += 1
    assert mutated_any >= 5


def test_undeclared_additions_and_wrong_default_values_break_equivalence() -> None:
    case = next(c for c in CASES if c.id == "katib-random")
    upstream, rendered = upstream_object(case), render_case(case)
    extra = copy.deepcopy(rendered)
    extra["spec"]["maxTrialCount"] = 12
    extra["spec"]["nasConfig"] = {"graphConfig": {"numLayers": 3}}
    assert any("nasConfig" in p for p in equivalence_problems(upstream, extra, ignore=case.ignore))
    wrong_default = copy.deepcopy(rendered)
    wrong_default["spec"]["resumePolicy"] = "LongRunning"
    assert any("resumePolicy" in p for p in equivalence_problems(upstream, wrong_default, ignore=case.ignore))
