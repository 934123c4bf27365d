"""Dedupe and rate limit decisions (pure: the time is passed in)."""

from __future__ import annotations

from reconciler.notify.alert import Alert, AlertKind
from reconciler.notify.gate import Gate, Verdict

FAILED = Alert(AlertKind.SYNC_FAILED, "boom", "a" * 40, "prod", "eu")


def gate(window: float = 600.0, limit: int = 30, per: float = 60.0) -> Gate:
    return Gate(dedupe_window=window, limit=limit, window=per)


def test_an_identical_alert_within_the_window_is_sent_once_per_provider() -> None:
    g = gate()
    assert g.admit("hook", FAILED, 0.0) is Verdict.SEND
    assert g.admit("hook", FAILED, 599.0) is Verdict.DEDUPLICATED
    assert g.admit("slack", FAILED, 1.0) is Verdict.SEND
    assert g.admit("hook", FAILED, 600.0) is Verdict.SEND  # the window is over


def test_alerts_that_differ_in_message_revision_or_target_are_not_duplicates() -> None:
    g = gate()
    others = [Alert(AlertKind.SYNC_FAILED, "other", "a" * 40, "prod", "eu"),
              Alert(AlertKind.SYNC_FAILED, "boom", "b" * 40, "prod", "eu"),
              Alert(AlertKind.SYNC_FAILED, "boom", "a" * 40, "prod", "us"),
              Alert(AlertKind.DRIFT, "boom", "a" * 40, "prod", "eu")]
    assert [g.admit("hook", a, 0.0) for a in [FAILED, *others]] == [Verdict.SEND] * 5


def test_a_recovery_forgets_its_subject_so_the_next_failure_is_announced_again() -> None:
    g = gate()
    recovered = Alert(AlertKind.RECOVERED, "fine", "a" * 40, "prod", "eu")
    assert g.admit("hook", FAILED, 0.0) is Verdict.SEND
    assert g.admit("hook", recovered, 10.0) is Verdict.SEND
    assert g.admit("hook", FAILED, 20.0) is Verdict.SEND
    assert g.admit("hook", recovered, 30.0) is Verdict.SEND


def test_the_rate_limit_drops_what_exceeds_it_within_a_sliding_window() -> None:
    g = gate(limit=2, per=60.0)
    alerts = [Alert(AlertKind.SYNC_FAILED, f"error {i}", None, "prod", "eu") for i in range(4)]
    assert g.admit("hook", alerts[0], 0.0) is Verdict.SEND
    assert g.admit("hook", alerts[1], 30.0) is Verdict.SEND
    assert g.admit("hook", alerts[2], 59.0) is Verdict.RATE_LIMITED
    assert g.admit("other", alerts[2], 59.0) is Verdict.SEND  # per provider
    assert g.admit("hook", alerts[2], 60.0) is Verdict.SEND  # the first left the window
    assert g.admit("hook", alerts[3], 61.0) is Verdict.RATE_LIMITED
    # a rate-limited alert is not remembered as sent: it goes once there is room
    assert g.admit("hook", alerts[3], 91.0) is Verdict.SEND
