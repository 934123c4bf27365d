"""Minimal edits of spec files written by people: set pinned versions, keep every other byte (pure).

ruamel.yaml's round-trip parser locates what to change (the line and column of each key and
value, the quoting style of each scalar, flow or block style of each mapping); the change is
then spliced into the original text, so comments, key order, quoting, blank lines, indentation
and line endings stay exactly as written. The result is parsed again and must hold exactly the
intended data, or the edit is refused.

Why splice instead of dumping the ruamel tree: a dump re-renders the whole file and is not
byte-stable on ordinary spec files (it rewrites ``autoscaling: null`` as ``autoscaling:`` and
needs one global indentation), while a promotion must change the version lines and nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from io import StringIO
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

from reconciler.spec.yamlio import YamlParseError, parse_yaml

# Where a new ``versions:`` map goes when the file has none: after the first of these keys
# whose entry fits on one line (``namespace`` is required, so one always does).
VERSIONS_AFTER = ("components", "namespace")
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"' + r"|'(?:[^']|'')*'")  # quoted scalars on one line


class EditError(Exception):
    """The file cannot be edited safely; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class _Splice:
    start: int
    end: int
    text: str


def set_versions(text: str, updates: Mapping[str, str]) -> str:
    """``text`` with ``spec.versions[ref] = version`` for every update; nothing else changes."""
    _require_bounded(text)
    doc = _load(text)
    spec = doc.get("spec") if isinstance(doc, CommentedMap) else None
    if not isinstance(spec, CommentedMap) or spec.fa.flow_style():
        raise EditError("the file has no block-style 'spec:' mapping; edit the versions by hand")
    offsets = _line_offsets(text)
    newline = "\r\n" if "\r\n" in text else "\n"
    versions = spec.get("versions")
    if "versions" in spec and not isinstance(versions, CommentedMap):
        raise EditError("spec.versions is not a mapping; write 'versions: {}' or remove the key")
    if versions is None:
        splices = [_new_map(text, offsets, spec, dict(updates), newline)]
    else:
        splices = _edit_map(text, offsets, versions, dict(updates), newline)
    result = text
    for splice in sorted(splices, key=lambda s: s.start, reverse=True):
        result = result[:splice.start] + splice.text + result[splice.end:]
    _check(doc, result, dict(updates))
    return result


def _require_bounded(text: str) -> None:
    """The hardened parser's limits first: ruamel expands aliases when the edit is checked."""
    try:
        parse_yaml(text.encode("utf-8"))
    except YamlParseError as exc:
        raise EditError(f"not readable YAML: line {exc.line}, col {exc.col}: {exc.message}; {exc.hint}") from None


def _load(text: str) -> Any:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    try:
        return yaml.load(StringIO(text))
    except YAMLError as exc:
        raise EditError(f"not readable YAML: {str(exc).splitlines()[0]}") from None


def _line_offsets(text: str) -> list[int]:
    """Offset of the first character of every line (and one past the end)."""
    starts = [0]
    starts.extend(m.end() for m in re.finditer("\n", text))
    return starts


def _at(offsets: list[int], position: tuple[int, int]) -> int:
    line, col = position
    return offsets[line] + col


def _edit_map(text: str, offsets: list[int], versions: CommentedMap, updates: dict[str, str],
              newline: str) -> list[_Splice]:
    flow = bool(versions.fa.flow_style()) or not versions  # an empty map can only be written `{}`
    splices: list[_Splice] = []
    for ref, version in updates.items():
        if ref in versions:
            start = _at(offsets, versions.lc.value(ref))
            end = _scalar_end(text, start, flow)
            splices.append(_Splice(start, end, _scalar(version, _style(versions[ref]), flow)))
    missing = {ref: v for ref, v in updates.items() if ref not in versions}
    if not missing:
        return splices
    style = _style(versions[list(versions)[-1]]) if versions else None
    if flow:
        splices.append(_flow_insert(text, offsets, versions, missing, style))
        return splices
    last = list(versions)[-1]
    value = versions[last]
    if isinstance(value, (CommentedMap, CommentedSeq)):
        raise EditError(f"spec.versions['{last}'] is not a single value; edit the versions by hand")
    line = versions.lc.value(last)[0]
    indent = " " * versions.lc.key(last)[1]
    lines = [f"{indent}{_key(ref)}: {_scalar(v, style, False)}" for ref, v in missing.items()]
    return [*splices, _insert_after_line(text, offsets, line, lines, newline)]


def _flow_insert(text: str, offsets: list[int], versions: CommentedMap, missing: dict[str, str],
                 style: str | None) -> _Splice:
    entries = ", ".join(f"{_key(ref)}: {_scalar(v, style, True)}" for ref, v in missing.items())
    if versions:
        last = list(versions)[-1]
        end = _scalar_end(text, _at(offsets, versions.lc.value(last)), True)
        return _Splice(end, end, f", {entries}")
    opening = text.index("{", _at(offsets, (versions.lc.line, versions.lc.col)))
    closing = text.index("}", opening)
    if text[opening + 1:closing].strip():
        raise EditError("cannot find the end of the flow-style 'versions' map; edit the versions by hand")
    return _Splice(opening + 1, closing, entries)


