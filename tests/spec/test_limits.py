"""Hostile input is refused quickly with a located error, without exhausting memory."""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.cli import main

TARGET = "components/serving/fraud-detector.yaml"


def billion_laughs() -> bytes:
    """The classic exponential alias bomb (9 levels of 9 aliases: 9**9 nodes if expanded)."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return ("\n".join(lines) + "\n").encode()


def _validate(repo: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["validate", str(repo)])
    out, err = capsys.readouterr()
    assert out == ""
    return code, err


def test_alias_bomb_is_refused_without_expanding(platform_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bomb = billion_laughs()
    assert len(bomb) == 342
    (platform_copy / TARGET).write_bytes(bomb)
    tracemalloc.start()
    code, err = _validate(platform_copy, capsys)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert code == 1
    assert err.startswith(f"{TARGET}:6:8: value expands to more than 100000 nodes (YAML aliases)")
    assert peak < 64 * 2**20


@pytest.mark.parametrize("nesting", [b"[" * 50_000 + b"]" * 50_000, b"- " * 50_000 + b"x\n", b"{a: " * 50_000])
def test_deep_nesting_is_refused(nesting: bytes, platform_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (platform_copy / TARGET).write_bytes(nesting)
    code, err = _validate(platform_copy, capsys)
    assert code == 1
    assert err.startswith(f"{TARGET}:1:")
    assert "nesting deeper than 64 levels" in err or "maximum depth" in err


def test_huge_file_is_refused_before_reading(platform_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (platform_copy / TARGET).write_bytes(b"# padding\n" * 2_000_000)  # 20 MB
    code, err = _validate(platform_copy, capsys)
    assert code == 1
    assert err.startswith(f"{TARGET}:1:1: file is 20000000 bytes, over the limit of")


def test_symlink_out_of_the_repository_is_refused(platform_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.remove(platform_copy / TARGET)
    os.symlink("/etc/passwd", platform_copy / TARGET)
    code, err = _validate(platform_copy, capsys)
    assert code == 1
    assert err.startswith(f"{TARGET}:1:1: path leaves the repository (symlink to outside)")
    assert "root:" not in err


def test_a_named_pipe_in_place_of_a_file_is_refused_without_waiting(
        platform_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.remove(platform_copy / TARGET)
    os.mkfifo(platform_copy / TARGET)  # a blocking open for reading would wait for a writer forever
    code, err = _validate(platform_copy, capsys)
    assert code == 1
    assert err.startswith(f"{TARGET}:1:1: not a regular file")


def test_symlink_inside_the_repository_is_followed(platform_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    real = platform_copy / "components" / "serving" / "fraud-detector.yaml"
    moved = platform_copy / "shared-fraud.yaml"
    real.rename(moved)
    os.symlink(moved, real)
    assert main(["validate", str(platform_copy)]) == 0


def test_non_utf8_file_is_refused_with_the_byte_position(platform_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (platform_copy / TARGET).write_bytes(b"apiVersion: platformctl.dev/v1alpha1\nkind: Serv\xe9ing\n")
    code, err = _validate(platform_copy, capsys)
    assert code == 1
    assert err.startswith(f"{TARGET}:2:11: file is not valid UTF-8 (byte 0xe9)")


def test_recursive_alias_is_refused(platform_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (platform_copy / TARGET).write_bytes(b"a: &loop\n  b: *loop\n")
    code, err = _validate(platform_copy, capsys)
    assert code == 1
    assert "recursive YAML alias" in err


def test_small_aliases_are_allowed(platform_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = platform_copy / TARGET
    text = path.read_text().replace("    cpu: \"2\"\n    memory: 4Gi", "    cpu: &cpu \"2\"\n    memory: 4Gi\n    cpuLimit: *cpu")
    path.write_text(text)
    assert main(["validate", str(platform_copy)]) == 0


def _deep_block_lines(data: bytes, max_depth: int) -> list[int]:
    """The per-line reading the one-pattern check replaced: indent over 512, or more block indicators
    (``- ``, ``? ``, ``: ``) opening a line than ``max_depth``."""
    import re

    found = []
    for number, line in enumerate(data.split(b"\n"), start=1):
        prefix = re.match(rb"^([ ]*)((?:[-?:][ ]+)*)", line)
        assert prefix is not None
        if len(prefix.group(1)) > 512 or len(re.findall(rb"[-?:][ ]", prefix.group(2))) > max_depth:
            found.append(number)
    return found


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 600), st.lists(st.sampled_from(["- ", "? ", ": ", "-  ", "x"]), max_size=8)),
                min_size=1, max_size=6))
def test_the_nesting_pattern_flags_the_first_line_the_per_line_reading_flags(
        lines: list[tuple[int, list[str]]]) -> None:
    from reconciler.spec.yamlio import YamlParseError, _check_nesting

    data = "\n".join(" " * indent + "".join(parts) + "v" for indent, parts in lines).encode()
    expected = _deep_block_lines(data, 4)
    try:
        _check_nesting(data, 4)
    except YamlParseError as exc:
        assert expected and exc.line == expected[0]
    else:
        assert expected == []
