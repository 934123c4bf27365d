"""Reachability from every signal: the tracker, and a daemon showing a hung cluster Unknown at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from reconciler.daemon import ManualClock
from reconciler.daemon.reach import IdleProbe, Reachability
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
    reach.no_answer(reach.sending(), "ReadTimeoutError: read timed out")
    reach.no_answer(reach.sending(), "ProtocolError: connection reset")
    assert told == [True, False] and reach.reachable is False
    assert reach.error == "ProtocolError: connection reset" and reach.last_seen is not None
    reach.answered()
    assert told == [True, False, True] and reach.error is None


def test_an_attempt_waiting_past_the_deadline_makes_the_cluster_unreachable_until_answered() -> None:
    now = [0.0]
    told: list[bool] = []
    reach = Reachability(ManualClock(), told.append, monotonic=lambda: now[0])
    quick, slow = reach.sending(), reach.sending()
    reach.answered(quick)
    now[0] = 9.9
    reach.overdue(10)
    assert told == [True]
    now[0] = 10.0
    reach.overdue(10)
    assert told == [True, False] and reach.error == "no answer for 10.0s"
    reach.answered(slow)  # the slow write was answered after all
    assert told == [True, False, True]
    reach.cut_short(reach.sending())  # given up by the client itself: no verdict, no longer waiting
    now[0] = 100.0
    reach.overdue(10)
    assert told == [True, False, True]


def _cluster_doc(h: Harness, name: str) -> dict[str, object]:
    [env] = h.daemon.status()["environments"]
    return next(c for c in env["clusters"] if c["name"] == name)


def test_only_a_quiet_cluster_is_probed_and_one_probe_at_a_time() -> None:
    now = [0.0]
    reach = Reachability(ManualClock(), monotonic=lambda: now[0])
    release, calls = threading.Event(), []

    def probe() -> None:  # hangs like a probe of a hung cluster, until released
        calls.append(now[0])
        attempt = reach.sending()
        release.wait(WAIT)
        reach.answered(attempt)

    prober = IdleProbe(interval=10)
    now[0] = 9.0
    prober.tick([(reach, probe)])
    assert calls == []  # heard from 9 s ago (its creation): not quiet yet
    now[0] = 10.0
    prober.tick([(reach, probe), (Reachability(ManualClock(), monotonic=lambda: now[0]), None)])
    deadline = time.monotonic() + WAIT
    while not calls and time.monotonic() < deadline:
        time.sleep(0.01)
    assert calls == [10.0] and reach.quiet_for() == 0.0  # its attempt waits: the tracker will tell
    now[0] = 30.0
    prober.tick([(reach, probe)])
    assert calls == [10.0]  # still in flight: not probed twice
    release.set()
    while reach.reachable is not True and time.monotonic() < deadline:
        time.sleep(0.01)
    assert reach.reachable is True and reach.quiet_for() == 0.0  # answered at "30 s": quiet from now on
    now[0] = 35.0
    assert reach.quiet_for() == 5.0


@pytest.mark.parametrize("watch_cache", [True, False], ids=["watch-cache", "list"])
def test_a_hung_cluster_is_unknown_while_its_reconcile_still_hangs(
    repo: Repo, fleet: Fleet, make_daemon: Callable[..., Harness], watch_cache: bool
) -> None:
    # With the cache the reconcile planned from the watches hangs in a dry run, its apply begun: the
    # cluster shows Unknown all the same, not Applying.
    h = make_daemon(repo, fleet.connect, answer_timeout=0.3, watch_cache=watch_cache)
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


def test_a_write_hung_past_the_read_deadline_shows_before_its_own_timeout(
    repo: Repo, fleet: Fleet, make_daemon: Callable[..., Harness]
) -> None:
    h = make_daemon(repo, fleet.connect, answer_timeout=0.5)
    h.step()
    stuck = fleet.servers["gke-us"]
    stuck.faults.delay(3.0, verb="patch", times=1)  # the first write waits 3 s; writes time out at 30 s
    repo.commit("fraud-detector: 5", bump_fraud())
    h.daemon.trigger.fire("test")
    started = time.monotonic()
    h.daemon.step()

    assert h.daemon.wait_until(lambda: h.daemon.target("prod-cloud", "gke-us").reachable is False, WAIT)
    assert time.monotonic() - started < 2.5  # the overdue check, not the answer, told
    assert h.daemon.wait_idle(WAIT)
    state = h.daemon.target("prod-cloud", "gke-us")
    assert state.reachable is True and state.error is None  # it answered in the end: reachable again
