"""Which alerts a target's state change produces (pure)."""

from __future__ import annotations

from reconciler.daemon.alerts import TargetView, outcome_alerts, rejected_alert, source_recovered
from reconciler.daemon.status import SourceState
from reconciler.notify.alert import AlertKind

SHA = "f" * 40
NEW = TargetView()
HEALTHY = TargetView(True, True, {"serving/fraud": ("Healthy", ""), "serving/churn": ("Progressing", "rolling")})
FAILED = TargetView(True, False, {"serving/fraud": ("Missing", "not created")})
DEGRADED = TargetView(True, True, {"serving/fraud": ("Degraded", "predictor crashloop"),
                                   "serving/churn": ("Healthy", "")})


def kinds(before: TargetView, after: TargetView, **extra: object) -> list[tuple[str, str]]:
    alerts = outcome_alerts(before, after, environment="prod", cluster="eu", revision=SHA, **extra)  # type: ignore[arg-type]
    return [(a.kind.value, a.component) for a in alerts]


def test_a_failed_reconcile_is_announced_with_its_error_and_problems_not_its_missing_rows() -> None:
    [alert] = outcome_alerts(HEALTHY, FAILED, environment="prod", cluster="eu", revision=SHA, error="dry run refused",
                             problems=["InferenceService/ml/fraud: denied"])
    assert alert.kind is AlertKind.SYNC_FAILED and alert.subject == "prod/eu" and alert.revision == SHA
    assert "dry run refused" in alert.message and alert.details == ("InferenceService/ml/fraud: denied",)


def test_a_component_turning_degraded_or_missing_is_announced_once() -> None:
    assert kinds(HEALTHY, DEGRADED) == [("degraded", "serving/fraud")]
    assert kinds(DEGRADED, DEGRADED) == []  # still degraded: nothing new
    missing = TargetView(True, True, {"serving/fraud": ("Missing", "deleted by hand")})
    assert kinds(DEGRADED, missing) == [("degraded", "serving/fraud")]
    assert kinds(NEW, DEGRADED) == [("degraded", "serving/fraud")]  # a first reconcile counts too


def test_drift_found_is_announced() -> None:
    assert kinds(HEALTHY, HEALTHY, drifted=2) == [("drift", "")]
    assert kinds(HEALTHY, HEALTHY, drifted=0) == []


def test_recovery_from_a_failure_or_a_degraded_component() -> None:
    assert kinds(FAILED, HEALTHY) == [("recovered", "")]
    assert kinds(DEGRADED, HEALTHY) == [("recovered", "")]
    assert kinds(HEALTHY, HEALTHY) == []
    assert kinds(NEW, HEALTHY) == []  # nothing to recover from


def test_the_source_rejected_then_loaded_again() -> None:
    source = SourceState("repo", "main", good="a" * 40, rejected="b" * 40, stage="spec",
                         errors=["environments/prod.yaml:3:1: unknown key"])
    alert = rejected_alert(source)
    assert (alert.kind, alert.revision, alert.subject) == (AlertKind.REVISION_REJECTED, "b" * 40, "source")
    assert "still running aaaaaaaaaaaa" in alert.message and alert.details == ("environments/prod.yaml:3:1: unknown key",)
    source.good = "c" * 40
    assert (source_recovered(source).kind, source_recovered(source).revision) == (AlertKind.RECOVERED, "c" * 40)
