"""plan, apply and status from the command line, on the dev environment's local-directory cluster."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.cli import main
from tests.spec.conftest import copy_platform


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return copy_platform(tmp_path / "r")


def test_plan_apply_plan_status(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--env", "dev", str(repo), "--no-diff"]) == 2
    out = capsys.readouterr().out
    assert "  + create    InferenceService/ml-dev/fraud-detector" in out
    assert "22 to create, 0 to update, 0 to prune, 0 unchanged" in out

    assert main(["apply", "--env", "dev", str(repo)]) == 1  # not a terminal and no --yes
    assert "refusing to apply without --yes" in capsys.readouterr().err

    assert main(["apply", "--env", "dev", str(repo), "--yes"]) == 0
    assert "  22 created" in capsys.readouterr().out
    assert main(["plan", "--env", "dev", str(repo)]) == 0
    assert "0 to create, 0 to update, 0 to prune, 22 unchanged" in capsys.readouterr().out

    assert main(["status", "--env", "dev", str(repo), "-o", "json"]) == 0
    rows = {r["component"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["serving/fraud-detector"]["sync"] == "Synced"
    assert rows["namespace/ml-dev"]["health"] == "Healthy"


def test_plan_json_shows_updates_with_diffs(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["apply", "--env", "dev", str(repo), "--yes"]) == 0
    capsys.readouterr()
    env = repo / "environments" / "dev.yaml"
    env.write_text(env.read_text().replace("replicas: {min: 0, max: 1}", "replicas: {min: 0, max: 2}"))
    assert main(["plan", "--env", "dev", str(repo), "-o", "json"]) == 2
    [cluster] = json.loads(capsys.readouterr().out)
    [update] = [e for e in cluster["plan"] if e["action"] == "update"]
    assert update["object"] == "InferenceService/ml-dev/recsys-ranker"
    assert "-    maxReplicas: 1\n+    maxReplicas: 2" in update["diff"]


def test_an_unreachable_cluster_is_an_error_not_a_silent_success(repo: Path,
                                                                  capsys: pytest.CaptureFixture[str],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECONFIG", str(repo / "no-such-kubeconfig"))
    assert main(["plan", "--env", "prod-cloud", str(repo)]) == 1
    out = capsys.readouterr().out
    assert out.count("error: ClusterError: cannot load kubeconfig") == 2  # both clusters reported
    assert main(["status", "--env", "prod-cloud", str(repo)]) == 1
    assert "Unknown" in capsys.readouterr().out


def test_unknown_environment_is_a_usage_error(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["apply", "--env", "qa", str(repo), "--yes"]) == 64
    assert "unknown environment 'qa'" in capsys.readouterr().err


def test_status_rolls_health_up_per_cluster_and_environment(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["apply", "--env", "dev", str(repo), "--yes"]) == 0
    capsys.readouterr()
    assert main(["status", "--env", "dev", str(repo)]) == 0
    out = capsys.readouterr().out
    assert "cluster local: Progressing (2 Healthy, 13 Progressing)" in out
    assert out.rstrip().endswith("environment dev: Progressing (2 Healthy, 13 Progressing)")


def test_a_shrunk_workspace_is_refused_at_its_spec_line_until_replace_is_asked_for(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["apply", "--env", "dev", str(repo), "--yes"]) == 0
    capsys.readouterr()
    notebook = repo / "components" / "notebooks" / "analytics.yaml"
    notebook.write_text(notebook.read_text().replace("size: 20Gi", "size: 10Gi"))
    claim = repo / ".platformctl" / "clusters" / "dev" / "ml-dev" / "persistentvolumeclaims.core"
    claim = claim / "analytics-workspace.yaml"
    assert claim.is_file() and "storage: 20Gi" in claim.read_text()
    located = ("components/notebooks/analytics.yaml:15:5: PersistentVolumeClaim/ml-dev/analytics-workspace on cluster "
               "local needs replacement: spec.resources.requests.storage 20Gi -> 10Gi: cannot shrink")

    assert main(["plan", "--env", "dev", str(repo), "--no-diff"]) == 1
    captured = capsys.readouterr()
    assert "  -/+ replace   PersistentVolumeClaim/ml-dev/analytics-workspace  (needs replacement:" in captured.out
    assert "0 to create, 0 to update, 1 to replace, 0 to prune, 21 unchanged" in captured.out
    assert "error: 1 object(s) need replacement" in captured.out
    assert located in captured.err and "`platformctl apply --env dev --replace` (the claim's data is lost)" in captured.err

    assert main(["apply", "--env", "dev", str(repo), "--yes"]) == 1
    assert "PersistentVolumeClaim/ml-dev/analytics-workspace refused" in capsys.readouterr().out
    assert "storage: 20Gi" in claim.read_text()  # nothing was applied

    assert main(["apply", "--env", "dev", str(repo), "--yes", "--replace"]) == 0
    assert ("PersistentVolumeClaim/ml-dev/analytics-workspace replaced (deleted and created again to change "
            "spec.resources.requests.storage; the claim's previous data is gone)") in capsys.readouterr().out
    assert "storage: 10Gi" in claim.read_text()
    assert main(["plan", "--env", "dev", str(repo)]) == 0


def test_a_lost_inventory_holds_pruning_until_apply_adopt(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from reconciler.cluster.kinds import known_kind
    from reconciler.cluster.localdir.cluster import LocalDirCluster

    assert main(["apply", "--env", "dev", str(repo), "--yes"]) == 0
    cluster = LocalDirCluster("local", repo / ".platformctl" / "clusters" / "dev")
    (cluster.directory / ".platformctl" / "inventory-dev.json").unlink()
    env = repo / "environments" / "dev.yaml"
    selected = ('  components: ["notebooks/*", "pipelines/*", "schedules/*", "tuning/*", "serving/fraud-detector", '
                '"serving/recsys-ranker", "training/*", "teams/*"]\n')  # serving/churn-predictor leaves the environment
    env.write_text(env.read_text().replace("  namespace: ml-dev\n", "  namespace: ml-dev\n" + selected))
    isvc = known_kind("serving.kserve.io/v1beta1", "InferenceService")
    assert isvc is not None
    capsys.readouterr()

    assert main(["apply", "--env", "dev", str(repo), "--prune", "--yes"]) == 1
    out = capsys.readouterr().out
    assert "inventory of environment 'dev' is missing" in out and "platformctl apply --env dev --adopt" in out
    assert cluster.get(isvc, "ml-dev", "churn-predictor") is not None
    assert cluster.read_inventory("dev", "ml-dev") is None

    assert main(["apply", "--env", "dev", str(repo), "--prune", "--adopt", "--yes"]) == 0
    assert "InferenceService/ml-dev/churn-predictor pruned" in capsys.readouterr().out
    assert cluster.get(isvc, "ml-dev", "churn-predictor") is None
    assert main(["plan", "--env", "dev", str(repo)]) == 0
