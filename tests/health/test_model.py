"""Status severity, worst-of, roll-ups and the unreachable-cluster health."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

import pytest

from reconciler.health import Health, Status, roll_up, unreachable, worst

ORDER = [Status.HEALTHY, Status.SUSPENDED, Status.PROGRESSING, Status.UNKNOWN, Status.MISSING, Status.DEGRADED]


def h(status: Status, message: str = "") -> Health:
    return Health(status, message or status.value.lower())


def test_severity_order_is_documented_one() -> None:
    assert sorted(Status, key=lambda s: s.severity) == ORDER
    assert len({s.severity for s in Status}) == len(Status)


@pytest.mark.parametrize(("better", "worse"), list(itertools.combinations(ORDER, 2)))
def test_worst_picks_the_more_severe_whatever_the_order(better: Status, worse: Status) -> None:
    assert worst([h(better), h(worse)]).status is worse
    assert worst([h(worse), h(better)]).status is worse


def test_worst_of_nothing_is_healthy() -> None:
    assert worst([]) == Health(Status.HEALTHY, "nothing to check")


def test_worst_of_one_is_that_one() -> None:
    one = Health(Status.PROGRESSING, "starting: ContainerCreating")
    assert worst([one]) is one


def test_worst_message_quotes_the_worst_and_counts_the_rest() -> None:
    got = worst([
        h(Status.HEALTHY),
        Health(Status.DEGRADED, "ImagePullBackOff"),
        h(Status.PROGRESSING),
        Health(Status.DEGRADED, "Failed=True: ExperimentFailed"),
        h(Status.HEALTHY),
    ])
    assert got.status is Status.DEGRADED
    assert got.message == (
        "2 of 5 Degraded: ImagePullBackOff; Failed=True: ExperimentFailed (others: 1 Progressing, 2 Healthy)"
    )


def test_worst_message_deduplicates_and_caps_quotes() -> None:
    got = worst([Health(Status.MISSING, m) for m in ["a", "a", "b", "c", "d", "e"]])
    assert got.message == "6 of 6 Missing: a; b; c; and 2 more"


def test_worst_of_all_healthy_says_so() -> None:
    assert worst([h(Status.HEALTHY)] * 3) == Health(Status.HEALTHY, "all 3 healthy")


def test_worst_is_associative_on_status() -> None:
    healths = [h(s) for s in ORDER] * 2
    for cut in range(len(healths) + 1):
        left, right = healths[:cut], healths[cut:]
        assert worst([worst(left), worst(right)]).status is worst(healths).status


def test_prefixed_keeps_the_status_and_names_the_object() -> None:
    got = Health(Status.DEGRADED, "Lost").prefixed("PersistentVolumeClaim/ml/data")
    assert got == Health(Status.DEGRADED, "PersistentVolumeClaim/ml/data: Lost")
    assert Health(Status.HEALTHY, "").prefixed("x") == Health(Status.HEALTHY, "x")


def test_health_is_frozen_and_prints_status_first() -> None:
    health = Health(Status.SUSPENDED, "stopped")
    with pytest.raises(AttributeError):
        health.status = Status.HEALTHY  # type: ignore[misc]
    assert str(health) == "Suspended: stopped"
    assert str(Status.MISSING) == "Missing" and Status("Degraded") is Status.DEGRADED


def test_roll_up_per_component_then_environment() -> None:
    components = roll_up({
        "serving/fraud": [h(Status.HEALTHY), Health(Status.PROGRESSING, "canary rolling out")],
        "notebooks/research": [Health(Status.SUSPENDED, "stopped")],
        "tuning/lr": [],
    })
    assert list(components) == ["serving/fraud", "notebooks/research", "tuning/lr"]
    assert components["serving/fraud"].status is Status.PROGRESSING
    assert components["notebooks/research"] == Health(Status.SUSPENDED, "stopped")
    assert components["tuning/lr"].status is Status.HEALTHY
    environment = worst(health.prefixed(name) for name, health in components.items())
    assert environment.status is Status.PROGRESSING
    assert "serving/fraud: " in environment.message


def test_roll_up_accepts_generators() -> None:
    got = roll_up({"a": (h(s) for s in [Status.HEALTHY, Status.MISSING])})
    assert got["a"].status is Status.MISSING


def test_unreachable_is_unknown_with_last_seen_in_utc() -> None:
    seen = datetime(2026, 3, 1, 12, 30, 5, 123456, tzinfo=timezone.utc)
    assert unreachable(seen) == Health(Status.UNKNOWN, "cluster unreachable; last seen 2026-03-01T12:30:05Z")


def test_unreachable_converts_other_zones_and_takes_naive_as_utc() -> None:
    cet = timezone(timedelta(hours=1))
    assert unreachable(datetime(2026, 3, 1, 13, 30, tzinfo=cet)).message.endswith("2026-03-01T12:30:00Z")
    assert unreachable(datetime(2026, 3, 1, 12, 30)).message.endswith("2026-03-01T12:30:00Z")


def test_unreachable_never_seen() -> None:
    assert unreachable(None) == Health(Status.UNKNOWN, "cluster unreachable; never seen")


def test_an_unreachable_cluster_outranks_healthy_and_progressing_but_not_failures() -> None:
    lost = unreachable(None)
    assert worst([h(Status.HEALTHY), lost, h(Status.PROGRESSING)]).status is Status.UNKNOWN
    assert worst([lost, h(Status.DEGRADED)]).status is Status.DEGRADED