def _new_map(text: str, offsets: list[int], spec: CommentedMap, updates: dict[str, str],
             newline: str) -> _Splice:
    anchor = next((k for k in VERSIONS_AFTER if k in spec and _one_line(text, offsets, spec, k)), None)
    if anchor is None:
        raise EditError("cannot find where to add 'versions:' (no one-line 'namespace:' in spec); add it by hand")
    indent = spec.lc.key(anchor)[1]
    unit = _indent_unit(spec, indent)
    lines = [" " * indent + "versions:"]
    lines.extend(f"{' ' * (indent + unit)}{_key(ref)}: {_scalar(v, None, False)}" for ref, v in updates.items())
    return _insert_after_line(text, offsets, spec.lc.key(anchor)[0], lines, newline)


def _one_line(text: str, offsets: list[int], spec: CommentedMap, key: str) -> bool:
    """Whether ``key``'s whole entry (key and value) ends on the key's own line."""
    value = spec[key]
    if isinstance(value, (CommentedMap, CommentedSeq)) and not value.fa.flow_style():
        return False
    line, col = spec.lc.value(key)
    if line != spec.lc.key(key)[0]:
        return False
    rest = text[offsets[line] + col:offsets[line + 1] if line + 1 < len(offsets) else len(text)]
    rest = _QUOTED.sub('""', rest).split(" #")[0]
    return sum(rest.count(c) for c in "[{") == sum(rest.count(c) for c in "]}")


def _indent_unit(spec: CommentedMap, indent: int) -> int:
    """The file's indentation step, read off the first nested block mapping of ``spec``."""
    for key in spec:
        child = spec[key]
        if isinstance(child, CommentedMap) and child and not child.fa.flow_style():
            step = int(child.lc.key(next(iter(child)))[1]) - indent
            if step > 0:
                return step
    return 2


def _insert_after_line(text: str, offsets: list[int], line: int, lines: list[str], newline: str) -> _Splice:
    position = offsets[line + 1] if line + 1 < len(offsets) else len(text)
    prefix = "" if position == 0 or text[position - 1] == "\n" else newline
    return _Splice(position, position, prefix + "".join(f"{entry}{newline}" for entry in lines))


def _scalar_end(text: str, start: int, flow: bool) -> int:
    """One past the last character of the single-line scalar starting at ``start``."""
    quote = text[start] if start < len(text) else ""
    if quote == '"':
        index = start + 1
        while index < len(text) and text[index] != '"':
            index += 2 if text[index] == "\\" else 1
        return _closed(text, index, start)
    if quote == "'":
        index = start + 1
        while index < len(text):
            if text[index] == "'" and text[index + 1:index + 2] == "'":
                index += 2
            elif text[index] == "'":
                break
            else:
                index += 1
        return _closed(text, index, start)
    stop = re.compile(r"\r?\n| #|[,}\]]" if flow else r"\r?\n| #")
    found = stop.search(text, start)
    end = found.start() if found else len(text)
    return len(text[:end].rstrip(" \t"))


def _closed(text: str, index: int, start: int) -> int:
    if index >= len(text) or "\n" in text[start:index]:
        raise EditError("a quoted version spans several lines; write it on one line")
    return index + 1


def _style(value: Any) -> str | None:
    if isinstance(value, DoubleQuotedScalarString):
        return '"'
    if isinstance(value, SingleQuotedScalarString):
        return "'"
    return None


def _scalar(value: str, style: str | None, flow: bool) -> str:
    """``value`` written in ``style``; plain only when it reads back as the same string."""
    if style == "'":
        return "'" + value.replace("'", "''") + "'"
    if style is None and _plain_ok(value, flow):
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _key(ref: str) -> str:
    return ref if _plain_ok(ref, True) else _scalar(ref, '"', True)


def _plain_ok(value: str, flow: bool) -> bool:
    if not value or value != value.strip() or any(c in value for c in "\n\r\t"):
        return False
    probes = [f"k: {value}\n", f"{{k: {value}}}\n"] if flow else [f"k: {value}\n"]
    for probe in probes:
        try:
            parsed = parse_yaml(probe.encode())
        except YamlParseError:
            return False
        if not isinstance(parsed, dict) or parsed.get("k") != value or not isinstance(parsed.get("k"), str):
            return False
    return True


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return str(value) if isinstance(value, str) else value


def _check(before: CommentedMap, text: str, updates: dict[str, str]) -> None:
    """The edited text must read as the original data with exactly the new pins."""
    expected = _plain(before)
    expected["spec"]["versions"] = {**expected["spec"].get("versions", {}), **updates}
    after = _plain(_load(text))
    if after != expected:
        raise EditError("the edited file would not read back as intended; edit the versions by hand")
