"""Metrics: names, labels, deltas of cumulative snapshots, series replaced or removed."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from reconciler.health import Status
from reconciler.observability.metrics import HEALTH_STATUSES, Metrics

EXPECTED_FAMILIES = {
    "platformctl_reconcile_duration_seconds": ("histogram", {"environment", "cluster", "result"}),
    "platformctl_reconcile_last_success_timestamp_seconds": ("gauge", {"environment", "cluster"}),
    "platformctl_objects_applied": ("counter", {"environment", "cluster"}),
    "platformctl_objects_pruned": ("counter", {"environment", "cluster"}),
    "platformctl_objects_failed": ("counter", {"environment", "cluster"}),
    "platformctl_drift_detected": ("counter", {"environment", "cluster"}),
    "platformctl_drifted_objects": ("gauge", {"environment", "cluster"}),
    "platformctl_drift_watch_reports": ("counter", {"environment", "cluster"}),
    "platformctl_drift_watches": ("gauge", {"environment", "cluster"}),
    "platformctl_last_applied_revision_info": ("gauge", {"environment", "cluster", "revision"}),
    "platformctl_component_health": ("gauge", {"environment", "cluster", "component", "status"}),
    "platformctl_cluster_up": ("gauge", {"environment", "cluster"}),
    "platformctl_api_requests": ("counter", {"cluster", "verb"}),
    "platformctl_api_request_errors": ("counter", {"cluster", "code"}),
    "platformctl_api_request_retries": ("counter", {"cluster"}),
    "platformctl_client_throttled_seconds": ("counter", {"cluster"}),
    "platformctl_client_rate_limit_qps": ("gauge", {"cluster"}),
    "platformctl_git_fetch": ("counter", {"result"}),
    "platformctl_source_revision_info": ("gauge", {"revision", "ok"}),
    "platformctl_leader": ("gauge", set()),
}


@pytest.fixture
def m() -> Metrics:
    return Metrics(clock=lambda: 1_700_000_000.0)


def value(m: Metrics, name: str, **labels: str) -> float | None:
    return m.registry.get_sample_value(name, labels)


def exercise(m: Metrics) -> None:
    m.reconcile_finished("prod", "gke-eu", 1.5, ok=True, changes={"created": 2, "configured": 1, "pruned": 1})
    m.drift_detected("prod", "gke-eu", 3)
    m.drift_watch_report("prod", "gke-eu")
    m.drift_watches("prod", "gke-eu", 4)
    m.revision_applied("prod", "gke-eu", "a" * 40)
    m.component_health("prod", "gke-eu", "serving/fraud", "Healthy")
    m.cluster_reachable("prod", "gke-eu", True)
    m.api_requests("gke-eu", {"get": 4, "list": 2})
    m.api_error("gke-eu", 409)
    m.api_retries("gke-eu", 1)
    m.throttled("gke-eu", 0.5)
    m.rate_limit("gke-eu", 200.0)
    m.git_fetched(ok=True)
    m.source_loaded("a" * 40, ok=True)
    m.leader(True)


def test_every_family_has_its_name_type_and_labels(m: Metrics) -> None:
    exercise(m)
    text, content_type = m.render()
    assert content_type.startswith("text/plain; version=0.0.4")
    families = {f.name: f for f in text_string_to_metric_families(text.decode())}
    for name, (kind, labels) in EXPECTED_FAMILIES.items():
        assert name in families, name
        family = families[name]
        assert family.type == kind, name
        samples = [s for s in family.samples if not s.name.endswith("_created")]
        assert samples, name
        found = set().union(*(set(s.labels) - {"le"} for s in samples))
        assert found == labels, name
    assert all(name.startswith("platformctl_") for name in families)


def test_reconcile_counts_writes_prunes_and_failures(m: Metrics) -> None:
    m.reconcile_finished("prod", "gke-eu", 2.0, ok=True,
                         changes={"created": 2, "configured": 3, "unchanged": 9, "pruned": 1, "skipped": 4})
    m.reconcile_finished("prod", "gke-eu", 0.2, ok=False, changes={"failed": 2, "configured": 1})
    assert value(m, "platformctl_objects_applied_total", environment="prod", cluster="gke-eu") == 6
    assert value(m, "platformctl_objects_pruned_total", environment="prod", cluster="gke-eu") == 1
    assert value(m, "platformctl_objects_failed_total", environment="prod", cluster="gke-eu") == 2
    labels = {"environment": "prod", "cluster": "gke-eu"}
    assert value(m, "platformctl_reconcile_duration_seconds_count", **labels, result="success") == 1
    assert value(m, "platformctl_reconcile_duration_seconds_sum", **labels, result="success") == 2.0
    assert value(m, "platformctl_reconcile_duration_seconds_count", **labels, result="failure") == 1
    assert value(m, "platformctl_reconcile_last_success_timestamp_seconds", **labels) == 1_700_000_000.0


def test_a_failed_first_reconcile_sets_no_success_time(m: Metrics) -> None:
    m.reconcile_finished("prod", "gke-eu", 1.0, ok=False, changes={})
    labels = {"environment": "prod", "cluster": "gke-eu"}
    assert value(m, "platformctl_reconcile_last_success_timestamp_seconds", **labels) is None
    assert value(m, "platformctl_objects_applied_total", environment="prod", cluster="gke-eu") == 0


def test_api_requests_add_deltas_of_cumulative_snapshots(m: Metrics) -> None:
    m.api_requests("gke-eu", {"get": 5, "patch": 1})
    m.api_requests("gke-eu", {"get": 8, "patch": 1, "delete": 2})
    assert value(m, "platformctl_api_requests_total", cluster="gke-eu", verb="get") == 8
    assert value(m, "platformctl_api_requests_total", cluster="gke-eu", verb="patch") == 1
    assert value(m, "platformctl_api_requests_total", cluster="gke-eu", verb="delete") == 2
    m.api_requests("gke-eu", {"get": 3})  # a new client: the count restarted, all 3 are new
    assert value(m, "platformctl_api_requests_total", cluster="gke-eu", verb="get") == 11


def test_snapshots_are_kept_per_cluster_and_source(m: Metrics) -> None:
    m.api_requests("a", {"get": 5})
    m.api_requests("b", {"get": 2})
    m.api_requests("a", {"get": 4}, source="second-client")
    assert value(m, "platformctl_api_requests_total", cluster="a", verb="get") == 9
    assert value(m, "platformctl_api_requests_total", cluster="b", verb="get") == 2


def test_throttled_seconds_and_retries_are_cumulative(m: Metrics) -> None:
    m.throttled("gke-eu", 0.25)
    m.throttled("gke-eu", 1.0)
    m.throttled("gke-eu", 1.0)
    m.api_retries("gke-eu", 2)
    m.api_retries("gke-eu", 5)
    assert value(m, "platformctl_client_throttled_seconds_total", cluster="gke-eu") == 1.0
    assert value(m, "platformctl_api_request_retries_total", cluster="gke-eu") == 5


def test_rate_limit_gauge_shows_the_limit_in_force_and_its_lifting(m: Metrics) -> None:
    m.rate_limit("gke-eu", 200.0)
    assert value(m, "platformctl_client_rate_limit_qps", cluster="gke-eu") == 200.0
    m.rate_limit("gke-eu", 0.0)  # lifted: the server runs API Priority and Fairness
    assert value(m, "platformctl_client_rate_limit_qps", cluster="gke-eu") == 0.0


def test_api_errors_by_code(m: Metrics) -> None:
    for code in (409, 409, 0, 503):
        m.api_error("gke-eu", code)
    assert value(m, "platformctl_api_request_errors_total", cluster="gke-eu", code="409") == 2
    assert value(m, "platformctl_api_request_errors_total", cluster="gke-eu", code="0") == 1


def test_revision_info_replaces_the_previous_revision(m: Metrics) -> None:
    m.revision_applied("prod", "gke-eu", "old")
    m.revision_applied("prod", "gke-eu", "new")
    m.revision_applied("prod", "gke-us", "old")
    name = "platformctl_last_applied_revision_info"
    assert value(m, name, environment="prod", cluster="gke-eu", revision="new") == 1
    assert value(m, name, environment="prod", cluster="gke-eu", revision="old") is None
    assert value(m, name, environment="prod", cluster="gke-us", revision="old") == 1


def test_source_revision_info_keeps_only_the_last_load(m: Metrics) -> None:
    m.source_loaded("abc", ok=True)
    m.source_loaded("def", ok=False)
    assert value(m, "platformctl_source_revision_info", revision="def", ok="false") == 1
    assert value(m, "platformctl_source_revision_info", revision="abc", ok="true") is None


def test_component_health_is_one_for_the_current_status_only(m: Metrics) -> None:
    m.component_health("prod", "gke-eu", "serving/fraud", "Progressing")
    m.component_health("prod", "gke-eu", "serving/fraud", Status.DEGRADED)
    labels = {"environment": "prod", "cluster": "gke-eu", "component": "serving/fraud"}
    got = {s: value(m, "platformctl_component_health", **labels, status=s) for s in HEALTH_STATUSES}
    assert got == {s: (1.0 if s == "Degraded" else 0.0) for s in HEALTH_STATUSES}
    m.component_health("prod", "gke-eu", "serving/fraud", "no-such-status")
    assert value(m, "platformctl_component_health", **labels, status="Unknown") == 1


def test_forget_drops_a_component_or_a_whole_target(m: Metrics) -> None:
    exercise(m)
    m.component_health("prod", "gke-eu", "serving/other", "Healthy")
    m.forget("prod", "gke-eu", "serving/other")
    labels = {"environment": "prod", "cluster": "gke-eu"}
    assert value(m, "platformctl_component_health", **labels, component="serving/other", status="Healthy") is None
    assert value(m, "platformctl_component_health", **labels, component="serving/fraud", status="Healthy") == 1
    m.forget("prod", "gke-eu")
    text = m.render()[0].decode()
    assert 'environment="prod"' not in text
    assert 'cluster="gke-eu"' in text  # API client series are per cluster, not per target


def test_cluster_up_drift_and_leader(m: Metrics) -> None:
    assert value(m, "platformctl_leader") == 0
    m.leader(True)
    m.cluster_reachable("prod", "gke-eu", False)
    m.drift_detected("prod", "gke-eu", 2)
    m.drift_detected("prod", "gke-eu", 0)
    m.git_fetched(ok=False)
    assert value(m, "platformctl_leader") == 1
    assert value(m, "platformctl_cluster_up", environment="prod", cluster="gke-eu") == 0
    assert value(m, "platformctl_drift_detected_total", environment="prod", cluster="gke-eu") == 2
    assert value(m, "platformctl_drifted_objects", environment="prod", cluster="gke-eu") == 0
    assert value(m, "platformctl_git_fetch_total", result="failure") == 1


def test_two_instances_do_not_collide() -> None:
    first, second = Metrics(), Metrics()
    first.leader(True)
    assert second.registry.get_sample_value("platformctl_leader") == 0


def test_label_values_are_clipped() -> None:
    m = Metrics()
    m.revision_applied("prod", "gke-eu", "x" * 1000)
    assert value(m, "platformctl_last_applied_revision_info", environment="prod", cluster="gke-eu",
                 revision="x" * 128) == 1
