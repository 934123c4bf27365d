"""`platformctl diff` between commits of real Git repositories: what a pull request changes, costs and risks."""

from __future__ import annotations

import json
from pathlib import Path

import git
import pytest

from reconciler.cli import main
from tests.review.conftest import commit_all, edit

FROM = "2026-03-01T00:00:00Z"
Repo = tuple[Path, git.Repo]


def diff(path: Path, *args: str) -> list[str]:
    return ["diff", str(path), "--base", "HEAD~1", "--from", FROM, *args]


def test_gpus_past_the_prod_quota_fail_validate_and_the_diff_shows_the_delta(
        platform_repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    path, repo = platform_repo
    edit(path / "components/serving/recsys-ranker.yaml", "    gpu: 1\n", "    gpu: 3\n")
    commit_all(repo, "recsys on three GPUs")

    assert main(["validate", str(path)]) == 1
    assert ("environments/prod-cloud.yaml:27:5: environment 'prod-cloud' requests 18 GPUs, over its quota of 16 "
            "(serving/recsys-ranker 18); lower GPU counts or replicas, or raise policy.gpuQuota\n"
            in capsys.readouterr().err)

    assert main(diff(path)) == 1  # the head does not validate: an error, but the review is still shown
    out, err = capsys.readouterr()
    assert ("prod-cloud\n  cost: GPUs 6 -> 18 (quota 16, over quota); CPU 60.5 cores; memory 169Gi\n"
            "    serving/recsys-ranker: GPUs 6 -> 18\n") in out
    assert "  ! prod-cloud asks for 18 GPUs, over its quota of 16" in out
    assert "HEAD (" in out and "does not validate: 2 errors (listed on stderr)" in out
    assert "environments/prod-cloud.yaml:27:5: environment 'prod-cloud' requests 18 GPUs" in err

    assert main([*diff(path), "--output", "json", "--env", "prod-cloud"]) == 1
    data = json.loads(capsys.readouterr().out)
    [env] = data["environments"]
    assert env["cost"]["before"]["gpus"] == 6 and env["cost"]["after"]["gpus"] == 18
    assert env["cost"]["gpuQuotaAfter"] == 16 and env["cost"]["overQuota"] is True
    assert [o["key"] for c in env["clusters"] for o in c["objects"]] == [
        "InferenceService/ml-serving/recsys-ranker", "InferenceService/ml-serving/recsys-ranker"]


def test_a_schedule_change_shows_old_and_new_next_fire_times(platform_repo: Repo,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    path, repo = platform_repo
    edit(path / "components/schedules/fraud-nightly-training.yaml", 'cron: "0 2 * * *"', 'cron: "30 3 * * 1-5"')
    commit_all(repo, "train at 03:30 on weekdays")

    assert main([*diff(path), "--env", "prod-onprem"]) == 2
    out = capsys.readouterr().out
    assert (
        "  schedules (next runs):\n"
        "    fraud-nightly-training: cron '0 2 * * *' (UTC) -> cron '30 3 * * 1-5' (UTC)\n"
        "      before: 2026-03-01T02:00:00+00:00, 2026-03-02T02:00:00+00:00, 2026-03-03T02:00:00+00:00\n"
        "      after:  2026-03-02T03:30:00+00:00, 2026-03-03T03:30:00+00:00, 2026-03-04T03:30:00+00:00\n"
    ) in out
    assert "-      cron: 0 0 2 * * *\n      +      cron: 0 30 3 * * 1-5\n" in out


def test_a_canary_change_shows_the_traffic_move(platform_repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    path, repo = platform_repo
    edit(path / "environments/prod-cloud.yaml", "canary: {trafficPercent: 10}", "canary: {trafficPercent: 25}")
    edit(path / "environments/prod-cloud.yaml", 'serving/fraud-detector: "7"', 'serving/fraud-detector: "8"')
    edit(path / "environments/prod-cloud.yaml", 'serving/recsys-ranker: "3.1.4"', 'serving/recsys-ranker: "3.2.0"')
    commit_all(repo, "fraud 8 on a 25% canary, recsys 3.2.0")

    assert main([*diff(path), "--env", "prod-cloud"]) == 2
    out = capsys.readouterr().out
    assert ("  traffic:\n"
            "    serving/fraud-detector: version 7 -> 8, canary 10% -> 25%: 25% goes to 8, 75% stays on 7\n"
            "    serving/recsys-ranker: version 3.1.4 -> 3.2.0: 100% of traffic moves to 3.2.0 once it is ready "
            "(no canary)\n") in out
    assert "-    canaryTrafficPercent: 10\n      +    canaryTrafficPercent: 25\n" in out


def test_a_removal_shows_the_prunes_and_the_deletion_budget_verdict(platform_repo: Repo,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    path, repo = platform_repo
    (path / "components/serving/churn-predictor.yaml").unlink()
    edit(path / "environments/prod-cloud.yaml", '    serving/churn-predictor: "11"\n', "")
    commit_all(repo, "retire churn-predictor")

    assert main(diff(path)) == 2
    out = capsys.readouterr().out
    assert ("  cluster local: 0 added, 0 changed, 1 removed, 21 unchanged; prunes 1 of 22 owned objects (5%); "
            "within the deletion budget of 100%\n    - InferenceService/ml-dev/churn-predictor") in out
    refusal = ("prunes 1 of 4 owned objects (25%); refused: the plan deletes 1 of 4 owned objects (25%), over the "
               "environment's deletion budget of 20%; refusing without an override")
    assert f"  cluster gke-eu: 0 added, 0 changed, 1 removed, 3 unchanged; {refusal}" in out
    assert "    serving/churn-predictor: no longer runs here (held CPU 4.5, memory 9Gi)" in out
    assert "  ! prod-cloud/gke-us: apply --prune would be refused: the plan deletes 1 of 4" in out


def test_a_head_that_renders_nothing_is_flagged(platform_repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    path, repo = platform_repo
    env = path / "environments/prod-cloud.yaml"
    text = env.read_text()
    env.write_text(text[:text.index("  components:")] + "  components: []\n" + text[text.index("  policy:"):])
    commit_all(repo, "prod-cloud serves nothing")

    assert main([*diff(path), "--output", "markdown"]) == 2
    out = capsys.readouterr().out
    assert "> - prod-cloud/gke-eu: the head renders no component objects here (the base renders 3)" in out
    assert "| prod-cloud | +0 ~0 -6 | 6 → 0 / 16 | 60.5 → 0 | 169Gi → 0Gi | 6 ⛔ refused |" in out


def test_a_head_that_fails_to_load_is_an_error_never_a_deletion(platform_repo: Repo,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    path, repo = platform_repo
    edit(path / "components/serving/fraud-detector.yaml", "  replicas:\n", "  replicas: [\n")
    commit_all(repo, "broken YAML")

    for output in ("text", "json", "markdown"):
        assert main([*diff(path), "--output", output]) == 1
        out, err = capsys.readouterr()
        assert err.startswith("error: the head HEAD (")
        assert "components/serving/fraud-detector.yaml:16:8: invalid YAML: did not find expected ',' or ']'" in err
        assert "removed" not in out and "prune" not in out
    assert "does not load" in main_output(path, "markdown", capsys)


def main_output(path: Path, output: str, capsys: pytest.CaptureFixture[str]) -> str:
    main([*diff(path), "--output", output])
    return capsys.readouterr().out


def test_no_change_exits_0_and_the_work_tree_can_be_the_head(platform_repo: Repo,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    path, repo = platform_repo
    (path / "NOTES.md").write_text("not part of the platform\n")
    commit_all(repo, "notes")
    assert main(diff(path)) == 0
    assert capsys.readouterr().out.startswith("HEAD~1 (")

    edit(path / "environments/dev.yaml", "replicas: {min: 0, max: 1}", "replicas: {min: 1, max: 1}")
    assert main(["diff", str(path), "--base", "HEAD", "--from", FROM]) == 0  # HEAD is the default head
    capsys.readouterr()
    assert main(["diff", str(path), "--base", "HEAD", "--head", "WORKTREE", "--from", FROM, "-e", "dev"]) == 2
    out = capsys.readouterr().out
    assert out.startswith("HEAD (") and " -> work tree: 0 added, 1 changed, 0 removed\n" in out


def test_unknown_revisions_and_environments_are_errors(platform_repo: Repo,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    path, _repo = platform_repo
    assert main(["diff", str(path), "--base", "nope"]) == 1
    assert capsys.readouterr().err == "error: unknown revision 'nope'\n"
    assert main(["diff", str(path), "--base", "HEAD", "--env", "qa"]) == 64
    assert capsys.readouterr().err.startswith("error: unknown environment 'qa'; known: dev, staging")
    assert main(["diff", str(path), "--base", "HEAD", "--from", "yesterday"]) == 1
    assert "Invalid isoformat string" in capsys.readouterr().err


def test_a_change_that_needs_replacement_is_flagged_in_the_review(platform_repo: Repo,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    path, repo = platform_repo
    edit(path / "components/notebooks/research-gpu.yaml", "storageClass: fast-ssd", "storageClass: standard-hdd")
    commit_all(repo, "research-gpu on cheaper disks")

    assert main([*diff(path), "--env", "prod-onprem"]) == 2
    out = capsys.readouterr().out
    assert ("  ! prod-onprem/onprem-gpu: PersistentVolumeClaim/ml-prod/research-gpu-workspace needs replacement: "
            "spec.storageClassName fast-ssd -> standard-hdd: cannot change after creation (component "
            "notebooks/research-gpu, components/notebooks/research-gpu.yaml); replacing it deletes the claim and the "
            "data on its volume; apply refuses it unless run with --replace") in out


def test_a_budget_raised_in_the_change_it_guards_is_flagged_and_not_counted(
        platform_repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    path, repo = platform_repo
    env = path / "environments/prod-cloud.yaml"
    edit(env, 'components: ["serving/*"]', 'components: ["serving/fraud-detector"]')
    edit(env, '    serving/recsys-ranker: "3.1.4"\n    serving/churn-predictor: "11"\n', "")
    edit(env, "    serving/recsys-ranker:\n      replicas: {min: 2, max: 6}\n", "")
    edit(env, "maxPruneFraction: 0.2", "maxPruneFraction: 1.0")
    commit_all(repo, "serve only the fraud detector, and allow the prune")

    assert main(diff(path)) == 2
    out = capsys.readouterr().out
    warnings = out[out.index("warnings:"):]
    assert warnings.startswith("warnings:\n  ! prod-cloud: the deletion budget (maxPruneFraction) is raised from 20% "
                               "to 100%; it takes effect only once this revision has been applied")
    assert "refused: the plan deletes 2 of 4 owned objects (50%), over the environment's deletion budget of 20%" in out

    assert main([*diff(path), "--output", "markdown"]) == 2
    markdown = capsys.readouterr().out
    assert "> - prod-cloud: the deletion budget (maxPruneFraction) is raised from 20% to 100%" in markdown
    assert "⛔ refused" in markdown


def test_a_lowered_budget_is_flagged_and_counts_at_once(platform_repo: Repo,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    path, repo = platform_repo
    edit(path / "environments/staging.yaml", "maxPruneFraction: 0.5", "maxPruneFraction: 0.1")
    commit_all(repo, "staging: prune less at once")

    main(diff(path))
    assert "  ! staging: the deletion budget (maxPruneFraction) is lowered from 50% to 10% (at once)" in \
        capsys.readouterr().out
