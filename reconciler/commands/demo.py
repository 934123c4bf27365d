"""The README demo: validate, render, reconcile local-directory environments, show their status."""

from __future__ import annotations

import json as jsonlib
from pathlib import Path
from typing import Any

from reconciler import report
from reconciler.changes import apply_text, results_data
from reconciler.commands.outcome import Outcome
from reconciler.commands.platform import checked, load_repo
from reconciler.commands.reconcile import run
from reconciler.commands.render import render_groups, write_files
from reconciler.commands.output import json_text
from reconciler.commands.status import status_json, status_table
from reconciler.component_status import status_rows
from reconciler.engine import ApplyOptions
from reconciler.errors import SpecErrors
from reconciler.policy.resolve import enforcement
from reconciler.source.revision import describe_revision


def run_demo(path: Path, *, json: bool = False) -> Outcome:
    """The demo's exit code and output (``json``: one document); the platform is loaded once."""
    try:
        spec = load_repo(path)
    except SpecErrors as exc:
        return Outcome(1, json_text({"valid": False}) if json else "", report.errors_text(exc.errors))
    out = [report.summary_text(report.summary(spec))]
    revision = describe_revision(path)
    groups = render_groups(spec, [], None, revision)
    target = path / ".platformctl" / "rendered"
    files = write_files(groups, target)
    out.append(f"\nrendered {len(files)} objects for {len(groups)} clusters into {target}/\n")
    code = 0
    data: dict[str, Any] = {"valid": True, "summary": report.summary(spec), "rendered": len(files),
                            "renderedInto": str(target), "environments": []}
    for env, view in spec.environments.items():
        if not all(c.directory is not None for c in view.model.spec.clusters):
            continue
        platform = checked(spec, enforcement(path.resolve()), (env,))
        results = run(platform, path.resolve(), env, revision, ApplyOptions(prune=True))
        out.append(f"\n$ platformctl apply --env {env} --prune --yes\n{apply_text(results)}")
        rows = status_rows(run(platform, path.resolve(), env, revision, ApplyOptions(apply=False)))
        out.append(f"\n$ platformctl status --env {env}\n{status_table(rows)}")
        code = code or (0 if all(r.ok for r in results) else 1)
        data["environments"].append({"name": env, "applied": results_data(results),
                                     "status": jsonlib.loads(status_json(rows))})
    return Outcome(code, json_text(data) if json else "".join(out))
