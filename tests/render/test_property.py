"""Property tests: any valid platform loads, and renders into conformant, owned, deterministic objects.

The strategies below generate VALID platforms: every component kind, 1-2 environments with
1-2 clusters, component selections, version pins and overrides. "Valid" means what the spec
models and semantic checks accept AND what the upstream controllers accept (the conformance
rules `platformctl validate` applies after rendering). A generated platform that `load` rejects
is a bug in these strategies or in the loader: nothing is discarded with ``assume`` (two strategies
filter out one value each: the reserved volume name ``workspace`` and a pipeline's own version
among its older ones).

Where the spec accepts something the renderer turns into an object the cluster rejects (or two
objects with the same name), the strategies stay clear of it and the comment names the bug:

- a day-of-week 7 (Sunday in unix cron) passes the spec's croniter check but KFP's robfig/cron
  rejects ``0 0 2 * * 7``; croniter-only syntax (``5#3``, ``L``) likewise;
- Katib: duplicate parameter names, ``step <= 0``, ``TensorFlowEvent`` with ``format`` and a
  ``metricsFormat`` without two groups all load, and render experiments Katib refuses;
- KServe: ``autoscaling.metric`` cpu/memory in Knative mode loads, and KServe refuses it;
- rendered names collide: notebook ``a`` + volume ``b-c`` and notebook ``a-b`` + volume ``c`` both
  render PVC ``a-b-c``; pipeline ``a`` version ``b.1`` and pipeline ``a-b`` version ``1`` both
  render PipelineVersion ``a-b-1``, as do long versions cut at 63 characters. So volume names have
  no '-', pipeline names no digits, pipeline versions are short;
- a namespace longer than 53 characters is valid but its Namespace gets the label
  ``platformctl.dev/component: namespace.<name>``, longer than 63 characters;
- quantities given as large YAML numbers lose precision (``memory: 2147483648`` -> ``2.14748e+09``),
  so quantities are generated as strings or small numbers;
- pinning a pipeline to one of its ``previousVersions`` renders that version's PipelineVersion with
  the *current* package, and makes a schedule bound to the current version fail to load; so older
  versions share the current package, and a pipeline a schedule binds to its current version is not
  pinned to an older one.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from reconciler.conformance import validate_object
from reconciler.errors import SpecErrors
from reconciler.labels import ANNOTATION_HASH, ANNOTATION_REVISION, LABEL_MANAGED_BY
from reconciler.objects import Manifest
from reconciler.quantity import quantity_value
from reconciler.render import render_environment
from reconciler.render.ownership import spec_hash
from reconciler.spec.checks.tuning_algorithms import RULES, Range
from reconciler.spec.document import Spec
from reconciler.spec.load import load
from reconciler.spec.sources import MemorySource
from tests.spec.conftest import REPO

PROPERTY_SETTINGS = settings(
    max_examples=60, deadline=None, derandomize=True, database=None, print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
CHEAPER_SETTINGS = settings(PROPERTY_SETTINGS, max_examples=40)  # keeps the file well under 20 s on 2 cores
API = "platformctl.dev/v1alpha1"
PACKAGES = {path: (REPO / path).read_bytes() for path in ("kfp-pipelines/fraud_training.yaml",
                                                           "kfp-pipelines/batch_scoring.yaml")}
KIND_DIRS = {"Notebook": "notebooks", "Pipeline": "pipelines", "Schedule": "schedules", "Tuning": "tuning",
             "Serving": "serving"}


def _inputs(path: str) -> dict[str, dict[str, Any]]:
    """root.inputDefinitions.parameters of a compiled pipeline: name -> definition."""
    package = yaml.safe_load(PACKAGES[path])
    parameters: dict[str, dict[str, Any]] = package["root"]["inputDefinitions"]["parameters"]
    return parameters


PACKAGE_INPUTS = {path: _inputs(path) for path in PACKAGES}

# ------------------------------------------------------------------------------------------------
# Scalars
# ------------------------------------------------------------------------------------------------

LOWER = "abcdefghijklmnopqrstuvwxyz"
DIGITS = "0123456789"
ALNUM = LOWER + DIGITS


def _word(first: str, rest: str, max_rest: int, last: str = "") -> st.SearchStrategy[str]:
    """One character of ``first``, up to ``max_rest`` of ``rest``, then (when there was some) one of ``last``.

    Built from sampled characters: regex-based strategies are several times slower to draw.
    """
    tail = st.sampled_from(last) if last else st.just("")
    return st.builds(lambda a, b, c: a + b + (c if b else ""), st.sampled_from(first), st.text(rest, max_size=max_rest),
                     tail)


def _joined(first: st.SearchStrategy[str], segment: st.SearchStrategy[str], max_more: int) -> st.SearchStrategy[str]:
    return st.builds(lambda a, more: "-".join([a, *more]), first, st.lists(segment, max_size=max_more))


short_names = _joined(_word(LOWER, ALNUM, 7), st.text(ALNUM, min_size=1, max_size=6), 2)  # DNS labels
long_names = st.text(ALNUM + "-", min_size=38, max_size=38).map(lambda s: f"a{s}z")  # 40 characters
dns_names = st.one_of(short_names, short_names, long_names)
letter_names = _joined(st.text(LOWER, min_size=1, max_size=10), st.text(LOWER, min_size=1, max_size=8), 2)  # no digits
volume_names = _word(LOWER, ALNUM, 9).filter(lambda n: n != "workspace")  # no '-': see the module docstring
numbers = st.integers(0, 20).map(str)
versions = st.one_of(
    st.builds(lambda v, a, b, c, rc: f"{v}{a}.{b}.{c}{rc}", st.sampled_from(["", "v"]), numbers, numbers, numbers,
              st.sampled_from(["", "-rc1"])),
    st.integers(1, 999).map(str))
pipeline_versions = st.builds(lambda a, b, c: f"{a}.{b}.{c}", numbers, numbers, numbers)
words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ0123456789.,:-_/'()", min_size=1, max_size=30)
label_keys = st.builds(str.__add__, st.sampled_from(["", "", "example.com/", "team.acme.io/"]),
                       _word(LOWER, ALNUM + "-", 8, ALNUM))
label_values = st.one_of(st.just(""), _word(ALNUM + "ABC", ALNUM + "ABC._-", 10, ALNUM))
env_names = _word("ABCDEFGHIJKLMNOPQRSTUVWXYZ_", "ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789", 11)
env_vars = st.dictionaries(env_names, words, max_size=3)
registries = st.sampled_from(["registry.example.io/ml/", "ghcr.io/acme/", "docker.io/acme/"])
image_names = _word(LOWER, ALNUM + "-", 10, ALNUM)
tags = _word(ALNUM, ALNUM + ".", 8)
ALLOWED_REGISTRIES = ["registry.example.io/", "ghcr.io/", "docker.io/"]  # docker.io covers python:3.11-slim

CPUS = ["100m", "250m", "500m", "1", "1.5", "2", "4", "8", 1, 2, 4, 0.5]
MEMORIES = ["256Mi", "512Mi", "1Gi", "2Gi", "4Gi", "16Gi", "500M", "1G", "1.5Gi"]


BOOL = st.booleans()


def pick(options: list[Any]) -> st.SearchStrategy[Any]:
    """One of ``options``, close to uniformly: Hypothesis favours the first of a ``sampled_from`` or ``one_of``
    (its simplest choice), and the coverage check in the first property needs every option drawn often."""
    return st.integers(0, 10 * len(options) - 1).map(lambda i: options[i % len(options)])


def optional(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """A mapping holding a random subset of ``fields``, each drawn from its strategy."""
    return st.fixed_dictionaries({}, optional=fields)


IMAGES = {versioned: st.builds(lambda r, n, t: f"{r}{n}:{t}", registries, image_names,
                                st.just("{version}") if versioned else tags) for versioned in (False, True)}
CPU_CHOICE, MEMORY_CHOICE = st.sampled_from(CPUS), st.sampled_from(MEMORIES)
# Limits at or above each request (Kubernetes refuses a limit below the request).
CPU_LIMITS = {str(c): st.sampled_from([x for x in CPUS if quantity_value(str(x)) >= quantity_value(str(c))]) for c in CPUS}
MEMORY_LIMITS = {m: st.sampled_from([x for x in MEMORIES if quantity_value(x) >= quantity_value(m)]) for m in MEMORIES}
GPU_RESOURCES = optional(resource=st.sampled_from(["nvidia.com/gpu", "amd.com/gpu"]))


@st.composite
def resources(draw: st.DrawFn, max_gpus: int = 2) -> dict[str, Any] | None:
    """Requests (or null: none), optional limits at or above them or none at all (``limits: false``), and
    GPUs as a count or a {count, resource} mapping; sometimes ``null``: no resources rendered."""
    if draw(st.integers(0, 9)) == 0:
        return None
    out: dict[str, Any] = {}
    if draw(BOOL):
        out["cpu"] = draw(st.none() | CPU_CHOICE)
    if draw(BOOL):
        out["memory"] = draw(st.none() | MEMORY_CHOICE)
    if draw(BOOL):
        out["limits"] = False
    else:
        if draw(BOOL):
            out["cpuLimit"] = draw(CPU_LIMITS[str(out.get("cpu") or "1")])
        if draw(BOOL):
            out["memoryLimit"] = draw(MEMORY_LIMITS[out.get("memory") or "2Gi"])
    gpus, form = draw(st.integers(0, max_gpus)), draw(st.integers(0, 2))
    if form == 1:
        out["gpu"] = gpus
    elif form == 2:
        out["gpu"] = {"count": gpus, **draw(GPU_RESOURCES)}
    return out


RESOURCES, CPU_ONLY_RESOURCES, ONE_GPU_RESOURCES = resources(), resources(max_gpus=0), resources(max_gpus=1)
tolerations = st.one_of(
    st.builds(lambda k, e: {"key": k, "operator": "Exists", **e}, label_keys,
              optional(effect=st.sampled_from(["NoSchedule", "PreferNoSchedule", "NoExecute"]))),
    st.builds(lambda k, v, e: {"key": k, "operator": "Equal", "value": v, **e}, label_keys, label_values,
              optional(effect=st.sampled_from(["NoSchedule", "NoExecute"]))),
    st.just({"operator": "Exists"}),
)
placements = optional(nodeSelector=st.dictionaries(label_keys, label_values, max_size=2),
                      tolerations=st.lists(tolerations, max_size=2))

# ------------------------------------------------------------------------------------------------
# Component specs, one strategy per kind
# ------------------------------------------------------------------------------------------------

NOTEBOOK_OPTIONS = optional(
    serverType=st.sampled_from(["jupyter", "group-one", "group-two"]), resources=RESOURCES, env=env_vars,
    placement=placements, serviceAccount=st.sampled_from(["default-editor", "notebook-sa"]), stopped=BOOL,
    pipelinesAccess=BOOL, creator=st.sampled_from(["alice@example.com", "bob@example.com"]),
    containerName=st.sampled_from(["notebook", "main"]),
)
WORKSPACES = optional(size=st.sampled_from(["5Gi", "10Gi", "100Gi"]), storageClass=st.sampled_from(["standard", "fast-ssd"]),
                      mountPath=st.sampled_from(["/home/jovyan", "/workspace"]))
NEW_VOLUME = st.builds(lambda size, rest: {"size": size, **rest}, st.sampled_from(["1Gi", "50Gi", "1Ti"]),
                       optional(storageClass=st.sampled_from(["standard", "nfs"])))
EXISTING_VOLUME = st.builds(lambda claim: {"existingClaim": claim}, st.sampled_from(["shared-datasets", "team-data"]))
VOLUME_OPTIONS = optional(accessMode=st.sampled_from(["ReadWriteOnce", "ReadWriteMany", "ReadOnlyMany", "ReadWriteOncePod"]),
                          readOnly=BOOL)


@st.composite
def notebook_specs(draw: st.DrawFn) -> dict[str, Any]:
    """Image (with {version} only when versioned), size, GPUs, workspace, volumes, env, placement."""
    version = draw(st.none() | versions)
    spec: dict[str, Any] = {"image": draw(IMAGES[version is not None and draw(BOOL)])}
    if version is not None:
        spec["version"] = version
    spec.update(draw(NOTEBOOK_OPTIONS))
    workspace = draw(st.integers(0, 2))
    if workspace:
        spec["workspace"] = None if workspace == 1 else draw(WORKSPACES)
    volumes = [{"name": name, "mountPath": f"/data/{name}",  # never a workspace path
                **draw(NEW_VOLUME | EXISTING_VOLUME), **draw(VOLUME_OPTIONS)}
               for name in draw(st.lists(volume_names, max_size=3, unique=True))]
    if volumes:
        spec["volumes"] = volumes
    elif draw(BOOL):
        spec["volumes"] = []
    return spec


STORAGE_SCHEMES = st.sampled_from(["gs://", "s3://", "pvc://", "https://", "hf://", "oci://"])
MODEL_FORMATS = st.sampled_from(["sklearn", "xgboost", "tensorflow", "pytorch", "onnx", "huggingface", "lightgbm"])
MODEL_OPTIONS = optional(
    formatVersion=st.sampled_from(["1", "2", "1.0"]),
    runtime=st.sampled_from(["kserve-sklearnserver", "kserve-torchserve", "custom-runtime"]),
    protocol=st.sampled_from(["v1", "v2", "grpc-v1", "grpc-v2"]),
    args=st.lists(st.sampled_from(["--workers=2", "--log-level=debug", "--http_port=8080"]), max_size=2),
    env=env_vars,
)
TRANSFORMERS = st.builds(lambda i, extra: {"image": i, **extra}, IMAGES[False], optional(
    args=st.lists(st.sampled_from(["--feature-store=feast:6566", "--verbose"]), max_size=2), env=env_vars,
    resources=CPU_ONLY_RESOURCES))
SERVING_OPTIONS = optional(resources=RESOURCES, transformer=TRANSFORMERS, timeoutSeconds=st.integers(1, 600),
                           placement=placements, serviceAccount=st.sampled_from(["kserve-sa", "default"]))
# KServe: Knative's autoscaler (KPA) scales on concurrency/rps, Standard mode's HPA on cpu/memory.
METRICS = {True: st.sampled_from(["concurrency", "rps"]), False: st.sampled_from(["cpu", "memory"])}


@st.composite
def serving_specs(draw: st.DrawFn) -> dict[str, Any]:
    """Model, scale within min <= max, canary only in Knative mode, metrics the mode's autoscaler supports."""
    version = draw(st.none() | versions)
    uri = f"{draw(STORAGE_SCHEMES)}models/{draw(image_names)}"
    if version is not None and draw(BOOL):
        uri += "/{version}"
    spec: dict[str, Any] = {"model": {"format": draw(MODEL_FORMATS), "storageUri": uri, **draw(MODEL_OPTIONS)}}
    if version is not None:
        spec["version"] = version
    mode = draw(pick(["Knative", "Standard", None]))
    if mode is not None:
        spec["deploymentMode"] = mode
    knative = mode != "Standard"
    if draw(BOOL):
        low = draw(st.integers(0 if knative else 1, 4))
        high = draw(st.none() | st.just(0) | st.integers(max(low, 1), 10))  # none or 0: no upper bound
        spec["replicas"] = {"min": low, **({} if high is None else {"max": high})}
    if draw(BOOL):
        spec["autoscaling"] = {"metric": draw(METRICS[knative]), "target": draw(st.integers(1, 100))}
    if knative and draw(BOOL):
        spec["canary"] = {"trafficPercent": draw(st.integers(0, 100))}
    spec.update(draw(SERVING_OPTIONS))
    if _gpus(spec.get("resources")) and not spec.get("replicas", {}).get("max"):
        replicas = spec.setdefault("replicas", {})  # the GPU quota check needs a bound on GPU services
        replicas["max"] = max(replicas.get("min", 1), 1)
    return spec


