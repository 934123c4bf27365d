"""What each renderer produces for the bundled components (the upstream shapes that matter)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from reconciler.objects import Manifest
from reconciler.render import render_cluster
from reconciler.render.schedule import bind_pipeline_ids
from reconciler.source.directory import DirectorySource
from reconciler.spec.document import Spec
from reconciler.spec.load import load
from tests.spec.conftest import REPO


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load(DirectorySource(REPO))


def objects(spec: Spec, env: str, cluster: str) -> dict[tuple[str, str], Manifest]:
    return {(r.manifest["kind"], r.manifest["metadata"]["name"]): r.manifest
            for r in render_cluster(spec, env, cluster, "r1")}


def test_apply_order_puts_namespaces_first_and_schedules_last(spec: Spec) -> None:
    kinds = [r.manifest["kind"] for r in render_cluster(spec, "dev", "local", "r1")]
    assert kinds[0] == "Namespace" and kinds[-1] == "ScheduledWorkflow"
    assert kinds.index("PipelineVersion") > kinds.index("Pipeline")
    assert kinds.index("Notebook") > kinds.index("PersistentVolumeClaim")


def test_notebook_pod_spec(spec: Spec) -> None:
    objs = objects(spec, "prod-onprem", "onprem-gpu")
    notebook = objs[("Notebook", "research-gpu")]
    pod = notebook["spec"]["template"]["spec"]
    [main] = pod["containers"]
    assert main["image"] == "registry.acme.io/notebooks/jupyter-pytorch-cuda-full:v1.9.2"
    assert main["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert {"name": "datasets", "persistentVolumeClaim": {"claimName": "shared-datasets", "readOnly": True}} in pod["volumes"]
    assert pod["serviceAccountName"] == "default-editor"
    assert pod["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    assert notebook["metadata"]["labels"]["access-ml-pipeline"] == "true"
    assert ("PersistentVolumeClaim", "research-gpu-workspace") in objs
    assert ("PersistentVolumeClaim", "research-gpu-datasets") not in objs  # existing claim: no PVC rendered


def test_stopped_notebook_carries_the_kubeflow_annotation(spec: Spec) -> None:
    analytics = objects(spec, "prod-onprem", "onprem-gpu")[("Notebook", "analytics")]
    assert analytics["metadata"]["annotations"]["kubeflow-resource-stopped"] == "true"
    dev = objects(spec, "dev", "local")[("Notebook", "analytics")]
    assert "kubeflow-resource-stopped" not in dev["metadata"]["annotations"]


def test_pipeline_version_embeds_the_compiled_ir(spec: Spec) -> None:
    objs = objects(spec, "staging", "onprem-staging")
    version = objs[("PipelineVersion", "fraud-training-1-4-0")]
    assert version["spec"]["pipelineName"] == "fraud-training"
    assert version["spec"]["versionName"] == "1.4.0"
    assert version["spec"]["pipelineSpec"]["pipelineInfo"]["name"] == "fraud-training"
    assert objs[("Pipeline", "fraud-training")]["spec"]["displayName"] == "Fraud model training"


def test_scheduled_workflow_shapes(spec: Spec) -> None:
    objs = objects(spec, "staging", "onprem-staging")
    nightly = objs[("ScheduledWorkflow", "fraud-nightly-training")]
    assert nightly["status"] == {}
    assert nightly["spec"]["trigger"] == {"cronSchedule": {"cron": "0 0 2 * * *"}}
    assert nightly["spec"]["enabled"] is False  # staging override
    assert nightly["spec"]["noCatchup"] is True
    params = {p["name"]: json.loads(p["value"]) for p in nightly["spec"]["workflow"]["parameters"]}
    assert params == {"learning_rate": 0.05, "n_estimators": 400, "training_data_uri": "s3://acme-data/transactions/latest/"}
    hourly = objs[("ScheduledWorkflow", "batch-scoring-hourly")]
    assert hourly["spec"]["trigger"] == {"periodicSchedule": {"intervalSecond": 3600, "startTime": "2026-01-01T00:00:00Z"}}


def test_schedules_bind_to_live_pipeline_uids(spec: Spec) -> None:
    swf = objects(spec, "dev", "local")[("ScheduledWorkflow", "fraud-nightly-training")]
    assert "pipelineId" not in swf["spec"]
    bound = bind_pipeline_ids(swf, {("Pipeline", "fraud-training"): "uid-p", ("PipelineVersion", "fraud-training-1-4-0"): "uid-v"})
    assert (bound["spec"]["pipelineId"], bound["spec"]["pipelineVersionId"]) == ("uid-p", "uid-v")
    assert "pipelineId" not in swf["spec"]  # the rendered object is not modified


def _param(experiment: Manifest, name: str) -> dict[str, Any]:
    return next(p for p in experiment["spec"]["parameters"] if p["name"] == name)


def test_katib_experiment_shapes(spec: Spec) -> None:
    objs = objects(spec, "prod-onprem", "onprem-gpu")
    fraud = objs[("Experiment", "fraud-xgb-search")]["spec"]
    assert fraud["objective"] == {"type": "maximize", "objectiveMetricName": "auc", "goal": 0.97,
                                  "additionalMetricNames": ["logloss"]}
    assert _param(objs[("Experiment", "fraud-xgb-search")], "learning_rate")["feasibleSpace"] == {
        "min": "0.01", "max": "0.3", "distribution": "logUniform"}
    assert _param(objs[("Experiment", "fraud-xgb-search")], "subsample")["feasibleSpace"] == {"list": ["0.6", "0.8", "1"]}
    assert fraud["trialTemplate"]["primaryContainerName"] == "training-container"
    assert fraud["trialTemplate"]["trialSpec"]["kind"] == "Job"
    image = fraud["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == "registry.acme.io/risk/fraud-trainer:1.3.1"  # pinned in prod-onprem
    recsys = objs[("Experiment", "recsys-ranker-search")]["spec"]
    replicas = recsys["trialTemplate"]["trialSpec"]["spec"]["pytorchReplicaSpecs"]
    assert (replicas["Master"]["replicas"], replicas["Worker"]["replicas"]) == (1, 1)
    assert recsys["parallelTrialCount"] == 3 and recsys["earlyStopping"]["algorithmName"] == "medianstop"


def test_inference_service_shapes(spec: Spec) -> None:
    objs = objects(spec, "prod-cloud", "gke-eu")
    fraud = objs[("InferenceService", "fraud-detector")]
    predictor = fraud["spec"]["predictor"]
    assert predictor["canaryTrafficPercent"] == 10
    assert (predictor["minReplicas"], predictor["maxReplicas"]) == (4, 16)
    assert predictor["model"]["storageUri"] == "s3://acme-models/fraud/7"
    assert fraud["metadata"]["annotations"]["serving.kserve.io/deploymentMode"] == "Knative"
    ranker = objs[("InferenceService", "recsys-ranker")]["spec"]["predictor"]
    assert ranker["model"]["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert ranker["nodeSelector"] == {"cloud.google.com/gke-accelerator": "nvidia-l4"}
    churn = objs[("InferenceService", "churn-predictor")]["spec"]
    assert churn["transformer"]["containers"][0]["image"] == "registry.acme.io/analytics/churn-features:1.8.2"
