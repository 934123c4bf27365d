"""Daemon-level resilience: a commit that deletes most of what we own is refused, and nothing is deleted."""

from __future__ import annotations

from collections.abc import Callable

from tests.daemon.conftest import Harness, Repo, assert_nothing_pruned, only_fraud, with_budget
from tests.engine.conftest import Fleet, writes


def test_a_commit_deleting_most_of_what_we_own_is_refused(
    repo: Repo, fleet: Fleet, make_daemon: Callable[..., Harness]
) -> None:
    h = make_daemon(repo, fleet.connect)
    h.step()
    good = repo.head()
    repo.commit("run only the fraud detector in prod-cloud", {"environments/prod-cloud.yaml": only_fraud})
    fleet.reset_requests()

    h.daemon.trigger.fire("test")
    h.step()

    assert_nothing_pruned(fleet.servers.values(), good)
    for cluster in ("gke-eu", "gke-us"):
        state = h.daemon.target("prod-cloud", cluster)
        assert state.error is not None and "deletion budget" in state.error
        assert state.applied == good


def test_a_commit_cannot_raise_the_budget_that_guards_it(
    repo: Repo, fleet: Fleet, make_daemon: Callable[..., Harness]
) -> None:
    h = make_daemon(repo, fleet.connect)
    h.step()
    good = repo.head()
    repo.commit("run only the fraud detector, and allow it", {
        "environments/prod-cloud.yaml": lambda t: with_budget("1.0")(only_fraud(t))})
    fleet.reset_requests()

    h.daemon.trigger.fire("test")
    h.step()

    assert_nothing_pruned(fleet.servers.values(), good)
    state = h.daemon.target("prod-cloud", "gke-eu")
    assert state.error is not None and "deletion budget of 20%" in state.error


def test_a_raised_budget_counts_once_a_revision_carrying_it_was_applied(
    repo: Repo, fleet: Fleet, make_daemon: Callable[..., Harness]
) -> None:
    h = make_daemon(repo, fleet.connect)
    h.step()
    raised = repo.commit("allow larger prunes", {"environments/prod-cloud.yaml": with_budget("1.0")})
    h.daemon.trigger.fire("test")
    h.step()
    assert h.daemon.target("prod-cloud", "gke-eu").applied == raised
    fleet.reset_requests()

    repo.commit("run only the fraud detector", {"environments/prod-cloud.yaml": only_fraud})
    h.daemon.trigger.fire("test")
    h.step()

    for server in fleet.servers.values():
        assert [w for w in writes(server) if w.verb == "delete"] != []
        assert server.get_object("serving.kserve.io", "inferenceservices", "recsys-ranker", "ml-serving") is None


def test_a_restarted_daemon_reads_the_budget_of_the_revision_the_inventory_records(
    repo: Repo, fleet: Fleet, make_daemon: Callable[..., Harness]
) -> None:
    first = make_daemon(repo, fleet.connect)
    first.step()
    first.daemon.shutdown()
    repo.commit("run only the fraud detector, and allow it", {
        "environments/prod-cloud.yaml": lambda t: with_budget("1.0")(only_fraud(t))})
    fleet.reset_requests()

    second = make_daemon(repo, fleet.connect)  # never loaded the applied revision: reads it from Git
    second.step()

    assert_nothing_pruned(fleet.servers.values())
    state = second.daemon.target("prod-cloud", "gke-eu")
    assert state.error is not None and "deletion budget of 20%" in state.error
