"""platformctl_rollout_* series: set from the status document's entries, dropped when a rollout is no longer shown."""

from __future__ import annotations

from reconciler.observability.metrics import Metrics
from reconciler.observability.statuspage import status_html

DOC = {"component": "serving/fraud", "name": "fraud", "version": "8", "previous": "7", "phase": "Progressing",
       "step": 2, "steps": [25, 50, 100], "share": 50, "failures": 0, "reason": None,
       "analysis": [{"name": "error-rate", "ok": True, "value": 0.001, "message": None}],
       "nextStepInSeconds": 42.0, "history": []}
SERIES = 'cluster="eu",component="serving/fraud",environment="prod"'


def test_rollout_series_follow_the_rollouts_shown() -> None:
    metrics = Metrics()
    metrics.rollouts("prod", "eu", [DOC])
    text = metrics.render()[0].decode()
    for line in (f"platformctl_rollout_share_percent{{{SERIES}}} 50.0", f"platformctl_rollout_step{{{SERIES}}} 2.0",
                 f"platformctl_rollout_next_step_seconds{{{SERIES}}} 42.0",
                 f'platformctl_rollout_phase{{{SERIES},phase="Progressing"}} 1.0',
                 f'platformctl_rollout_phase{{{SERIES},phase="Failed"}} 0.0'):
        assert line in text, line
    metrics.forget("prod", "eu")
    assert "serving/fraud" not in metrics.render()[0].decode()


def test_the_status_page_shows_each_rollout() -> None:
    page = status_html({"environments": [{"name": "prod", "clusters": [
        {"name": "eu", "components": [], "rollouts": [{**DOC, "phase": "Failed", "reason": "error-rate 0.3 > 0.05"}]}]}]})
    assert "<h3>Rollouts</h3>" in page and "7 &rarr; 8" in page and "error-rate 0.3 &gt; 0.05" in page
    assert "2/3" in page and "50%" in page
