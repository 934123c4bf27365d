"""The Kubernetes Events of a finished reconcile and of a rejected revision (pure)."""

from __future__ import annotations

from reconciler.daemon.eventnotes import MAX_OBJECT_EVENTS, outcome_notes, rejected_notes
from reconciler.daemon.status import SourceState
from reconciler.daemon.worker import Job, Outcome
from reconciler.engine import ApplyOptions, Change, ChangeAction, Result, Target
from reconciler.fleet import Placement
from reconciler.objects import ObjectKey
from reconciler.spec.models import Cluster as ClusterSpec

SHA = "1234567890ab" + "c" * 28
ISVC = {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
        "metadata": {"name": "fraud", "namespace": "ml"}}
KEY = ObjectKey.of(ISVC)
OLD = ObjectKey("kubeflow.org", "Notebook", "ml", "old")


def outcome(changes: list[Change], reason: str = "revision") -> Outcome:
    target = Target("prod", "eu", "ml", SHA, [ISVC])
    placement = Placement(target, ClusterSpec.model_validate({"name": "eu", "directory": "eu"}), 0.3, 8)
    live = {OLD: {"apiVersion": "kubeflow.org/v1", "kind": "Notebook", "metadata": {"name": "old", "namespace": "ml", "uid": "u-1"}}}
    result = Result(target, changes=changes, live=live)
    return Outcome(Job(placement, reason, ApplyOptions()), result, 0.1, True, None, False, {}, 0, 0.0)


def test_each_write_is_an_event_named_like_flux_reasons() -> None:
    notes = outcome_notes(outcome([Change(KEY, ChangeAction.CREATED), Change(KEY, ChangeAction.UNCHANGED),
                                   Change(OLD, ChangeAction.PRUNED), Change(KEY, ChangeAction.FAILED, "denied")]))
    assert [(n.type, n.reason, n.api_version) for n in notes] == [
        ("Normal", "Created", "serving.kserve.io/v1beta1"), ("Normal", "Pruned", "kubeflow.org/v1"),
        ("Warning", "ApplyFailed", "serving.kserve.io/v1beta1")]
    assert notes[0].message == "InferenceService/ml/fraud created by platformctl at revision 1234567890ab"
    assert notes[1].uid == "u-1" and notes[2].message.endswith(": denied")
    assert all(n.revision == SHA for n in notes)


def test_a_drift_check_that_writes_corrects_drift() -> None:
    [note] = outcome_notes(outcome([Change(KEY, ChangeAction.CONFIGURED)], reason="drift"))
    assert (note.type, note.reason) == ("Normal", "DriftCorrected")


def test_a_large_first_apply_is_capped() -> None:
    many = [Change(ObjectKey("", "ConfigMap", "ml", f"c{i}"), ChangeAction.CREATED) for i in range(500)]
    assert len(outcome_notes(outcome(many))) == MAX_OBJECT_EVENTS


def test_a_rejected_revision_is_a_warning_on_each_targets_inventory() -> None:
    source = SourceState("repo", "main", good="a" * 40, rejected="b" * 40, stage="policy", errors=["no namespace"])
    [(placement, note)] = rejected_notes(source, [outcome([]).job.desired])
    assert placement.target.environment == "prod"
    assert (note.key, note.type, note.reason) == (ObjectKey("", "ConfigMap", "ml", "platformctl-inventory-prod"),
                                                  "Warning", "RevisionRejected")
    assert note.message == "revision bbbbbbbbbbbb rejected (policy); still running aaaaaaaaaaaa: no namespace"