def _gpus(resources: Any) -> int:
    """The GPU count of a drawn ``resources`` mapping (a count or ``{count, resource}``)."""
    gpu = (resources or {}).get("gpu", 0)
    return int(gpu["count"] if isinstance(gpu, dict) else gpu)


param_names = _word(LOWER + "ABCXYZ_", ALNUM + "ABCXYZ_-", 10)
METRICS_FORMAT = r"([\w|-]+)\s*=\s*([+-]?\d*(\.\d+)?([Ee][+-]?\d+)?)"  # Katib's default: two groups
PARAMETER_KINDS = st.sampled_from(["int", "double", "categorical", "discrete"])
CATEGORIES = st.lists(_word(LOWER, ALNUM, 6) | st.integers(0, 9), min_size=1, max_size=4, unique_by=str)
DISCRETE = st.lists(st.integers(-5, 500) | st.floats(0.001, 10), min_size=1, max_size=4,
                    unique_by=float)  # 1 and 1.0 both render as "1"
DISTRIBUTIONS = {True: st.sampled_from(["uniform", "normal", "logUniform", "logNormal"]),
                 False: st.sampled_from(["uniform", "normal"])}  # a log scale needs positive bounds


@st.composite
def katib_parameter(draw: st.DrawFn, name: str, needs_step: bool) -> dict[str, Any]:
    """A parameter with a consistent feasible space (min < max, step > 0, numeric discrete values)."""
    kind = draw(PARAMETER_KINDS)
    out: dict[str, Any] = {"name": name, "type": kind}
    if kind == "int":
        low = draw(st.integers(-100, 100))
        out.update(min=low, max=low + draw(st.integers(1, 1000)))
        if needs_step or draw(BOOL):
            out["step"] = draw(st.integers(1, 50))
    elif kind == "double":
        start = draw(st.floats(-10, 10))
        out.update(min=start, max=start + draw(st.floats(0.001, 100)))
        if needs_step or draw(BOOL):
            out["step"] = draw(st.floats(0.001, 1))
    else:
        out["values"] = draw(CATEGORIES if kind == "categorical" else DISCRETE)
    if kind in ("int", "double") and draw(BOOL):
        out["distribution"] = draw(DISTRIBUTIONS[out["min"] > 0])
    return out


