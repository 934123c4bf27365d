"""Peak memory and time of loading one commit: unrelated large files, and a YAML alias bomb.

Builds a Git repository of the bundled platform, then commits (a) 240 MiB of unrelated data
and (b) a 300 KB component repeating one long string through aliases. Each case is loaded in a
fresh interpreter (its own peak RSS is reported), once with this checkout's code and, with
``--before REF``, once with the code of ``REF`` extracted by ``git archive`` (the baseline).

Usage: python -m bench.source_bench [--mib 240] [--before REF]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT_BYTES = 4 * 1024**3
"""Address-space cap of each child: a baseline that runs away ends in MemoryError, not in swap."""

_CHILD = """
import json, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[3]), int(sys.argv[3])))
start = time.perf_counter()
outcome = "loaded"
try:
    from reconciler.errors import SpecErrors
    from reconciler.render import render_cluster
    from reconciler.source.git import GitRepository
    from reconciler.spec.load import load
    spec = load(GitRepository(__import__("pathlib").Path(sys.argv[1])).read(sys.argv[2]).source)
    for env in spec.environments:
        for cluster in spec.environments[env].placement:
            json.dumps([r.manifest for r in render_cluster(spec, env, cluster, "bench")])
except SpecErrors as exc:
    outcome = "refused: " + str(exc.errors[0])[:110]
except MemoryError:
    outcome = "MemoryError"
except Exception as exc:
    outcome = f"{type(exc).__name__}: {str(exc)[:100]}"
seconds = time.perf_counter() - start
# VmHWM is this process image's own peak; ru_maxrss may carry the forking parent's
peak = int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1]) / 1024
print(json.dumps({"outcome": outcome, "seconds": round(seconds, 3), "peak_mib": round(peak, 1)}))
"""


def git(path: Path, *args: str) -> str:
    """Run git in ``path``."""
    return subprocess.run(["git", "-C", str(path), *args], check=True, capture_output=True, text=True).stdout.strip()


def build(root: Path, mib: int) -> tuple[Path, dict[str, str]]:
    """The bundled platform committed, then one commit per case; the case -> commit map."""
    repo = root / "repo"
    repo.mkdir()
    for name in ("platform.yaml", "components", "environments", "kfp-pipelines"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, repo / name)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", "bench")
    git(repo, "config", "user.email", "bench@example.com")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "platform")
    cases = {"bundled platform": git(repo, "rev-parse", "HEAD")}
    (repo / "datasets").mkdir()
    for part in range(mib // 5):  # 5 MiB each: under the per-file limit, so a reader of every file reads them
        with open(repo / "datasets" / f"shard-{part:03}.bin", "wb") as handle:
            handle.truncate(5 * 1_048_576)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "data")
    cases[f"+ {mib} MiB unrelated files"] = git(repo, "rev-parse", "HEAD")
    git(repo, "rm", "-rq", "datasets")
    target = repo / "components" / "serving" / "fraud-detector.yaml"
    text = target.read_text()
    room = 300_000 - len(text) - 100_030
    names = [f"K{i}" for i in range(room // 19)]  # ", acme.io/K1234: *s" is about 19 bytes
    notes = '  annotations: {acme.io/long: &s "' + "x" * 100_000 + '", ' + ", ".join(f"acme.io/{n}: *s" for n in names)
    target.write_text(text.replace("metadata:\n", "metadata:\n" + notes + "}\n", 1))
    git(repo, "commit", "-qam", "bomb")
    cases["300 KB alias bomb"] = git(repo, "rev-parse", "HEAD")
    return repo, cases


def measure(code: Path, repo: Path, commit: str) -> dict[str, object]:
    """Load ``commit`` in a child whose ``reconciler`` comes from ``code``."""
    done = subprocess.run([sys.executable, "-c", _CHILD, str(repo), commit, str(LIMIT_BYTES)], capture_output=True,
                          text=True, cwd=code, env={"PYTHONPATH": str(code), "PATH": "/usr/bin:/bin"}, timeout=600)
    lines = done.stdout.strip().splitlines()
    if not lines:
        return {"outcome": f"crashed (exit {done.returncode}): {done.stderr.strip()[-200:]}", "seconds": None,
                "peak_mib": None}
    return dict(json.loads(lines[-1]))


def main() -> None:
    """Build the cases, measure each with this code (and the baseline's), print a table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--mib", type=int, default=240)
    parser.add_argument("--before", help="a Git ref of this repository to measure as the baseline")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        repo, cases = build(root, args.mib)
        codes = {"now": ROOT}
        if args.before:
            before = root / "before"
            before.mkdir()
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.before, "reconciler"], check=True,
                                     capture_output=True).stdout
            subprocess.run(["tar", "-x", "-C", str(before)], input=archive, check=True)
            codes = {f"before ({args.before})": before, "now": ROOT}
        print("| case | code | outcome | time | peak RSS |")
        print("|---|---|---|---:|---:|")
        for case, commit in cases.items():
            for label, code in codes.items():
                found = measure(code, repo, commit)
                print(f"| {case} | {label} | {found['outcome']} | {found['seconds']} s | {found['peak_mib']} MiB |",
                      flush=True)


if __name__ == "__main__":
    main()
