"""spec/edit.py: pinned versions change, every other byte stays (exact text before and after)."""

from __future__ import annotations

import pytest

from reconciler.spec.edit import EditError, set_versions

COMMENTED = """\
# Production serving.   (a comment the edit must keep)
apiVersion: platformctl.dev/v1alpha1
kind: Environment
metadata: {name: prod-cloud}
spec:
  clusters:
    - name: gke-eu
      kubeconfig: {context: gke-eu-prod}

  namespace: ml-serving
  versions:
    # fraud: promoted from staging on Mondays
    serving/fraud-detector: "7"    # keep in step with the canary below
    serving/recsys-ranker: '3.1.4'
    serving/churn-predictor: v11

  overrides:
    serving/fraud-detector:
      canary: {trafficPercent: 10}
      autoscaling: null
  policy: {gpuQuota: 16}
"""


def test_existing_pins_change_in_place_keeping_quotes_comments_and_blank_lines() -> None:
    after = set_versions(COMMENTED, {"serving/fraud-detector": "8", "serving/recsys-ranker": "3.2.0",
                                     "serving/churn-predictor": "v12"})
    assert after == COMMENTED.replace('fraud-detector: "7"', 'fraud-detector: "8"').replace(
        "'3.1.4'", "'3.2.0'").replace("churn-predictor: v11", "churn-predictor: v12")


def test_a_missing_pin_is_added_after_the_last_one_in_the_same_style() -> None:
    after = set_versions(COMMENTED, {"serving/new-model": "1.10"})
    assert after == COMMENTED.replace(
        "    serving/churn-predictor: v11\n",
        '    serving/churn-predictor: v11\n    serving/new-model: "1.10"\n')  # plain 1.10 would read as a number


def test_a_versions_map_is_created_after_components_or_namespace() -> None:
    text = "spec:\n  namespace: ml  # where it runs\n  # policy below\n  policy:\n    gpuQuota: 4\n"
    assert set_versions(text, {"serving/a": "7", "notebooks/b": "v1.2"}) == (
        "spec:\n  namespace: ml  # where it runs\n  versions:\n    serving/a: \"7\"\n    notebooks/b: v1.2\n"
        "  # policy below\n  policy:\n    gpuQuota: 4\n")
    text = "spec:\n    components: [\"serving/*\", 'x/]']\n    namespace: ml\n    policy:\n        gpuQuota: 4\n"
    assert set_versions(text, {"serving/a": "7"}) == (
        "spec:\n    components: [\"serving/*\", 'x/]']\n    versions:\n        serving/a: \"7\"\n"
        "    namespace: ml\n    policy:\n        gpuQuota: 4\n")


@pytest.mark.parametrize(("before", "updates", "after"), [
    ("spec:\n  namespace: x\n  versions: {serving/a: '7', serving/b: 8}\n", {"serving/b": "9", "serving/c": "true"},
     "spec:\n  namespace: x\n  versions: {serving/a: '7', serving/b: \"9\", serving/c: \"true\"}\n"),
    ("spec:\n  namespace: x\n  versions: {}  # none yet\n", {"serving/b": "v9"},
     "spec:\n  namespace: x\n  versions: {serving/b: v9}  # none yet\n"),
    ("spec:\r\n  namespace: x\r\n  versions:\r\n    serving/a: v1 # old\r\n", {"serving/a": "v2", "serving/z": "3"},
     "spec:\r\n  namespace: x\r\n  versions:\r\n    serving/a: v2 # old\r\n    serving/z: \"3\"\r\n"),
    ("spec:\n  namespace: x\n  versions:\n    serving/a: \"it's \\\"7\\\"\"", {"serving/a": 'say "8"'},
     "spec:\n  namespace: x\n  versions:\n    serving/a: \"say \\\"8\\\"\""),
    ("spec:\n  namespace: x\n  versions:\n    serving/a: v1", {"serving/z": "3"},
     "spec:\n  namespace: x\n  versions:\n    serving/a: v1\n    serving/z: \"3\"\n"),
])
def test_flow_maps_line_endings_escapes_and_a_missing_final_newline(before: str, updates: dict[str, str],
                                                                     after: str) -> None:
    assert set_versions(before, updates) == after


@pytest.mark.parametrize(("text", "message"), [
    ("spec: {namespace: x}\n", "no block-style 'spec:' mapping"),
    ("spec:\n  namespace: x\n  versions: [a]\n", "spec.versions is not a mapping"),
    ("spec:\n  versions:\n    a: [\n", "not readable YAML"),
    ("spec:\n  clusters:\n    - name: a\n", "no one-line 'namespace:'"),
])
def test_files_that_cannot_be_edited_exactly_are_refused(text: str, message: str) -> None:
    with pytest.raises(EditError, match=message):
        set_versions(text, {"serving/a": "1"})