# Hyperparameter algorithms that require no setting (NAS and hyperband have tests of their own); settings with a
# numeric range are left out, those with a few words draw one of them.
FREE = {name: rule for name, rule in RULES.items() if not rule.nas and not rule.required}
ALGORITHMS = pick(sorted(FREE))
ANY_VALUE = st.integers(0, 100) | st.sampled_from(["gp", "EI", "auto", "0.5"]) | BOOL
SETTINGS = {name: optional(settings=st.fixed_dictionaries({}, optional={
    key: ANY_VALUE if bound is None else st.sampled_from(bound.values)
    for key, bound in rule.settings.items() if not isinstance(bound, Range)})) for name, rule in FREE.items()}
TEMPLATE_OPTIONS = optional(resources=ONE_GPU_RESOURCES, placement=placements, retain=BOOL)
POD_ANNOTATIONS = st.dictionaries(st.sampled_from(["sidecar.istio.io/inject", "example.com/team"]),
                                  st.sampled_from(["false", "true", "ml"]), min_size=1, max_size=2)
COLLECTORS = st.one_of(
    st.builds(lambda extra: {"kind": "StdOut", **extra}, optional(metricsFormat=st.just([METRICS_FORMAT]))),
    st.just({"kind": "File", "path": "/var/log/katib/metrics.log", "format": "JSON"}),  # JSON: no metricsFormat
    st.builds(lambda extra: {"kind": "File", "path": "/var/log/katib/metrics.log", **extra},
              optional(format=st.just("TEXT"), metricsFormat=st.just([METRICS_FORMAT]))),
    st.just({"kind": "TensorFlowEvent", "path": "/var/log/tfevents"}),  # no format: Katib wants it empty
    st.sampled_from([{"kind": "PrometheusMetric"}, {"kind": "Push"}, {"kind": "None"},
                     {"kind": "PrometheusMetric", "httpGet": {"port": 9090, "path": "/metrics"}},
                     {"kind": "Custom", "custom": {"name": "collector", "image": "collector:1", "args": ["-m", "loss"]}},
                     {"kind": "Custom", "path": "/var/log/katib", "pathKind": "Directory",
                      "custom": {"name": "collector", "image": "collector:1"}}]),
)
TUNING_OPTIONS = optional(
    earlyStopping=st.builds(lambda s: {"name": "medianstop", "settings": s}, st.dictionaries(
        st.sampled_from(["min_trials_required", "start_step"]), st.integers(1, 10), max_size=2)),
    resumePolicy=st.sampled_from(["Never", "LongRunning", "FromVolume"]),
    metricsCollector=COLLECTORS,
)


