"""Rendering the bundled platform: golden files, determinism, conformance, located rejections."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.conformance import validate_object
from reconciler.labels import ANNOTATION_HASH, ANNOTATION_REVISION, LABEL_MANAGED_BY
from reconciler.render import render_environment
from reconciler.render.ownership import spec_hash
from reconciler.source.directory import DirectorySource
from reconciler.spec.document import Spec
from reconciler.spec.load import load
from tests.spec.conftest import REPO, copy_platform

ENVIRONMENTS = ["dev", "staging", "prod-onprem", "prod-cloud"]
GOLDEN = REPO / "tests" / "data" / "golden"


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load(DirectorySource(REPO))


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_render_matches_the_reviewed_golden_file(env: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", str(REPO), "--env", env, "--revision", "golden"]) == 0
    expected = (GOLDEN / f"{env}.yaml").read_text()
    assert capsys.readouterr().out == expected, f"render of {env} changed: review it, then run 'make golden'"


def test_render_is_byte_identical_across_processes_and_hash_seeds() -> None:
    outputs = set()
    for seed in ("0", "4242"):
        result = subprocess.run(
            [sys.executable, "-m", "reconciler.cli", "render", str(REPO), "--revision", "r1", "-o", "json"],
            capture_output=True, check=True, env={**os.environ, "PYTHONHASHSEED": seed},
        )
        outputs.add(result.stdout)
    assert len(outputs) == 1


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_rendered_object_passes_the_upstream_schemas(spec: Spec, env: str) -> None:
    for cluster, objects in render_environment(spec, env, "r1").items():
        for rendered in objects:
            assert validate_object(rendered.manifest) == [], (env, cluster, rendered.manifest["metadata"]["name"])


def test_every_object_carries_ownership_and_a_hash_of_its_content(spec: Spec) -> None:
    for objects in render_environment(spec, "staging", "abc123").values():
        for rendered in objects:
            metadata = rendered.manifest["metadata"]
            assert metadata["labels"][LABEL_MANAGED_BY] == "platformctl"
            assert metadata["labels"]["platformctl.dev/environment"] == "staging"
            assert metadata["annotations"][ANNOTATION_REVISION] == "abc123"
            assert metadata["annotations"][ANNOTATION_HASH] == spec_hash(rendered.manifest)


def test_the_hash_ignores_the_revision_but_not_the_content(spec: Spec) -> None:
    first = render_environment(spec, "dev", "rev-a")["local"]
    second = render_environment(spec, "dev", "rev-b")["local"]
    hashes = [[r.manifest["metadata"]["annotations"][ANNOTATION_HASH] for r in objs] for objs in (first, second)]
    assert hashes[0] == hashes[1]
    assert len(set(hashes[0])) == len(hashes[0])


def test_a_spec_the_cluster_would_reject_fails_validate_at_the_component_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = copy_platform(tmp_path / "r")
    path = repo / "components" / "serving" / "fraud-detector.yaml"
    path.write_text(path.read_text().replace("metric: concurrency", "metric: cpu"))  # KPA cannot scale on cpu
    assert main(["validate", str(repo)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines()[0].startswith(
        "components/serving/fraud-detector.yaml:18:5: rendered InferenceService fraud-detector would be rejected "
        "by the cluster: spec.predictor.scaleMetric: Invalid value: \"cpu\""
    )


def test_render_writes_one_file_per_object(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["render", str(REPO), "--env", "prod-cloud", "--revision", "x", "--out", str(out)]) == 0
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.yaml"))
    assert files[0] == "prod-cloud/gke-eu/01-0000-namespace-ml-serving.yaml"
    assert len(files) == 8 and sum(f.startswith("prod-cloud/gke-us/") for f in files) == 4


def test_render_filters_by_cluster(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", str(REPO), "--cluster", "gke-us", "--revision", "x"]) == 0
    out = capsys.readouterr().out
    assert out.count("# environment: prod-cloud, cluster: gke-us") == 4 and "gke-eu" not in out


@pytest.mark.parametrize(("argv", "says"), [
    (["--env", "qa"], "error: unknown environment 'qa'; known: dev, staging, prod-onprem, prod-cloud"),
    (["--env", "dev", "--cluster", "nowhere"], "error: environment 'dev' has no cluster 'nowhere'; its clusters: local"),
    (["--cluster", "nowhere"], "error: no environment has a cluster 'nowhere'"),
])
def test_render_refuses_unknown_names(argv: list[str], says: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", str(REPO), *argv]) == 64  # usage (2 is plan/diff's "changes")
    assert capsys.readouterr().err == says + "\n"


def _annotated(tmp_path: Path, annotations: str) -> Path:
    repo = copy_platform(tmp_path / "r")
    path = repo / "components" / "serving" / "fraud-detector.yaml"
    path.write_text(path.read_text().replace("  owner: risk-ml@acme.io\n",
                                             f"  owner: risk-ml@acme.io\n  annotations: {annotations}\n"))
    return repo


def test_a_components_annotations_reach_every_object_it_renders_and_change_its_hash(tmp_path: Path,
                                                                                  spec: Spec) -> None:
    repo = _annotated(tmp_path, '{sidecar.istio.io/inject: "false", serving.kserve.io/deploymentMode: Mine}')
    annotated = render_environment(load(DirectorySource(repo)), "prod-cloud", "r")["gke-eu"]
    plain = render_environment(spec, "prod-cloud", "r")["gke-eu"]
    [isvc] = [r.manifest for r in annotated if r.manifest["metadata"]["name"] == "fraud-detector"]
    [before] = [r.manifest for r in plain if r.manifest["metadata"]["name"] == "fraud-detector"]
    annotations = isvc["metadata"]["annotations"]
    assert annotations["sidecar.istio.io/inject"] == "false"
    # what the renderer sets from the spec wins over the component's own (like labels)
    assert annotations["serving.kserve.io/deploymentMode"] == before["metadata"]["annotations"][
        "serving.kserve.io/deploymentMode"]
    assert annotations[ANNOTATION_HASH] != before["metadata"]["annotations"][ANNOTATION_HASH]
    others = [r.manifest for r in annotated if r.manifest["metadata"]["name"] != "fraud-detector"]
    assert others and all("sidecar.istio.io/inject" not in m["metadata"].get("annotations", {}) for m in others)


@pytest.mark.parametrize(("annotations", "says"), [
    ("{platformctl.dev/prune: disabled}",
     "components/serving/fraud-detector.yaml:8:3: metadata.annotations: platformctl.dev/prune: keys "
     "under platformctl.dev/ are set by platformctl itself; use another prefix"),
    ('{"bad key": "x"}',
     "components/serving/fraud-detector.yaml:8:17: rendered InferenceService fraud-detector would be rejected by "
     "the cluster: metadata.annotations: Invalid value: \"bad key\""),
])
def test_a_bad_annotation_key_fails_validate_at_the_component_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], annotations: str, says: str
) -> None:
    repo = _annotated(tmp_path, annotations)
    assert main(["validate", str(repo)]) == 1
    err = capsys.readouterr().err
    assert err.splitlines()[0].startswith(says), err


def test_an_override_can_switch_a_notebooks_workspace_off_in_one_environment(tmp_path: Path, spec: Spec) -> None:
    repo = copy_platform(tmp_path / "r")
    env = repo / "environments" / "dev.yaml"
    text = env.read_text()
    assert '      resources: {cpu: "2", memory: 8Gi}\n' in text
    env.write_text(text.replace('      resources: {cpu: "2", memory: 8Gi}\n',
                                '      resources: {cpu: "2", memory: 8Gi}\n      workspace: {enabled: false}\n'))
    edited = load(DirectorySource(repo))
    [dev] = render_environment(edited, "dev", "r").values()
    names = {(r.manifest["kind"], r.manifest["metadata"]["name"]) for r in dev}
    assert ("Notebook", "research-gpu") in names and ("PersistentVolumeClaim", "research-gpu-workspace") not in names
    [notebook] = [r.manifest for r in dev if r.manifest["metadata"]["name"] == "research-gpu"]
    pod = notebook["spec"]["template"]["spec"]
    assert all(v["name"] != "workspace" for v in pod.get("volumes", []))
    [before] = render_environment(spec, "dev", "r").values()
    assert ("PersistentVolumeClaim", "research-gpu-workspace") in {
        (r.manifest["kind"], r.manifest["metadata"]["name"]) for r in before}
    # other environments keep it
    staging = [r for objs in render_environment(edited, "staging", "r").values() for r in objs]
    assert any(r.manifest["metadata"]["name"] == "research-gpu-workspace" for r in staging) == any(
        r.manifest["metadata"]["name"] == "research-gpu-workspace"
        for objs in render_environment(spec, "staging", "r").values() for r in objs)
