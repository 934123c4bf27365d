"""The notifier against a local HTTP receiver: delivery, retries with backoff, drops counted, never blocking."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Protocol

import pytest

from reconciler.notify.alert import Alert, AlertKind
from reconciler.notify.model import NotificationsSpec, Provider, Retry
from reconciler.notify.sender import Notifier
from reconciler.notify.settings import ProviderSettings, Settings
from reconciler.observability.metrics import Metrics
from tests.notify.receiver import Receiver

SHA = "0123456789abcdef0123456789abcdef01234567"


def alert(message: str = "boom", kind: AlertKind = AlertKind.SYNC_FAILED, env: str = "prod") -> Alert:
    return Alert(kind, message, SHA, env, "eu")


def hook(url: str, name: str = "hook", **extra: object) -> ProviderSettings:
    return ProviderSettings(Provider.model_validate({"name": name, "type": "webhook", "url": url, **extra}), url)


def count(metrics: Metrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


class Make(Protocol):
    def __call__(self, *providers: ProviderSettings, metrics: Metrics, **spec: object) -> Notifier: ...


@pytest.fixture
def make() -> Iterator[Make]:
    made: list[Notifier] = []

    def build(*providers: ProviderSettings, metrics: Metrics, **spec: object) -> Notifier:
        settings = Settings(NotificationsSpec.model_validate({"retry": Retry(attempts=3, base=1.0), **spec}),
                            providers)
        notifier = Notifier(settings, metrics=metrics, rand=lambda: 0.0)  # full jitter drawn at 0: no waiting
        notifier.start()
        made.append(notifier)
        return notifier

    yield build
    for notifier in made:
        notifier.stop(timeout=1.0)


def test_an_alert_reaches_the_receiver_and_is_counted(receiver: Receiver, make: Make) -> None:
    metrics = Metrics()
    notifier = make(hook(receiver.url + "/alerts"), metrics=metrics)
    notifier.notify(alert())
    got = receiver.wait_for(1)
    assert got[0].path == "/alerts" and got[0].json()["kind"] == "sync-failed"
    notifier.stop()
    assert count(metrics, "platformctl_notifications_total", provider="hook", result="sent") == 1


def test_server_errors_and_429_are_retried_until_it_answers(receiver: Receiver, make: Make) -> None:
    metrics = Metrics()
    receiver.answers = [503, (429, {"Retry-After": "0"})]
    notifier = make(hook(receiver.url), metrics=metrics)
    notifier.notify(alert())
    assert len(receiver.wait_for(3)) == 3
    notifier.stop()
    assert count(metrics, "platformctl_notifications_total", provider="hook", result="sent") == 1
    assert count(metrics, "platformctl_notifications_total", provider="hook", result="failed") == 0


def test_a_client_error_is_not_retried_and_counts_as_failed(receiver: Receiver, make: Make) -> None:
    metrics = Metrics()
    receiver.answers = [400, 400]
    notifier = make(hook(receiver.url), metrics=metrics)
    notifier.notify(alert())
    receiver.wait_for(1)
    notifier.stop()
    assert len(receiver.received) == 1
    assert count(metrics, "platformctl_notifications_total", provider="hook", result="failed") == 1


def test_a_dead_provider_fails_after_its_attempts_without_delaying_another(receiver: Receiver, make: Make) -> None:
    metrics = Metrics()
    notifier = make(hook("http://127.0.0.1:9/", "dead"), hook(receiver.url, "alive"),
                    metrics=metrics)
    notifier.notify(alert())
    assert len(receiver.wait_for(1)) == 1
    notifier.stop()
    assert count(metrics, "platformctl_notifications_total", provider="dead", result="failed") == 1
    assert count(metrics, "platformctl_notifications_total", provider="alive", result="sent") == 1


def test_duplicates_are_suppressed_and_a_full_queue_drops_without_blocking(receiver: Receiver, make: Make) -> None:
    metrics = Metrics()
    receiver.hold = threading.Event()  # the provider hangs: its thread is stuck on the first alert
    notifier = make(hook(receiver.url), metrics=metrics, queueSize=1)
    notifier.notify(alert("first"))
    receiver.wait_for(1)
    notifier.notify(alert("first"))  # a duplicate
    notifier.notify(alert("second"))  # queued
    notifier.notify(alert("third"))  # the queue is full: dropped, and notify returned at once
    assert count(metrics, "platformctl_notifications_dropped_total", provider="hook", reason="deduplicated") == 1
    assert count(metrics, "platformctl_notifications_dropped_total", provider="hook", reason="queue_full") == 1
    receiver.hold.set()
    assert [r.json()["message"] for r in receiver.wait_for(2)] == ["first", "second"]


def test_the_rate_limit_drops_and_counts(receiver: Receiver, make: Make) -> None:
    metrics = Metrics()
    notifier = make(hook(receiver.url), metrics=metrics, rateLimit=2, rateWindow=3600)
    for i in range(4):
        notifier.notify(alert(f"error {i}"))
    assert len(receiver.wait_for(2)) == 2
    notifier.stop()
    assert count(metrics, "platformctl_notifications_dropped_total", provider="hook", reason="rate_limited") == 2


def test_each_provider_gets_only_the_alerts_and_environments_it_asked_for(receiver: Receiver, make: Make) -> None:
    metrics = Metrics()
    notifier = make(hook(receiver.url + "/prod", "prod", environments=["prod*"]),
                    hook(receiver.url + "/recoveries", "rec", alerts=["recovered"]), metrics=metrics)
    notifier.notify(alert(env="dev"))
    notifier.notify(alert(env="prod-eu"))
    notifier.notify(alert("fine", AlertKind.RECOVERED, env="dev"))
    got = receiver.wait_for(2)
    notifier.stop()
    assert sorted((r.path, r.json()["kind"], r.json()["environment"]) for r in got) == [
        ("/prod", "sync-failed", "prod-eu"), ("/recoveries", "recovered", "dev")]


def test_alerts_still_queued_at_shutdown_are_counted_as_dropped(receiver: Receiver, make: Make) -> None:
    metrics = Metrics()
    receiver.hold = threading.Event()
    notifier = make(hook(receiver.url), metrics=metrics)
    notifier.notify(alert("in flight"))
    receiver.wait_for(1)
    notifier.notify(alert("queued"))
    notifier.stop(timeout=0.2)
    assert count(metrics, "platformctl_notifications_dropped_total", provider="hook", reason="shutdown") == 1
    receiver.hold.set()  # the request in flight ends, and its thread with it, inside this test (its log too)
    notifier.stop(timeout=5.0)