@st.composite
def tuning_specs(draw: st.DrawFn) -> dict[str, Any]:
    """Objective, algorithm settings it accepts, parameters all used as ${trialParameters.<name>}, budget."""
    version = draw(st.none() | versions)
    algorithm = draw(ALGORITHMS)
    names = draw(st.lists(param_names, min_size=1, max_size=4, unique=True))
    parameters = [draw(katib_parameter(name, algorithm == "grid")) for name in names]
    in_env = [n for n in names if draw(BOOL)]  # the rest go on the command line
    command = ["python", "train.py", *[f"--{n}=${{trialParameters.{n}}}" for n in names if n not in in_env]]
    env = draw(env_vars) | {f"HP_{i}": f"${{trialParameters.{n}}}" for i, n in enumerate(in_env)}
    kind = draw(pick(["Job", "PyTorchJob", "TFJob", "TrainJob"]))
    template: dict[str, Any] = {"kind": kind, "image": draw(IMAGES[version is not None and draw(BOOL)]),
                                "command": command}
    if env:
        template["env"] = env
    if kind != "Job" and draw(BOOL):
        template["workers"] = draw(st.integers(1, 4))
    if kind == "TrainJob":
        template["runtime"] = draw(st.sampled_from(["torch-distributed", "deepspeed"]))
    template.update(draw(TEMPLATE_OPTIONS))
    if kind != "TrainJob" and draw(BOOL):  # a TrainJob has no pod template to annotate
        template["podAnnotations"] = draw(POD_ANNOTATIONS)
    metric = draw(_word(LOWER, LOWER + "_-", 10, LOWER))
    objective: dict[str, Any] = {"type": draw(st.sampled_from(["minimize", "maximize"])), "metric": metric}
    if extra := [m for m in draw(st.lists(_word(LOWER, LOWER + "_", 8), max_size=2, unique=True)) if m != metric]:
        objective["additionalMetrics"] = extra
    trials: dict[str, Any] = {"parallel": draw(st.integers(1, 4))}
    if draw(BOOL):
        trials["max"] = trials["parallel"] + draw(st.integers(0, 40))
        if draw(BOOL):
            trials["maxFailed"] = draw(st.integers(0, trials["max"]))
    if algorithm == "grid":  # Katib's grid refuses more trials than grid points: leave the budget to the goal
        trials.pop("max", None)
    if "max" not in trials or draw(BOOL):  # a search needs an end: a trial budget or a goal
        objective["goal"] = draw(st.floats(-1, 1))
    spec: dict[str, Any] = {"objective": objective, "algorithm": {"name": algorithm, **draw(SETTINGS[algorithm])},
                            "parameters": parameters, "trialTemplate": template, "trials": trials}
    if version is not None:
        spec["version"] = version
    spec.update(draw(TUNING_OPTIONS))
    return spec


