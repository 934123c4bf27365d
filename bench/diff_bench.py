"""Time `platformctl diff` between two commits of a generated 1,000-component platform, and peak RSS.

Builds a Git repository of ``bench.generate`` (N components x 3 environments), commits it,
changes ten components (serving versions and scale, schedule crons, notebook sizes), commits
again, then reviews HEAD~1 -> HEAD in-process, as CI would, with a phase breakdown.

Usage: python -m bench.diff_bench [COMPONENTS] [REPEATS]   (default: 1000 3)
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import git

from bench.generate import generate
from reconciler.commands.diff import run_diff
from reconciler.review.build import build_review
from reconciler.review.loading import load_side
from reconciler.review.markdown import review_markdown
from reconciler.source.git import GitRepository

FROM = "2026-03-01T00:00:00+00:00"


def build_repository(root: Path, components: int) -> Path:
    """Generate the platform, commit it, change ten components, commit again."""
    path = generate(root / "platform", components)
    repo = git.Repo.init(path, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "bench").set_value("user", "email", "bench@example.com")
    repo.git.add(A=True)
    repo.index.commit("generated platform")
    changes = [("serving", i, 'version: "{i}"', 'version: "{i}.1"') for i in (1, 5, 9, 13)]
    changes += [("serving", i, "replicas: {{min: 1, max: 3}}", "replicas: {{min: 2, max: 6}}") for i in (17, 21)]
    changes += [("schedules", i, '{m} 2 * * *', '{m} 4 * * *') for i in (3, 7)]
    changes += [("notebooks", i, 'cpu: "2"', 'cpu: "4"') for i in (0, 4)]
    for kind, index, old, new in changes:
        file = path / "components" / kind / f"{index}.yaml"
        values = {"i": index, "m": index % 60}
        text = file.read_text()
        assert old.format(**values) in text, (file, old)
        file.write_text(text.replace(old.format(**values), new.format(**values)))
    repo.git.add(A=True)
    repo.index.commit("ten components change")
    return path


def phases(path: Path) -> dict[str, float]:
    """Seconds per step of one diff."""
    started = time.perf_counter()
    repo = GitRepository(path)
    base_rev, head_rev = repo.read("HEAD~1"), repo.read("HEAD")
    read = time.perf_counter()
    base = load_side("base", base_rev.source, check_objects=False)
    head = load_side("head", head_rev.source, check_objects=False)
    loaded = time.perf_counter()
    head = load_side("head", head_rev.source, check_objects=True)
    verified = time.perf_counter()
    review = build_review(base, head, datetime.fromisoformat(FROM))
    built = time.perf_counter()
    review_markdown(review)
    done = time.perf_counter()
    return {"git read x2": read - started, "load x2": loaded - read,
            "load+verify head": verified - loaded, "render x2 + compare": built - verified, "markdown": done - built}


def main(components: int, repeats: int) -> None:
    """Print the diff's wall time (best and median of ``repeats``), a phase breakdown and peak RSS."""
    with tempfile.TemporaryDirectory() as tmp:
        path = build_repository(Path(tmp), components)
        outcome = run_diff(path, "HEAD~1", "HEAD", [], "text", FROM)
        assert outcome.code == 2, outcome.stderr
        summary = outcome.stdout.splitlines()[0]
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            result = run_diff(path, "HEAD~1", "HEAD", [], "markdown", FROM)
            times.append(time.perf_counter() - start)
            assert result.code == 2
        steps = phases(path)
    times.sort()
    objects = summary.split(": ", 1)[1]
    print(f"platform: {components} components x 3 environments; change: {objects}")
    print(f"diff HEAD~1 -> HEAD (--output markdown): best {times[0]:.2f} s, median {times[len(times) // 2]:.2f} s "
          f"over {repeats} runs (in-process, imports excluded)")
    print("phases of one run: " + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in steps.items()))
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main(args[0] if args else 1000, args[1] if len(args) > 1 else 3)
