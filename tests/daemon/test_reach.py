"""Reachability from every signal: the tracker, and a daemon showing a hung cluster Unknown at once."""

from __future__ import annotations

from collections.abc import Callable

from reconciler.daemon import ManualClock
from reconciler.daemon.reach import Reachability
from tests.daemon.conftest import WAIT, Harness, Repo, bump_fraud
from tests.engine.conftest import Fleet


def test_the_tracker_tells_only_flips_and_keeps_the_last_answer() -> None:
    clock = ManualClock()
    told: list[bool] = []
    reach = Reachability(clock, told.append)
    assert reach.reachable is None and reach.last_seen is None
    reach.answered()
    seen = reach.last_seen
    clock.advance(5)
    reach.answered()
    assert told == [True] and reach.last_seen is not None and seen is not None and reach.last_seen > seen
    reach.no_answer("ReadTimeoutError: read timed out")
    reach.no_answer("ProtocolError: connection reset")
    assert told == [True, False] and reach.reachable is False
    assert reach.error == "ProtocolError: connection reset" and reach.last_seen is not None
    reach.answered()
    assert told == [True, False, True] and reach.error is None


def _cluster_doc(h: Harness, name: str) -> dict[str, object]:
    [env] = h.daemon.status()["environments"]
    return next(c for c in env["clusters"] if c["name"] == name)


def test_a_hung_cluster_is_unknown_while_its_reconcile_still_hangs(
    repo: Repo, fleet: Fleet, make_daemon: Callable[..., Harness]
) -> None:
    h = make_daemon(repo, fleet.connect, answer_timeout=0.3)
    h.step()
    assert _cluster_doc(h, "gke-us")["reachable"] is True
    fleet.servers["gke-us"].faults.partition("hang")
    repo.commit("fraud-detector: 5", bump_fraud())
    h.daemon.trigger.fire("test")
    h.daemon.step()  # no wait: gke-us's worker is stuck in a request

    assert h.daemon.wait_until(lambda: h.daemon.target("prod-cloud", "gke-us").reachable is False, WAIT)
    hung = _cluster_doc(h, "gke-us")
    assert (hung["sync"], hung["health"]) == ("Unknown", "Unknown")
    assert 'platformctl_cluster_up{cluster="gke-us",environment="prod-cloud"} 0.0' in h.metrics.render()[0].decode()
    assert _cluster_doc(h, "gke-eu")["reachable"] is True

    fleet.servers["gke-us"].faults.heal()
    assert h.daemon.wait_until(lambda: h.daemon.target("prod-cloud", "gke-us").reachable is True, WAIT)
    assert h.daemon.wait_idle(WAIT)
    assert 'platformctl_cluster_up{cluster="gke-us",environment="prod-cloud"} 1.0' in h.metrics.render()[0].decode()