PACKAGE_PATHS = st.sampled_from(sorted(PACKAGES))
PIPELINE_OPTIONS = optional(displayName=words, description=words, tags=st.dictionaries(label_keys, label_values, max_size=2),
                            versionName=st.sampled_from(["{version}", "v{version}", "release-{version}"]),
                            versionDisplayName=st.builds(lambda w: f"{w} {{version}}", words))


@st.composite
def pipeline_specs(draw: st.DrawFn) -> dict[str, Any]:
    """A bundled compiled package at one version; older versions point at the same package.

    (Another package would be wrong anyway: pinning an older version renders the current package, see the report.)
    """
    package, version = draw(PACKAGE_PATHS), draw(pipeline_versions)
    spec: dict[str, Any] = {"version": version, "package": package}
    if older := draw(st.lists(pipeline_versions.filter(lambda v: v != version), max_size=2, unique=True)):
        spec["previousVersions"] = {v: package for v in older}
    spec.update(draw(PIPELINE_OPTIONS))
    return spec


@st.composite
def _cron_range(draw: st.DrawFn, low: int, high: int) -> str:
    a = draw(st.integers(low, high))
    b = draw(st.integers(a, high))
    step = draw(st.integers(1, max(1, high - low)))
    return draw(st.sampled_from([str(a), f"{a}-{b}", f"*/{step}", f"{a}-{b}/{step}"]))


def _cron_field(low: int, high: int) -> st.SearchStrategy[str]:
    """One robfig- and croniter-compatible cron field: *, n, a-b, */s, a-b/s or a list of them."""
    single = _cron_range(low, high)
    return st.one_of(st.just("*"), single, st.lists(single, min_size=2, max_size=3).map(",".join))


# Day of month stops at 28 so that every expression fires; day of week at 6, since 7 breaks KFP (module docstring).
five_field = st.tuples(_cron_field(0, 59), _cron_field(0, 23), _cron_field(1, 28), _cron_field(1, 12),
                       _cron_field(0, 6) | st.sampled_from(["MON-FRI", "sun", "SAT"])).map(" ".join)
six_field = st.tuples(_cron_field(0, 59), five_field).map(" ".join)
INTERVALS = (st.integers(1, 10**6),
             st.builds(lambda n, u: f"{n}{u}", st.integers(1, 90), st.sampled_from(["s", "m", "h", "d"])),
             st.sampled_from(["1d12h", "2h30m", "1m30s", "90s"]))
TRIGGER_FORMS = [st.builds(lambda c: {"cron": c}, form) for form in (five_field, six_field, st.sampled_from(
    ["@hourly", "@daily", "@weekly", "@monthly"]))] + [st.builds(lambda i: {"interval": i}, st.one_of(*INTERVALS))]
TRIGGERS = pick(TRIGGER_FORMS).flatmap(lambda form: form)
moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(timezone.utc))
SCHEDULE_OPTIONS = optional(
    maxConcurrency=st.integers(1, 10), maxHistory=st.integers(0, 100), enabled=BOOL, catchUp=BOOL,
    experiment=st.sampled_from(["nightly", "exp-1"]), serviceAccount=st.sampled_from(["pipeline-runner", "kfp-sa"]),
    pipelineRoot=st.sampled_from(["s3://acme-pipelines/root", "gs://bucket/root"]),
)
PARAMETER_VALUES = {"NUMBER_INTEGER": st.integers(1, 10**6), "NUMBER_DOUBLE": st.floats(0.0001, 1000),
                    "STRING": st.builds(lambda s: f"s3://bucket/{s}", image_names) | words}


@st.composite
def schedule_specs(draw: st.DrawFn, pipeline: tuple[str, dict[str, Any]], zone: str,
                   pinned: str | None = None) -> dict[str, Any]:
    """A cron or interval trigger for ``pipeline`` with its required parameters (and some optional ones)."""
    name, pipeline_spec = pipeline
    inputs = PACKAGE_INPUTS[pipeline_spec["package"]]
    parameters = {p: draw(PARAMETER_VALUES[d["parameterType"]]) for p, d in sorted(inputs.items())
                  if not ("defaultValue" in d or d.get("isOptional")) or draw(BOOL)}
    spec: dict[str, Any] = {"pipeline": name, "trigger": draw(TRIGGERS), "parameters": parameters}
    if pinned is not None:
        spec["pipelineVersion"] = pinned
    if draw(BOOL):
        start = draw(moments)
        spec["startTime"] = start.isoformat().replace("+00:00", "Z")
        if draw(BOOL):
            spec["endTime"] = (start + timedelta(minutes=draw(st.integers(1, 10**6)))).isoformat()
    elif draw(BOOL):
        spec["endTime"] = draw(moments).isoformat()
    if draw(BOOL):
        spec["timeZone"] = zone
    spec.update(draw(SCHEDULE_OPTIONS))
    return spec


