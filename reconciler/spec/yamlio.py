"""One ruamel.yaml configuration for the whole project, hardened against hostile input.

Spec files come from pull requests, so parsing is bounded: file size, nesting depth,
alias expansion (billion-laughs), recursive aliases, non-UTF-8 bytes and duplicate keys
all become a located error instead of a crash or an exhausted machine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, SequenceNode


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds applied to every spec file."""

    max_file_bytes: int = 1_048_576
    max_depth: int = 64
    max_nodes: int = 100_000


DEFAULT_LIMITS = Limits()


class YamlParseError(Exception):
    """A file that is not acceptable YAML; line and col are 1-based."""

    def __init__(self, line: int, col: int, message: str, hint: str) -> None:
        super().__init__(message)
        self.line, self.col, self.message, self.hint = line, col, message, hint


class _BoundedComposer(Composer):  # type: ignore[misc]
    """Counts nodes as aliases would expand them and refuses recursive aliases."""

    node_budget: int = DEFAULT_LIMITS.max_nodes

    def compose_document(self) -> Any:
        self._expanded = 0
        self._sizes: dict[int, int] = {}
        self._open_anchors: set[str] = set()
        return super().compose_document()

    def compose_node(self, parent: Any, index: Any) -> Any:
        node = super().compose_node(parent, index)
        self._charge(1, node)
        return node

    def compose_sequence_node(self, anchor: Any) -> Any:
        return self._composing(super().compose_sequence_node, anchor)

    def compose_mapping_node(self, anchor: Any) -> Any:
        return self._composing(super().compose_mapping_node, anchor)

    def _composing(self, compose: Any, anchor: Any) -> Any:
        if anchor is None:
            return compose(anchor)
        self._open_anchors.add(anchor)
        try:
            return compose(anchor)
        finally:
            self._open_anchors.discard(anchor)

    def return_alias(self, node: Any) -> Any:
        if getattr(node, "anchor", None) in self._open_anchors:
            raise _AliasError(node.start_mark, "recursive YAML alias")
        self._charge(self._size(node), node)
        return node

    def _size(self, node: Node) -> int:
        key = id(node)
        if key not in self._sizes:
            if isinstance(node, MappingNode):
                total = 1 + sum(self._size(k) + self._size(v) for k, v in node.value)
            elif isinstance(node, SequenceNode):
                total = 1 + sum(self._size(item) for item in node.value)
            else:
                total = 1
            self._sizes[key] = total
        return self._sizes[key]

    def _charge(self, amount: int, node: Any) -> None:
        self._expanded += amount
        if self._expanded > self.node_budget:
            raise _AliasError(
                node.start_mark, f"document expands to more than {self.node_budget} nodes"
            )


class _AliasError(Exception):
    def __init__(self, mark: Any, message: str) -> None:
        super().__init__(message)
        self.mark, self.message = mark, message


# Quoted scalars and comments are skipped so their brackets do not count as nesting.
_FLOW_TOKENS = re.compile(
    rb"""(?:(?<=[\s\[{,:])|^)(?:"(?:[^"\\]|\\.)*"|'(?:[^']|'')*')|(?:(?<=\s)|^)#[^\n]*|[\[\]{}]""",
    re.MULTILINE,
)


def _check_flow_depth(data: bytes, max_depth: int) -> None:
    """Refuse deep flow nesting before ruamel's scanner, which is quadratic on it, sees it."""
    depth = 0
    for match in _FLOW_TOKENS.finditer(data):
        first = data[match.start()]
        if first in b"[{":
            depth += 1
            if depth > max_depth:
                line = data.count(b"\n", 0, match.start()) + 1
                col = match.start() - (data.rfind(b"\n", 0, match.start()) + 1) + 1
                raise YamlParseError(
                    line, col, f"YAML nesting deeper than {max_depth} levels",
                    "flatten the structure",
                )
        elif first in b"]}":
            depth = max(0, depth - 1)


def _make_yaml(limits: Limits) -> YAML:
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    yaml.max_depth = limits.max_depth

    class Bounded(_BoundedComposer):
        node_budget = limits.max_nodes

    yaml.Composer = Bounded
    return yaml


def decode_utf8(data: bytes) -> str:
    """Decode spec bytes strictly, pointing at the first invalid byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise YamlParseError(
            line, col, f"file is not valid UTF-8 (byte 0x{data[exc.start]:02x})",
            "save the file as UTF-8",
        ) from None


def parse_yaml(data: bytes, limits: Limits = DEFAULT_LIMITS) -> Any:
    """Parse one YAML document into ruamel round-trip objects (which carry line data)."""
    if len(data) > limits.max_file_bytes:
        raise YamlParseError(
            1, 1, f"file is {len(data)} bytes, over the limit of {limits.max_file_bytes}",
            "split it into smaller files",
        )
    text = decode_utf8(data)
    _check_flow_depth(data, limits.max_depth)
    yaml = _make_yaml(limits)
    try:
        documents = list(yaml.load_all(text))
    except _AliasError as exc:
        raise YamlParseError(
            exc.mark.line + 1, exc.mark.column + 1, exc.message,
            "use fewer or smaller anchors/aliases, or write the values out",
        ) from None
    except DuplicateKeyError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YamlParseError(
            mark.line + 1, mark.column + 1, f"duplicate key {_duplicate_key(exc)}",
            "remove or rename one of the two entries",
        ) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        hint = "reduce the nesting" if "depth" in problem else "fix the YAML syntax"
        raise YamlParseError(line, col, f"invalid YAML: {problem}", hint) from None
    except (YAMLError, RecursionError) as exc:
        raise YamlParseError(1, 1, f"invalid YAML: {exc}", "fix the YAML syntax") from None
    if len(documents) != 1:
        raise YamlParseError(
            1, 1, f"expected exactly one YAML document, found {len(documents)}",
            "put each component or environment in its own file",
        )
    return documents[0]


def _duplicate_key(exc: DuplicateKeyError) -> str:
    problem = str(exc.problem or "")
    start = problem.find('"')
    end = problem.find('"', start + 1)
    return problem[start : end + 1] if start >= 0 and end > start else "in mapping"


def locate(document: Any, loc: tuple[str | int, ...]) -> tuple[int, int]:
    """1-based (line, col) of the deepest node of ``loc`` that exists in ``document``."""
    node, line, col = document, 1, 1
    for i, step in enumerate(loc):
        lc = getattr(node, "lc", None)
        if lc is None:
            break
        try:
            if isinstance(node, dict) and step in node:
                is_last = i == len(loc) - 1
                pos = lc.key(step) if is_last or not isinstance(node[step], (dict, list)) else lc.value(step)
                if isinstance(node[step], (dict, list)) and not is_last:
                    pos = lc.key(step)
                line, col, node = pos[0] + 1, pos[1] + 1, node[step]
            elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
                pos = lc.item(step)
                line, col, node = pos[0] + 1, pos[1] + 1, node[step]
            else:
                break
        except (KeyError, IndexError, TypeError):
            break
    else:
        return line, col
    if (line, col) == (1, 1) and getattr(document, "lc", None) is not None:
        line, col = document.lc.line + 1, document.lc.col + 1
    return line, col


def to_plain(value: Any) -> Any:
    """Strip ruamel's round-trip types, leaving dicts, lists and builtin scalars."""
    if isinstance(value, dict):
        return {str(k) if not isinstance(k, (int, float, bool)) else k: to_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return value
