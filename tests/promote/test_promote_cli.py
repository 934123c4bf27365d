"""`platformctl promote` in real Git repositories: exact file text, branches, messages and refusals."""

from __future__ import annotations

from pathlib import Path

import git
import pytest
import yaml

from reconciler.cli import main
from tests.review.conftest import commit_all, edit, init_repo

PROD_CLOUD = """\
# yaml-language-server: $schema=../schemas/environment.schema.json
apiVersion: platformctl.dev/v1alpha1
kind: Environment
metadata:
  name: prod-cloud
  description: Production serving in two cloud regions.
spec:
  stage: prod
  clusters:
    - name: gke-eu
      kubeconfig: {context: gke-eu-prod}
    - name: gke-us
      kubeconfig: {context: gke-us-prod}
  namespace: ml-serving
  components: ["serving/*"]

  # Pinned versions: written by `platformctl promote`, reviewed like any change.
  versions:
    serving/fraud-detector: "7"     # the canary below watches this one
    serving/recsys-ranker: '3.1.4'
    serving/churn-predictor: "11"

  overrides:
    serving/fraud-detector:
      replicas: {min: 4, max: 16}
      canary: {trafficPercent: 10}
    serving/recsys-ranker:
      replicas: {min: 2, max: 6}
  policy:
    gpuQuota: 16
    allowedRegistries: [registry.acme.io/]
    maxPruneFraction: 0.2
"""
Repo = tuple[Path, git.Repo]


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """The bundled platform with a commented prod-cloud file and a two-model release, committed."""
    path = tmp_path / "repo"
    repo = init_repo(path)
    (path / "environments/prod-cloud.yaml").write_text(PROD_CLOUD)
    edit(path / "platform.yaml", "  releases:\n", "  releases:\n    models:\n      - serving/fraud-detector\n"
                                                "      - serving/recsys-ranker\n")
    commit_all(repo, "commented prod-cloud; models release")
    return path, repo


def promote(path: Path, *args: str) -> int:
    return main(["promote", "-C", str(path), *args])


def file_at(repo: git.Repo, ref: str, path: str) -> str:
    return str(repo.git.show(f"{ref}:{path}")) + "\n"