# Keys an override replaces together, because the spec ties them to each other.
OVERRIDE_GROUPS: dict[str, list[tuple[str, ...]]] = {
    "Notebook": [("image", "version"), ("resources",), ("workspace", "volumes"), ("env",), ("placement",),
                 ("serverType",), ("stopped",), ("pipelinesAccess",), ("serviceAccount",), ("creator",)],
    "Serving": [("model", "version"), ("deploymentMode", "canary", "autoscaling", "replicas", "resources"),
                ("transformer",), ("timeoutSeconds",), ("placement",), ("serviceAccount",)],
    # trials go with the algorithm too: grid refuses a trials.max above its number of grid points
    "Tuning": [("objective", "trials", "version", "algorithm", "parameters", "trialTemplate"), ("earlyStopping",),
               ("metricsCollector",), ("resumePolicy",)],
    "Schedule": [("trigger", "startTime", "endTime"), ("maxConcurrency",), ("maxHistory",), ("enabled",),
                 ("catchUp",), ("experiment",), ("serviceAccount",), ("pipelineRoot",), ("parameters",)],
    "Pipeline": [("displayName",), ("description",), ("tags",)],
}


def replacing(base: Any, new: Any) -> Any:
    """The override that deep-merges ``base`` into exactly ``new``: keys ``new`` lacks are set to null."""
    if isinstance(base, dict) and isinstance(new, dict):
        out: dict[str, Any] = {key: None for key in base if key not in new}
        out.update({key: replacing(base[key], value) if key in base else value for key, value in new.items()})
        return out
    return new


# ------------------------------------------------------------------------------------------------
# Whole platforms
# ------------------------------------------------------------------------------------------------


class Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Every string double-quoted, so YAML 1.2 (our loader) and PyYAML's 1.1 never disagree on a scalar."""


