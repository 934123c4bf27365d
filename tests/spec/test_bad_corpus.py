"""Every broken file of tests/data/bad is refused with its own located message and nothing else.

Each corpus file is a copy of one bundled spec file with a single mistake; its trailing
comments name the file it replaces (``# target:``) and the exact errors (``# expect:``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.cli import main

CORPUS = sorted((Path(__file__).resolve().parents[1] / "data" / "bad").glob("*.yaml"))


def _trailer(path: Path) -> tuple[str, list[str]]:
    target, expected = "", []
    for line in path.read_bytes().decode("utf-8", "replace").splitlines():
        if line.startswith("# target: "):
            target = line.removeprefix("# target: ")
        elif line.startswith("# expect: "):
            expected.append(line.removeprefix("# expect: "))
    return target, expected


def test_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 40


@pytest.mark.parametrize("case", CORPUS, ids=[p.stem for p in CORPUS])
def test_broken_file_is_refused_with_its_own_message(
    case: Path, platform_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target, expected = _trailer(case)
    assert target and expected, f"{case.name} lacks its # target / # expect trailer"
    (platform_copy / target).write_bytes(case.read_bytes())

    code = main(["validate", str(platform_copy)])

    out, err = capsys.readouterr()
    assert code == 1
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == len(expected), err
    for line, want in zip(lines, sorted(expected), strict=True):
        assert line == want or line.startswith(want + "; "), f"got {line!r}, want {want!r}"
