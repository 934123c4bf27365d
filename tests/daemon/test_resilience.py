"""Daemon-level resilience: a commit that deletes most of what we own is refused, and nothing is deleted."""

from __future__ import annotations

from collections.abc import Callable

from tests.daemon.conftest import Harness, Repo, revision_on
from tests.engine.conftest import Fleet, writes


def test_a_commit_deleting_most_of_what_we_own_is_refused(
    repo: Repo, fleet: Fleet, make_daemon: Callable[..., Harness]
) -> None:
    h = make_daemon(repo, fleet.connect)
    h.step()
    good = repo.head()
    repo.commit("run only the fraud detector in prod-cloud", {
        "environments/prod-cloud.yaml": lambda t: t.replace('components: ["serving/*"]',
                                                            'components: ["serving/fraud-detector"]')
        .replace('    serving/recsys-ranker: "3.1.4"\n', "").replace('    serving/churn-predictor: "11"\n', "")
        .replace("    serving/recsys-ranker:\n      replicas: {min: 2, max: 6}\n", "")})
    fleet.reset_requests()

    h.daemon.trigger.fire("test")
    h.step()

    for server in fleet.servers.values():
        assert [w for w in writes(server) if w.verb == "delete"] == []
        assert server.get_object("serving.kserve.io", "inferenceservices", "recsys-ranker", "ml-serving") is not None
        assert revision_on(server) == good
    for cluster in ("gke-eu", "gke-us"):
        state = h.daemon.target("prod-cloud", cluster)
        assert state.error is not None and "deletion budget" in state.error
        assert state.applied == good