Dumper.add_representer(str, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"'))


def dump(document: dict[str, Any]) -> bytes:
    return yaml.dump(document, Dumper=Dumper, sort_keys=False, allow_unicode=True).encode()


ZONES = st.sampled_from(["UTC", "Europe/Berlin", "America/New_York"])
METADATA_OPTIONS = optional(description=words, owner=words)
SEMVER = st.builds(lambda a, b, c, rc: f"{a}.{b}.{c}{rc}", numbers, numbers, numbers, st.sampled_from(["", "-rc.1"]))
PLATFORM_DEFAULTS = optional(labels=st.dictionaries(label_keys, label_values, max_size=2),
                             annotations=st.dictionaries(label_keys, words, max_size=2))
COUNTS = pick([1, 2])
SPECS = {"Notebook": notebook_specs(), "Serving": serving_specs(), "Tuning": tuning_specs(), "Pipeline": pipeline_specs()}
Platform = tuple[dict[str, bytes], list[str]]


@st.composite
def platforms(draw: st.DrawFn) -> Platform:
    """Spec files of a valid platform repository and its environment names (the bundled packages are added
    by ``load_or_fail``, so that failing examples print short)."""
    zone = draw(ZONES)
    components: dict[str, tuple[str, dict[str, Any]]] = {}  # ref -> (kind, spec)

    def component_names(strategy: st.SearchStrategy[str], low: int = 0) -> list[str]:
        count = draw(COUNTS) if low or draw(st.integers(0, 9)) else 0  # each kind present nine times in ten
        chosen: list[str] = draw(st.lists(strategy, min_size=count, max_size=count, unique=True))
        return chosen

    for kind in ("Notebook", "Serving", "Tuning"):
        for name in component_names(dns_names):
            components[f"{KIND_DIRS[kind]}/{name}"] = (kind, draw(SPECS[kind]))
    pipelines = {name: draw(SPECS["Pipeline"]) for name in component_names(letter_names)}
    components.update({f"pipelines/{name}": ("Pipeline", spec) for name, spec in pipelines.items()})
    for name in component_names(dns_names, low=1) if pipelines else []:
        target = draw(st.sampled_from(sorted(pipelines)))
        known = [pipelines[target]["version"], *pipelines[target].get("previousVersions", {})]
        pinned = draw(st.none() | st.sampled_from(known))
        components[f"schedules/{name}"] = ("Schedule", draw(schedule_specs((target, pipelines[target]), zone, pinned)))
    if not components:
        components[f"serving/{draw(dns_names)}"] = ("Serving", draw(SPECS["Serving"]))

    files: dict[str, bytes] = {}
    for ref, (kind, spec) in components.items():
        metadata = {"name": ref.split("/", 1)[1], **draw(METADATA_OPTIONS)}
        files[f"components/{ref}.yaml"] = dump({"apiVersion": API, "kind": kind, "metadata": metadata, "spec": spec})
    count = draw(COUNTS)
    env_list = draw(st.lists(short_names, min_size=count, max_size=count, unique=True))
    for name in env_list:
        files[f"environments/{name}.yaml"] = dump(draw(environments(name, components, zone)))
    promotion: list[Any] = list(env_list) if len(env_list) == 2 and draw(BOOL) else [env_list]
    platform_spec: dict[str, Any] = {"version": draw(SEMVER), "promotion": promotion}
    if draw(BOOL):
        platform_spec["releases"] = {draw(short_names): draw(st.lists(st.sampled_from(sorted(components)), min_size=1,
                                                                      max_size=3, unique=True))}
    platform_spec["defaults"] = draw(PLATFORM_DEFAULTS)
    files["platform.yaml"] = dump({"apiVersion": API, "kind": "Platform", "metadata": {"name": draw(dns_names)},
                                   "spec": platform_spec})
    return files, env_list


CONNECTIONS = st.sampled_from(["directory", "kubeconfig", "inCluster"])
POLICIES = optional(gpuQuota=st.just(10_000), allowedRegistries=st.just(ALLOWED_REGISTRIES), maxPruneFraction=st.floats(0, 1),
                    protect=st.lists(st.sampled_from(["serving/*", "*/*", "pipelines/*"]), max_size=2, unique=True))
KFP_OPTIONS = optional(experiment=st.sampled_from(["default", "prod"]), serviceAccount=st.just("pipeline-runner"))
ENVIRONMENT_OPTIONS = optional(stage=st.sampled_from(["dev", "prod"]),
                               labels=st.dictionaries(label_keys, label_values, max_size=2))


@st.composite
def environments(draw: st.DrawFn, name: str, components: dict[str, tuple[str, dict[str, Any]]],
                 zone: str) -> dict[str, Any]:
    """Clusters and their selections, namespace, pins, overrides, policy and KFP settings of one environment."""
    present = sorted({ref.split("/")[0] for ref in components})
    kinds = set(draw(st.lists(st.sampled_from(present), min_size=1, unique=True)))
    if "schedules" in kinds:
        kinds.add("pipelines")  # a schedule's pipeline runs where it runs
    count = draw(COUNTS)
    placed = {kind: set(draw(st.lists(st.integers(0, count - 1), min_size=1, unique=True))) for kind in sorted(kinds)}
    placed.setdefault("pipelines", set()).update(placed.get("schedules", set()))
    clusters = []
    for i, cluster_name in enumerate(draw(st.lists(short_names, min_size=count, max_size=count, unique=True))):
        connection = draw(CONNECTIONS)
        cluster: dict[str, Any] = {"name": cluster_name, connection: {
            "directory": f".platformctl/clusters/{cluster_name}", "kubeconfig": {"context": f"ctx-{cluster_name}"},
            "inCluster": True}[connection]}
        mine = sorted(kind for kind, where in placed.items() if i in where)
        if set(mine) != set(present) or draw(BOOL):
            cluster["components"] = [f"{kind}/*" for kind in mine]
        if draw(st.integers(0, 4)) == 0:
            cluster["namespace"] = draw(short_names)
        clusters.append(cluster)
    spec: dict[str, Any] = {"clusters": clusters, "namespace": draw(short_names | long_names)}
    if kinds != set(present) or draw(BOOL):
        spec["components"] = [f"{kind}/*" for kind in sorted(kinds)]
    # A schedule bound to its pipeline's current version breaks when the environment pins an older one (see the
    # report), so such pipelines are only pinned to their current version.
    bound_current = {s["pipeline"] for kind, s in components.values() if kind == "Schedule"
                     and s.get("pipelineVersion") == components[f"pipelines/{s['pipeline']}"][1]["version"]}
    pins: dict[str, str] = {}
    overrides: dict[str, dict[str, Any]] = {}
    for ref, (kind, base) in sorted(components.items()):
        if ref.split("/")[0] not in kinds:
            continue
        if kind == "Pipeline" and draw(BOOL):
            older = [] if ref.split("/")[1] in bound_current else list(base.get("previousVersions", {}))
            pins[ref] = draw(st.sampled_from([base["version"], *older]))
        elif kind in ("Notebook", "Serving", "Tuning") and draw(BOOL):
            pins[ref] = draw(versions)
        if groups := draw(st.lists(st.sampled_from(OVERRIDE_GROUPS[kind]), max_size=2, unique=True)):
            if kind == "Schedule":
                target = (base["pipeline"], components[f"pipelines/{base['pipeline']}"][1])
                alternative = draw(schedule_specs(target, zone, base.get("pipelineVersion")))
            else:
                alternative = draw(SPECS[kind])
            overrides[ref] = {key: replacing(base[key], alternative[key]) if key in base and key in alternative
                              else alternative.get(key) for group in groups for key in group}
    if pins:
        spec["versions"] = pins
    if overrides:
        spec["overrides"] = overrides
    spec["policy"] = draw(POLICIES)
    spec["kfp"] = {"scheduleTimeZone": zone, **draw(KFP_OPTIONS)}
    spec.update(draw(ENVIRONMENT_OPTIONS))
    return {"apiVersion": API, "kind": "Environment", "metadata": {"name": name}, "spec": spec}


# ------------------------------------------------------------------------------------------------
# Properties
# ------------------------------------------------------------------------------------------------


def load_or_fail(files: dict[str, bytes]) -> Spec:
    """Load a generated platform; a rejection is a bug in the strategies or the loader, shown in full."""
    try:
        return load(MemorySource({**PACKAGES, **files}))
    except SpecErrors as exc:
        listing = "\n".join(f"--- {path}\n{text.decode()}" for path, text in sorted(files.items()))
        pytest.fail("the loader rejected a generated platform:\n" + "\n".join(
            f"{e.path}:{e.line}:{e.col}: {e.message}" for e in exc.errors) + "\n" + listing)


def rendered(spec: Spec, envs: list[str], revision: str) -> dict[tuple[str, str], list[Manifest]]:
    return {(env, cluster): [r.manifest for r in objects]
            for env in envs for cluster, objects in render_environment(spec, env, revision).items()}


def features(files: dict[str, bytes], envs: list[str]) -> set[str]:
    """What a generated platform exercises: component kinds, pins, overrides, counts of clusters and environments."""
    seen = {f"environments:{len(envs)}"}
    for text in files.values():
        doc = yaml.safe_load(text)
        seen.add(doc["kind"])
        if doc["kind"] == "Environment":
            seen.update(f"env:{key}" for key in ("overrides", "versions") if key in doc["spec"])
            seen.add(f"clusters:{len(doc['spec']['clusters'])}")
    return seen


# Each shows up in ten or more of the 60 examples whatever the seed (the examples Hypothesis draws change with
# the set of modules loaded, whose constants it mixes in), so the check is not brittle.
EXERCISED = {"Notebook", "Pipeline", "Schedule", "Tuning", "Serving", "Environment", "Platform", "env:overrides",
             "env:versions", "clusters:1", "clusters:2", "environments:1", "environments:2"}


def test_every_rendered_object_conforms_and_carries_ownership() -> None:
    """Every object of every cluster passes validate_object, is owned and hashed, and has a name of its own.

    The examples drawn must also exercise every kind and the shapes in EXERCISED, so that the property is not
    vacuously true of a narrowed strategy.
    """
    seen: set[str] = set()

    @PROPERTY_SETTINGS
    @given(platforms())
    def conforms(platform: Platform) -> None:
        files, envs = platform
        seen.update(features(files, envs))
        spec = load_or_fail(files)
        for (env, cluster), manifests in rendered(spec, envs, "r1").items():
            keys = [(m["apiVersion"], m["kind"], m["metadata"].get("namespace"), m["metadata"]["name"])
                    for m in manifests]
            assert len(keys) == len(set(keys)), f"{env}/{cluster}: two objects share a name: {sorted(keys)}"
            for manifest in manifests:
                where = f"{env}/{cluster}: {manifest['kind']} {manifest['metadata']['name']}"
                assert validate_object(manifest) == [], where
                metadata = manifest["metadata"]
                assert metadata["labels"][LABEL_MANAGED_BY] == "platformctl", where
                assert metadata["annotations"][ANNOTATION_HASH] == spec_hash(manifest), where

    conforms()
    assert EXERCISED <= seen, f"the strategies no longer generate {sorted(EXERCISED - seen)}"


@CHEAPER_SETTINGS
@given(platforms())
def test_rendering_twice_gives_identical_output(platform: Platform) -> None:
    files, envs = platform
    spec = load_or_fail(files)
    first = json.dumps({f"{e}/{c}": m for (e, c), m in rendered(spec, envs, "r1").items()}, sort_keys=True)
    again = json.dumps({f"{e}/{c}": m for (e, c), m in rendered(spec, envs, "r1").items()}, sort_keys=True)
    reloaded = json.dumps({f"{e}/{c}": m for (e, c), m in rendered(load_or_fail(dict(files)), envs, "r1").items()},
                          sort_keys=True)
    assert first == again == reloaded


def _without_revision(manifest: Manifest) -> Manifest:
    annotations = {k: v for k, v in manifest["metadata"]["annotations"].items() if k != ANNOTATION_REVISION}
    return {**manifest, "metadata": {**manifest["metadata"], "annotations": annotations}}


@CHEAPER_SETTINGS
@given(platforms(), st.sampled_from(["main", "0" * 40, "v1.2.3"]), st.sampled_from(["rev-b", "f" * 40]))
def test_changing_only_the_revision_changes_no_spec_hash(platform: Platform, first: str,
                                                         second: str) -> None:
    files, envs = platform
    spec = load_or_fail(files)
    a, b = rendered(spec, envs, first), rendered(spec, envs, second)
    assert a.keys() == b.keys()
    for key in a:
        hashes = [[m["metadata"]["annotations"][ANNOTATION_HASH] for m in side[key]] for side in (a, b)]
        assert hashes[0] == hashes[1]
        assert [m["metadata"]["annotations"][ANNOTATION_REVISION] for m in b[key]] == [second] * len(b[key])
        assert [_without_revision(m) for m in a[key]] == [_without_revision(m) for m in b[key]]


def _trigger_form(spec: dict[str, Any]) -> str:
    trigger = spec["trigger"]
    return "interval" if "interval" in trigger else f"cron:{len(str(trigger['cron']).split())}"


SCHEDULE = schedule_specs(("p", {"version": "1.0.0", "package": "kfp-pipelines/batch_scoring.yaml"}), "UTC")
VARIANTS: dict[str, tuple[st.SearchStrategy[Any], dict[str, Any]]] = {
    "Tuning": (tuning_specs(), {
        **{f"{k} trial": lambda s, k=k: s["trialTemplate"]["kind"] == k for k in ("Job", "PyTorchJob", "TrainJob")},
        **{f"{t} parameter": lambda s, t=t: any(p["type"] == t for p in s["parameters"])
           for t in ("int", "double", "categorical", "discrete")},
        "grid search (numeric parameters with a step)": lambda s: s["algorithm"]["name"] == "grid",
        "parameters passed in env": lambda s: "${trialParameters." in str(s["trialTemplate"].get("env")),
        "early stopping": lambda s: "earlyStopping" in s,
    }),
    "Schedule": (SCHEDULE, {
        **{form: lambda s, form=form: _trigger_form(s) == form for form in ("cron:1", "cron:5", "cron:6", "interval")},
        "a start and an end time": lambda s: "startTime" in s and "endTime" in s,
    }),
    "Serving": (serving_specs(), {
        "canary": lambda s: "canary" in s,
        "transformer": lambda s: "transformer" in s,
        "Standard mode with autoscaling": lambda s: s.get("deploymentMode") == "Standard" and "autoscaling" in s,
        "{version} in the storage URI": lambda s: "{version}" in s["model"]["storageUri"],
    }),
    "Notebook": (notebook_specs(), {
        "two or more volumes": lambda s: len(s.get("volumes", [])) >= 2,
        "no workspace": lambda s: "workspace" in s and s["workspace"] is None,
        "GPUs": lambda s: "gpu" in (s.get("resources") or {}),
    }),
    "Pipeline": (pipeline_specs(), {"older versions": lambda s: "previousVersions" in s}),
}


@pytest.mark.parametrize("kind", sorted(VARIANTS))
def test_the_component_strategies_reach_every_variant(kind: str) -> None:
    """The valid-spec strategies are not narrowed by accident: over 200 draws, each variant shows up."""
    strategy, variants = VARIANTS[kind]
    seen: set[str] = set()

    @settings(PROPERTY_SETTINGS, max_examples=200, phases=[Phase.generate])
    @given(strategy)
    def draw_specs(spec: dict[str, Any]) -> None:
        seen.update(name for name, condition in variants.items() if condition(spec))

    draw_specs()
    assert seen == set(variants), f"{kind}: never generated {sorted(set(variants) - seen)}"