def test_promote_staging_to_prod_changes_exactly_the_version_line_on_a_new_branch(
        repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    path, git_repo = repo
    head = git_repo.head.commit.hexsha
    assert promote(path, "fraud-detector", "--from", "staging", "--to", "prod-cloud") == 0
    out = capsys.readouterr().out
    assert out.startswith("created branch promote/prod-cloud/fraud-detector at ")
    assert out.endswith("push it with: git push origin promote/prod-cloud/fraud-detector  (or rerun with --push)\n")

    expected = PROD_CLOUD.replace('fraud-detector: "7"     #', 'fraud-detector: "8"     #')
    assert file_at(git_repo, "promote/prod-cloud/fraud-detector", "environments/prod-cloud.yaml") == expected
    commit = git_repo.commit("promote/prod-cloud/fraud-detector")
    assert commit.message == ("promote fraud-detector 7 -> 8 to prod-cloud\n\n"
                              "Pinned from staging in environments/prod-cloud.yaml (spec.versions):\n\n"
                              "- serving/fraud-detector: 7 -> 8\n")
    assert [p.hexsha for p in commit.parents] == [head]
    assert list(commit.stats.files) == ["environments/prod-cloud.yaml"]
    # the checkout is untouched: same branch, same commit, same file, clean
    assert git_repo.active_branch.name == "main" and git_repo.head.commit.hexsha == head
    assert (path / "environments/prod-cloud.yaml").read_text() == PROD_CLOUD
    assert not git_repo.is_dirty(untracked_files=True)


def test_skipping_a_stage_is_refused_unless_asked(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    path, git_repo = repo
    assert promote(path, "fraud-detector", "--from", "dev", "--to", "prod-cloud") == 1
    assert capsys.readouterr().err == (
        "refused: promoting from 'dev' to 'prod-cloud' skips staging (dev -> staging -> prod-onprem+prod-cloud); "
        "promote through each stage, or pass --skip-stage\n")
    assert [h.name for h in git_repo.heads] == ["main"]

    assert promote(path, "serving/fraud-detector", "--from", "dev", "--to", "prod-cloud", "--skip-stage") == 0
    assert git_repo.commit("promote/prod-cloud/fraud-detector").summary == "promote fraud-detector 7 -> 8 to prod-cloud"


@pytest.mark.parametrize(("args", "reason"), [
    (["--from", "prod-onprem", "--to", "prod-cloud"], "'prod-onprem' and 'prod-cloud' are in the same stage"),
    (["--from", "prod-cloud", "--to", "staging"], "'staging' comes before 'prod-cloud' in the promotion order"),
    (["--from", "qa", "--to", "prod-cloud"], "environment 'qa' is not in the promotion order"),
])
def test_promotions_must_follow_the_order(repo: Repo, capsys: pytest.CaptureFixture[str], args: list[str],
                                          reason: str) -> None:
    assert promote(repo[0], "fraud-detector", *args) == 1
    assert capsys.readouterr().err.startswith(f"refused: {reason}")


def test_a_release_promotes_its_members_together_in_one_commit(repo: Repo,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    path, git_repo = repo
    assert promote(path, "--release", "models", "--from", "staging", "--to", "prod-cloud") == 0
    capsys.readouterr()
    expected = PROD_CLOUD.replace('fraud-detector: "7"     #', 'fraud-detector: "8"     #').replace(
        "recsys-ranker: '3.1.4'", "recsys-ranker: '3.2.0'")
    assert file_at(git_repo, "promote/prod-cloud/models", "environments/prod-cloud.yaml") == expected
    assert git_repo.commit("promote/prod-cloud/models").message == (
        "promote release models to prod-cloud\n\n"
        "Pinned from staging in environments/prod-cloud.yaml (spec.versions):\n\n"
        "- serving/fraud-detector: 7 -> 8\n"
        "- serving/recsys-ranker: 3.1.4 -> 3.2.0\n")


def test_release_members_the_target_does_not_run_are_left_alone_and_named(repo: Repo,
                                                                           capsys: pytest.CaptureFixture[str]) -> None:
    path, git_repo = repo
    assert promote(path, "--release", "fraud", "--from", "staging", "--to", "prod-onprem") == 0
    message = git_repo.commit("promote/prod-onprem/fraud").message
    assert message == (
        "promote release fraud to prod-onprem\n\n"
        "Pinned from staging in environments/prod-onprem.yaml (spec.versions):\n\n"
        "- tuning/fraud-xgb-search: 1.3.1 -> 1.4.0\n\n"
        "Left alone:\n\n"
        "- pipelines/fraud-training: prod-onprem already runs 1.4.0\n"
        "- schedules/fraud-nightly-training: Schedule components have no version to pin\n"
        "- serving/fraud-detector: prod-onprem does not run serving/fraud-detector (not selected by its "
        "spec.components)\n")
    assert "left alone: serving/fraud-detector" in capsys.readouterr().out


def test_an_unpinned_source_promotes_the_version_it_runs_and_adds_the_missing_pin(
        repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    path, git_repo = repo
    edit(path / "components/tuning/recsys-ranker-search.yaml", 'version: "3.2.0"', 'version: "3.3.0"')
    edit(path / "environments/prod-onprem.yaml", '    tuning/fraud-xgb-search: "1.3.1"\n',
         '    tuning/fraud-xgb-search: "1.3.1"\n    tuning/recsys-ranker-search: "3.2.0"\n')
    commit_all(git_repo, "recsys search 3.3.0, prod-onprem stays on 3.2.0")
    before = (path / "environments/prod-onprem.yaml").read_text()
    assert promote(path, "recsys-ranker-search", "--from", "staging", "--to", "prod-onprem") == 0
    assert file_at(git_repo, "promote/prod-onprem/recsys-ranker-search", "environments/prod-onprem.yaml") == \
        before.replace('recsys-ranker-search: "3.2.0"', 'recsys-ranker-search: "3.3.0"')
    assert git_repo.commit("promote/prod-onprem/recsys-ranker-search").message.endswith(
        "- tuning/recsys-ranker-search: 3.2.0 -> 3.3.0 (staging pins nothing: the version it runs from "
        "components/tuning/recsys-ranker-search.yaml)\n")
    capsys.readouterr()

    # a target that pins nothing gets a new line in its versions map
    edit(path / "environments/staging.yaml", '    tuning/fraud-xgb-search: "1.4.0"\n',
         '    tuning/fraud-xgb-search: "1.4.0"\n    notebooks/analytics: v1.11.0\n')
    commit_all(git_repo, "staging tries analytics v1.11.0")
    before = (path / "environments/prod-onprem.yaml").read_text()
    edit(path / "environments/prod-onprem.yaml", "    notebooks/analytics: v1.9.2\n", "")
    commit_all(git_repo, "prod-onprem follows the component file for analytics")
    assert promote(path, "analytics", "--from", "staging", "--to", "prod-onprem") == 0
    assert file_at(git_repo, "promote/prod-onprem/analytics", "environments/prod-onprem.yaml") == before.replace(
        "    notebooks/analytics: v1.9.2\n", "").replace('    tuning/recsys-ranker-search: "3.2.0"\n',
                                                         '    tuning/recsys-ranker-search: "3.2.0"\n'
                                                         '    notebooks/analytics: "v1.11.0"\n')  # quoted like the line above
    assert "- notebooks/analytics: v1.10.0 (not pinned: the component's own version) -> v1.11.0\n" in \
        git_repo.commit("promote/prod-onprem/analytics").message


def test_a_dirty_tree_is_refused(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    path, git_repo = repo
    edit(path / "environments/prod-cloud.yaml", "gpuQuota: 16", "gpuQuota: 20")
    assert promote(path, "fraud-detector", "--from", "staging", "--to", "prod-cloud") == 1
    assert capsys.readouterr().err.startswith("refused: the working tree has uncommitted changes to tracked files")
    assert [h.name for h in git_repo.heads] == ["main"]


def test_nothing_to_change_is_refused(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    assert promote(repo[0], "fraud-detector", "--from", "dev", "--to", "staging") == 1
    assert capsys.readouterr().err == "refused: nothing would change in staging (serving/fraud-detector: staging " \
                                      "already runs 8)\n"


def test_rollback_pins_an_explicit_version_with_an_honest_message(repo: Repo,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    path, git_repo = repo
    assert promote(path, "fraud-detector", "--to", "prod-cloud", "--version", "6") == 0
    assert "roll back fraud-detector 7 -> 6 in prod-cloud" in capsys.readouterr().out
    commit = git_repo.commit("promote/prod-cloud/fraud-detector")
    assert commit.message == ("roll back fraud-detector 7 -> 6 in prod-cloud\n\n"
                              "Pinned in environments/prod-cloud.yaml (spec.versions):\n\n"
                              "- serving/fraud-detector: 7 -> 6\n")
    assert promote(path, "fraud-detector", "--to", "prod-cloud", "--version", "9", "--branch", "pin-9") == 0
    assert git_repo.commit("pin-9").summary == "pin fraud-detector 7 -> 9 in prod-cloud"
    assert promote(path, "fraud-detector", "--to", "prod-cloud", "--version", "6") == 1
    assert "branch 'promote/prod-cloud/fraud-detector' already exists" in capsys.readouterr().err


def test_a_result_that_does_not_validate_is_refused_with_its_location(repo: Repo,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    path, git_repo = repo
    assert promote(path, "fraud-training", "--to", "prod-onprem", "--version", "0.9.0") == 1
    err = capsys.readouterr().err
    assert err.startswith("refused: the result would not validate:\nenvironments/prod-onprem.yaml:")
    assert "0.9.0" in err
    assert [h.name for h in git_repo.heads] == ["main"]


def test_dry_run_prints_the_change_and_commits_nothing(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    path, git_repo = repo
    assert promote(path, "fraud-detector", "--from", "staging", "--to", "prod-cloud", "--dry-run") == 0
    out = capsys.readouterr().out
    assert out.startswith("dry run: would commit on branch promote/prod-cloud/fraud-detector:\n\n"
                          "    promote fraud-detector 7 -> 8 to prod-cloud\n")
    assert ('--- a/environments/prod-cloud.yaml\n+++ b/environments/prod-cloud.yaml\n@@ -16,7 +16,7 @@\n'
            ' \n   # Pinned versions: written by `platformctl promote`, reviewed like any change.\n   versions:\n'
            '-    serving/fraud-detector: "7"     # the canary below watches this one\n'
            '+    serving/fraud-detector: "8"     # the canary below watches this one\n') in out
    assert [h.name for h in git_repo.heads] == ["main"] and len(list(git_repo.iter_commits())) == 2


def test_push_sends_the_branch_to_origin(repo: Repo, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, git_repo = repo
    remote = git.Repo.init(tmp_path / "origin.git", bare=True)
    git_repo.create_remote("origin", str(tmp_path / "origin.git"))
    assert promote(path, "fraud-detector", "--from", "staging", "--to", "prod-cloud", "--push") == 0
    assert capsys.readouterr().out.endswith("pushed promote/prod-cloud/fraud-detector to origin\n")
    assert remote.commit("promote/prod-cloud/fraud-detector").summary == "promote fraud-detector 7 -> 8 to prod-cloud"


@pytest.mark.parametrize(("args", "message"), [
    (["fraud-detector", "--to", "prod-cloud"], "say where the versions come from with --from ENV"),
    (["fraud-detector", "--to", "prod-cloud", "--from", "staging", "--version", "6"], "--version pins one component"),
    (["--to", "prod-cloud", "--from", "staging"], "name the components to promote, or one --release"),
    (["fraud-detector", "--release", "fraud", "--to", "prod-cloud", "--from", "staging"], "name the components"),
])
def test_arguments_that_make_no_sense_are_usage_errors(repo: Repo, capsys: pytest.CaptureFixture[str],
                                                       args: list[str], message: str) -> None:
    assert promote(repo[0], *args) == 64
    assert capsys.readouterr().err.startswith(f"error: {message}")


def test_unknown_names_are_refused(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    assert promote(repo[0], "nope", "--from", "staging", "--to", "prod-cloud") == 1
    assert capsys.readouterr().err.startswith("refused: no component named 'nope'; components: notebooks/analytics")
    assert promote(repo[0], "--release", "nope", "--from", "staging", "--to", "prod-cloud") == 1
    assert capsys.readouterr().err == ("refused: no release named 'nope' in platform.yaml spec.releases "
                                       "(known: fraud, models, recommender)\n")


STAGING_CLUSTERS = """\
  clusters:
    - name: onprem-staging
      directory: .platformctl/clusters/onprem-staging
      components: ["notebooks/*", "pipelines/*", "schedules/*", "tuning/*", "training/*", "teams/*"]
    - name: gke-staging
      directory: .platformctl/clusters/gke-staging
      components: ["serving/*"]
"""


def test_require_healthy_reads_the_source_clusters(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    path, git_repo = repo
    staging = path / "environments/staging.yaml"
    text = staging.read_text()
    staging.write_text(text[:text.index("  clusters:")] + STAGING_CLUSTERS + text[text.index("  namespace:"):])
    commit_all(git_repo, "staging on local-directory clusters")
    assert main(["apply", "--env", "staging", str(path), "--yes"]) == 0
    capsys.readouterr()

    args = ["fraud-detector", "--from", "staging", "--to", "prod-cloud", "--require-healthy", "--dry-run"]
    assert promote(path, *args) == 1  # applied, but no controller has reported on it yet
    assert capsys.readouterr().err.startswith(
        "refused: not healthy in staging: serving/fraud-detector is Progressing on staging/gke-staging: ")

    live = path / ".platformctl/clusters/gke-staging/ml-staging/inferenceservices.serving.kserve.io/fraud-detector.yaml"
    service = yaml.safe_load(live.read_text())
    service["status"] = {"observedGeneration": service["metadata"].get("generation", 1),
                         "url": "http://fraud-detector.ml-staging.example.com",
                         "conditions": [{"type": "Ready", "status": "True"}]}
    live.write_text(yaml.safe_dump(service))
    assert promote(path, *args) == 0
    assert capsys.readouterr().out.startswith("dry run: would commit on branch promote/prod-cloud/fraud-detector")

    assert promote(path, "recsys-ranker", *args[1:]) == 1
    assert "serving/recsys-ranker is Progressing on staging/gke-staging" in capsys.readouterr().err


def test_a_stage_name_promotes_every_environment_of_the_stage_in_one_commit(
        repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    path, git_repo = repo
    head = git_repo.head.commit.hexsha
    assert promote(path, "--release", "fraud", "--from", "staging", "--to", "prod") == 0
    out = capsys.readouterr().out
    assert out.startswith("created branch promote/prod/fraud at ")
    commit = git_repo.commit("promote/prod/fraud")
    assert [p.hexsha for p in commit.parents] == [head]
    assert sorted(commit.stats.files) == ["environments/prod-cloud.yaml", "environments/prod-onprem.yaml"]
    assert commit.message.startswith("promote release fraud to prod-onprem, prod-cloud\n\n"
                                     "Pinned from staging in environments/prod-onprem.yaml (spec.versions):\n\n"
                                     "- tuning/fraud-xgb-search: 1.3.1 -> 1.4.0\n")
    assert ("Pinned from staging in environments/prod-cloud.yaml (spec.versions):\n\n"
            "- serving/fraud-detector: 7 -> 8\n") in commit.message
    assert 'fraud-detector: "8"' in file_at(git_repo, "promote/prod/fraud", "environments/prod-cloud.yaml")
    assert 'fraud-xgb-search: "1.4.0"' in file_at(git_repo, "promote/prod/fraud", "environments/prod-onprem.yaml")


def test_several_to_options_all_count_none_silently_wins(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    path, git_repo = repo
    assert promote(path, "--release", "fraud", "--from", "staging", "--to", "prod-onprem", "--to", "prod-cloud") == 0
    capsys.readouterr()
    commit = git_repo.commit("promote/prod-onprem+prod-cloud/fraud")
    assert sorted(commit.stats.files) == ["environments/prod-cloud.yaml", "environments/prod-onprem.yaml"]
    # an environment of the list that breaks the promotion order refuses the whole change
    assert promote(path, "fraud-detector", "--from", "dev", "--to", "staging", "--to", "prod-cloud") == 1
    assert "skips staging" in capsys.readouterr().err


def test_a_target_where_nothing_changes_is_named_and_the_others_promoted(
        repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    path, git_repo = repo
    assert promote(path, "fraud-detector", "--from", "staging", "--to", "prod") == 0
    assert ("unchanged: prod-onprem: prod-onprem does not run serving/fraud-detector (not selected by its "
            "spec.components)\n") in capsys.readouterr().out
    commit = git_repo.commit("promote/prod/fraud-detector")
    assert list(commit.stats.files) == ["environments/prod-cloud.yaml"]
    assert commit.message.endswith("Unchanged:\n\n- prod-onprem: prod-onprem does not run serving/fraud-detector "
                                   "(not selected by its spec.components)\n")


def test_promote_prints_json_for_machines(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    path, _ = repo
    assert promote(path, "--release", "fraud", "--from", "staging", "--to", "prod", "--dry-run", "-o", "json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["promoted"] is False and data["dryRun"] is True and data["branch"] == "promote/prod/fraud"
    assert data["environments"] == ["prod-onprem", "prod-cloud"]
    assert {"environment": "prod-cloud", "component": "serving/fraud-detector", "from": "7", "to": "8"} in data["moves"]
    assert data["diff"].count("+++ b/environments/") == 2
    assert promote(path, "fraud-detector", "--from", "dev", "--to", "prod-cloud", "-o", "json") == 1
    refused = json.loads(capsys.readouterr().out)
    assert refused["promoted"] is False and "skips staging" in refused["refused"]
    assert promote(path, "--from", "staging", "--to", "prod", "-o", "json") == 64
    assert "name the components" in json.loads(capsys.readouterr().out)["error"]
