"""Loading the bundled platform: resolution of overrides, pins and placement; error locations."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import SpecErrors
from reconciler.source.directory import DirectorySource
from reconciler.spec.document import Spec
from reconciler.spec.load import load
from reconciler.spec.models import ScheduleSpec, ServingSpec, TuningSpec
from tests.spec.conftest import REPO


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load(DirectorySource(REPO))


def test_bundled_platform_has_every_kind(spec: Spec) -> None:
    kinds = sorted({c.kind for c in spec.components.values()})
    assert kinds == ["Notebook", "Pipeline", "Schedule", "Serving", "Team", "Training", "Tuning"]
    assert set(spec.environments) == {"dev", "staging", "prod-onprem", "prod-cloud"}
    assert spec.platform.spec.stages() == [("dev",), ("staging",), ("prod-onprem", "prod-cloud")]


def test_overrides_are_deep_merged_and_pins_applied(spec: Spec) -> None:
    fraud = spec.environments["prod-cloud"].components["serving/fraud-detector"]
    assert isinstance(fraud.spec, ServingSpec)
    assert (fraud.spec.replicas.min, fraud.spec.replicas.max) == (4, 16)
    assert fraud.spec.canary is not None and fraud.spec.canary.traffic_percent == 10
    assert fraud.spec.resources.memory == "4Gi"  # untouched by the override
    assert fraud.version == "7"
    base = spec.components["serving/fraud-detector"].doc.spec
    assert isinstance(base, ServingSpec) and base.canary is None


def test_null_in_an_override_removes_the_key(spec: Spec) -> None:
    fraud = spec.environments["dev"].components["serving/fraud-detector"].spec
    assert isinstance(fraud, ServingSpec) and fraud.autoscaling is None


def test_components_are_placed_on_clusters_by_pattern(spec: Spec) -> None:
    staging = spec.environments["staging"]
    assert staging.clusters_running("serving/fraud-detector") == ("gke-staging",)
    assert staging.clusters_running("tuning/fraud-xgb-search") == ("onprem-staging",)
    assert spec.environments["prod-cloud"].clusters_running("serving/recsys-ranker") == ("gke-eu", "gke-us")
    assert "notebooks/analytics" not in spec.environments["prod-cloud"].components


def test_schedule_binds_to_the_pipeline_version_of_its_environment(spec: Spec) -> None:
    view = spec.environments["prod-onprem"]
    schedule = view.components["schedules/fraud-nightly-training"]
    assert isinstance(schedule.spec, ScheduleSpec)
    pipeline, version = view.scheduled_pipeline(schedule)
    assert pipeline is not None and pipeline.ref == "pipelines/fraud-training" and version == "1.4.0"


def test_pinned_tuning_version_reaches_the_trial_image(spec: Spec) -> None:
    tuning = spec.environments["prod-onprem"].components["tuning/fraud-xgb-search"]
    assert isinstance(tuning.spec, TuningSpec) and tuning.version == "1.3.1"


def test_errors_in_overrides_point_at_the_environment_file(platform_copy: Path) -> None:
    env = platform_copy / "environments" / "prod-cloud.yaml"
    env.write_text(env.read_text().replace("replicas: {min: 4, max: 16}", "replicas: {min: 4, max: 2}"))
    with pytest.raises(SpecErrors) as caught:
        load(DirectorySource(platform_copy))
    [error] = caught.value.errors
    assert (error.path, error.line) == ("environments/prod-cloud.yaml", 22)
    assert error.message == "replicas.max (2) is below replicas.min (4)"


def test_every_error_of_a_run_is_reported_together(platform_copy: Path) -> None:
    for name in ("fraud-detector", "recsys-ranker"):
        path = platform_copy / "components" / "serving" / f"{name}.yaml"
        path.write_text(path.read_text().replace("  replicas:", "  replica:"))
    with pytest.raises(SpecErrors) as caught:
        load(DirectorySource(platform_copy))
    assert [e.path for e in caught.value.errors] == [
        "components/serving/fraud-detector.yaml", "components/serving/recsys-ranker.yaml"
    ]


def test_missing_platform_file(tmp_path: Path) -> None:
    with pytest.raises(SpecErrors) as caught:
        load(DirectorySource(tmp_path))
    assert str(caught.value) == "platform.yaml:1:1: file not found; check the path and that the file is committed"
