"""Reading YAML for the spec: fast (libyaml), YAML 1.2 scalars, located, and hardened against hostile input.

Spec files come from pull requests, so parsing is bounded: file size, nesting depth, alias
expansion (billion laughs), recursive aliases, non-UTF-8 bytes and duplicate keys all become
a located error instead of a crash or an exhausted machine. The tree returned is plain dicts
and lists (subclasses that remember where each key and item was written), so errors can be
reported as ``file:line:col``. Round-trip editing for people lives in ``spec/edit.py`` (ruamel).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.spec.expansion import RecursiveAlias, Size, expansion, first_excess


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds applied to every spec file."""

    max_file_bytes: int = 1_048_576
    max_depth: int = 64
    max_nodes: int = 100_000
    """Nodes of the document once every alias is expanded (keys count)."""
    max_expanded_bytes: int = 4 * 1_048_576
    """Characters of every scalar (keys included) once every alias is expanded: what anything that
    later copies or serialises the data (rendering, diffs, JSON) would have to write out."""


DEFAULT_LIMITS = Limits()


class Allowance:
    """What every file of one load may expand to together: each file is also within its own Limits,
    but many files each near their bound must not add up to more than the process can hold."""

    def __init__(self, max_expanded_bytes: int = 64 * 1_048_576, max_nodes: int = 2_000_000) -> None:
        self.max_expanded_bytes, self.max_nodes = max_expanded_bytes, max_nodes
        self.bytes_left, self.nodes_left = max_expanded_bytes, max_nodes

    def take(self, size: Size) -> None:
        """Account one accepted file."""
        self.bytes_left -= size.chars
        self.nodes_left -= size.nodes


class YamlParseError(Exception):
    """A file that is not acceptable YAML; line and col are 1-based."""

    def __init__(self, line: int, col: int, message: str, hint: str) -> None:
        super().__init__(message)
        self.line, self.col, self.message, self.hint = line, col, message, hint


class LocatedMap(dict[Any, Any]):
    """A mapping that remembers the 0-based (line, col) of each key and of itself."""

    __slots__ = ("key_pos", "pos")

    def __init__(self, pos: tuple[int, int]) -> None:
        super().__init__()
        self.pos = pos
        self.key_pos: dict[Any, tuple[int, int]] = {}


class LocatedList(list[Any]):
    """A sequence that remembers the 0-based (line, col) of each item and of itself."""

    __slots__ = ("item_pos", "pos")

    def __init__(self, pos: tuple[int, int]) -> None:
        super().__init__()
        self.pos = pos
        self.item_pos: list[tuple[int, int]] = []


class _Yaml12Loader(yaml.CSafeLoader):
    """libyaml with the YAML 1.2 core schema: 'no', 'on' and '1:30' stay strings, '0o17' is octal."""

    def resolve(self, kind: type[Node], value: Any, implicit: tuple[bool, bool]) -> str:
        """The tag of a node; the first few thousand distinct short plain scalars' tags are remembered (keys
        and common values repeat in every file; a fixed table, as an LRU would churn on unique names)."""
        if kind is ScalarNode and implicit[0]:
            tag = _PLAIN_TAGS.get(value)
            if tag is None:
                tag = _plain_scalar_tag(value)
                if len(value) <= _REMEMBERED_CHARS and len(_PLAIN_TAGS) < _REMEMBERED_SCALARS:
                    _PLAIN_TAGS[value] = tag
            return tag
        return str(super().resolve(kind, value, implicit))  # type: ignore[no-untyped-call]  # PyYAML is untyped


_Yaml12Loader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in [
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
    ("tag:yaml.org,2002:float",
     r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
     list("-+0123456789.")),
    ("tag:yaml.org,2002:merge", r"^(?:<<)$", ["<"]),
]:
    _Yaml12Loader.add_implicit_resolver(_tag, re.compile(_pattern), _first)

_PLAIN_TAGS: dict[str, str] = {}
_REMEMBERED_CHARS = 64
_REMEMBERED_SCALARS = 8192


def _plain_scalar_tag(value: str) -> str:
    """The core schema's tag for a plain (unquoted, untagged) scalar."""
    for tag, pattern in _Yaml12Loader.yaml_implicit_resolvers.get(value[:1], ()):
        if pattern.match(value):
            return str(tag)
    return str(_Yaml12Loader.DEFAULT_SCALAR_TAG)


_FLOW_TOKENS = re.compile(
    rb"""(?:(?<=[\s\[{,:])|^)(?:"(?:[^"\\]|\\.)*"|'(?:[^']|'')*')|(?:(?<=\s)|^)#[^\n]*|[\[\]{}]""",
    re.MULTILINE,
)
MAX_INDENT = 512
_ALIAS = re.compile(rb"(?:^|[\s\[{,])\*[^\s,\[\]{}]", re.MULTILINE)
"""Where an alias could be; a false match (a cron's ``*/5``) only costs counting the scalars' characters."""


def _check_nesting(data: bytes, max_depth: int) -> None:
    """Refuse pathological nesting before libyaml's recursive composer sees it."""
    depth = 0
    # flow nesting cannot go deeper than the number of openers: most files need no token walk
    openers = data.count(b"[") + data.count(b"{")
    for match in _FLOW_TOKENS.finditer(data) if openers > max_depth else ():
        first = data[match.start()]
        if first in b"[{":
            depth += 1
            if depth > max_depth:
                _raise_at(data, match.start(), f"YAML nesting deeper than {max_depth} levels", "flatten the structure")
        elif first in b"]}":
            depth = max(0, depth - 1)
    deep = _deep_block(max_depth).search(data)  # one regex pass, not a Python step per line
    if deep is not None:
        _raise_at(data, deep.start(), f"YAML nesting deeper than {max_depth} levels", "flatten the structure")


@functools.lru_cache(maxsize=8)
def _deep_block(max_depth: int) -> re.Pattern[bytes]:
    """A line indented more than MAX_INDENT, or opening more than ``max_depth`` block items at once
    (``- - - x``, ``? : x``), in one pattern."""
    return re.compile(rb"^(?:[ ]{%d}|[ ]*(?:[-?:][ ]+){%d})" % (MAX_INDENT + 1, max_depth + 1), re.MULTILINE)


def _raise_at(data: bytes, offset: int, message: str, hint: str) -> None:
    line = data.count(b"\n", 0, offset) + 1
    col = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    raise YamlParseError(line, col, message, hint)


def decode_utf8(data: bytes) -> str:
    """Decode spec bytes strictly, pointing at the first invalid byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        _raise_at(data, exc.start, f"file is not valid UTF-8 (byte 0x{data[exc.start]:02x})", "save the file as UTF-8")
        raise  # unreachable: _raise_at always raises


def parse_yaml(data: bytes, limits: Limits = DEFAULT_LIMITS, allowance: Allowance | None = None, *,
               located: bool = True) -> Any:
    """Parse one YAML document into located data (LocatedMap, LocatedList, scalars), or with ``located``
    False into plain dicts and lists (the same checks, no positions: cheaper to build and to keep); with an
    ``allowance``, its expanded size is also taken from what the load has left."""
    if len(data) > limits.max_file_bytes:
        raise YamlParseError(1, 1, f"file is {len(data)} bytes, over the limit of {limits.max_file_bytes}",
                             "split it into smaller files")
    text = decode_utf8(data)
    _check_nesting(data, limits.max_depth)
    try:
        nodes = list(yaml.compose_all(text, Loader=_Yaml12Loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        hint = "indent with spaces, not tabs" if "tab" in problem else "fix the YAML syntax"
        raise YamlParseError(line, col, f"invalid YAML: {problem}", hint) from None
    except yaml.YAMLError as exc:
        raise YamlParseError(1, 1, f"invalid YAML: {exc}", "fix the YAML syntax") from None
    if len(nodes) != 1:
        raise YamlParseError(1, 1, f"expected exactly one YAML document, found {len(nodes)}",
                             "put each component or environment in its own file")
    root = nodes[0]
    bounds = _Bounds.of(limits, allowance)
    aliased = _ALIAS.search(data) is not None
    if not aliased and len(text) > bounds.chars:  # no alias: the document is its own expansion
        raise YamlParseError(1, 1, bounds.over(nodes=False, aliases=False), bounds.hint(aliases=False))
    builder = _Builder(limits, bounds, count_chars=aliased, located=located)
    try:
        tree = builder.build(root)
    except YamlParseError:
        if aliased:  # when aliases are why, say so at the alias that went over (or the recursive one)
            _refuse_alias_excess(text, root, bounds)
        raise
    size = Size(builder.nodes, builder.chars if aliased else len(text))
    if allowance is not None:
        allowance.take(size)
    return tree


@dataclass(frozen=True, slots=True)
class _Bounds:
    """The stricter of a file's limits and what its load has left, and how to word each excess."""

    nodes: int
    chars: int
    limits: Limits
    allowance: Allowance | None

    @classmethod
    def of(cls, limits: Limits, allowance: Allowance | None) -> _Bounds:
        if allowance is None:
            return cls(limits.max_nodes, limits.max_expanded_bytes, limits, None)
        return cls(min(limits.max_nodes, allowance.nodes_left), min(limits.max_expanded_bytes, allowance.bytes_left),
                   limits, allowance)

    def over(self, *, nodes: bool, aliases: bool) -> str:
        """The message for a document over the node (or character) bound."""
        if self.allowance is not None and (self.nodes < self.limits.max_nodes if nodes
                                           else self.chars < self.limits.max_expanded_bytes):
            total = f"{self.allowance.max_nodes} nodes" if nodes else f"{self.allowance.max_expanded_bytes} bytes"
            return f"the platform's files expand to more than {total} in all" + (" (YAML aliases)" if aliases else "")
        bound = f"{self.limits.max_nodes} nodes" if nodes else f"{self.limits.max_expanded_bytes} bytes"
        return f"value expands to more than {bound} (YAML aliases)" if aliases else f"file holds more than {bound}"

    @staticmethod
    def hint(*, aliases: bool) -> str:
        """What to do about an excess."""
        return "use fewer or smaller anchors/aliases, or write the values out" if aliases else "split it into smaller files"


def _refuse_alias_excess(text: str, root: Node, bounds: _Bounds) -> None:
    """Refuse a document whose aliases expand past the bounds at the alias that went over (its text is
    parsed a second time), or a recursive alias at itself; return when aliases are not the cause."""
    try:
        size = expansion(root)
    except RecursiveAlias as exc:
        _Builder._fail(exc.node, "recursive YAML alias", "an anchor cannot contain an alias to itself")
        raise  # unreachable
    if not size.over(bounds.nodes, bounds.chars):
        return
    excess = first_excess(yaml.parse(text, Loader=_Yaml12Loader), bounds.nodes, bounds.chars)
    line, col = (excess.line, excess.col) if excess else (root.start_mark.line + 1, root.start_mark.column + 1)
    if excess is not None and excess.recursive:
        raise YamlParseError(line, col, "recursive YAML alias", "an anchor cannot contain an alias to itself")
    by_nodes = excess.nodes if excess is not None else size.nodes > bounds.nodes
    aliases = excess is None or excess.by_alias
    raise YamlParseError(line, col, bounds.over(nodes=by_nodes, aliases=aliases), bounds.hint(aliases=aliases))


_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"


class _Builder:
    """Turns a libyaml node graph into located plain data, counting what it builds: an alias is built
    as a copy of its anchor, so the counts are the expanded document's, and building stops as soon
    as they go over the bounds (a billion-laughs document costs at most ``bounds.nodes`` steps)."""

    _scalars = yaml.constructor.SafeConstructor()

    def __init__(self, limits: Limits, bounds: _Bounds, *, count_chars: bool, located: bool = True) -> None:
        self.max_depth = limits.max_depth
        self.bounds = bounds
        self.count_chars = count_chars
        """Count the characters of every scalar built (a document with aliases: its text does not bound them)."""
        self.located = located
        """Build LocatedMap/LocatedList with positions; else plain dicts and lists."""
        self.nodes = 0
        self.chars = 0

    def build(self, node: Node, depth: int = 1) -> Any:
        self.nodes += 1
        if self.nodes > self.bounds.nodes:
            self._fail(node, self.bounds.over(nodes=True, aliases=False), self.bounds.hint(aliases=False))
        if depth > self.max_depth:
            self._fail(node, f"YAML nesting deeper than {self.max_depth} levels", "flatten the structure")
        if type(node) is ScalarNode:
            if self.count_chars:
                self._count_chars(node)
            return node.value if node.tag == _STR else self._scalar(node)
        if type(node) is MappingNode:
            return self._mapping(node, depth)
        assert type(node) is SequenceNode
        return self._sequence(node, depth)

    def _count_chars(self, node: Node) -> None:
        self.chars += len(node.value)
        if self.chars > self.bounds.chars:
            self._fail(node, self.bounds.over(nodes=False, aliases=False), self.bounds.hint(aliases=False))

    def _scalar(self, node: ScalarNode) -> Any:
        tag = node.tag
        if tag == _STR or tag == "tag:yaml.org,2002:binary" or tag.startswith("!"):
            return node.value
        if tag == "tag:yaml.org,2002:int":
            text = node.value.lstrip("+")
            if text.startswith(("0o", "0x")):
                return int(text[2:], 8 if text[1] == "o" else 16)
            return int(text, 10)
        try:
            return self._scalars.construct_object(node, deep=True)
        except yaml.YAMLError:
            self._fail(node, f"cannot read value {node.value!r} as {tag.rsplit(':', 1)[-1]}",
                       "quote it to make it a string")
            raise  # unreachable

    def _sequence(self, node: SequenceNode, depth: int) -> list[Any]:
        if not self.located:
            return [self.build(item, depth + 1) for item in node.value]
        mark = node.start_mark
        out = LocatedList((mark.line, mark.column))
        positions = out.item_pos
        for item in node.value:
            out.append(self.build(item, depth + 1))
            mark = item.start_mark
            positions.append((mark.line, mark.column))
        return out

    def _mapping(self, node: MappingNode, depth: int) -> dict[Any, Any]:
        out: dict[Any, Any]
        positions: dict[Any, tuple[int, int]] | None = None
        if self.located:
            mark = node.start_mark
            out = LocatedMap((mark.line, mark.column))
            positions = out.key_pos
        else:
            out = {}
        merged: list[Node] = []
        for key_node, value_node in node.value:
            tag = key_node.tag
            if tag == _MERGE:
                merged.extend(value_node.value if isinstance(value_node, SequenceNode) else [value_node])
                continue
            if type(key_node) is not ScalarNode:
                self._fail(key_node, "mapping keys must be plain values", "use a string key")
            key = key_node.value if tag == _STR else self._scalar(key_node)
            self.nodes += 1
            if self.count_chars:
                self._count_chars(key_node)
            if key in out:
                self._fail(key_node, f'duplicate key "{key}"', "remove or rename one of the two entries")
            out[key] = self.build(value_node, depth + 1)
            if positions is not None:
                mark = key_node.start_mark
                positions[key] = (mark.line, mark.column)
        for source in merged:
            if not isinstance(source, MappingNode):
                self._fail(source, "a merge key ('<<') needs a mapping", "merge an anchored mapping")
            built = self.build(source, depth)
            for key, value in built.items():
                if key not in out:
                    out[key] = value
                    if positions is not None:
                        positions[key] = built.key_pos[key]
        return out

    @staticmethod
    def _fail(node: Node, message: str, hint: str) -> None:
        raise YamlParseError(node.start_mark.line + 1, node.start_mark.column + 1, message, hint)


def locate(document: Any, loc: tuple[str | int, ...]) -> tuple[int, int]:
    """1-based (line, col) of the deepest node of ``loc`` present in a parsed document."""
    node = document
    pos: tuple[int, int] = getattr(document, "pos", (0, 0))
    for step in loc:
        if isinstance(node, LocatedMap) and step in node:
            pos, node = node.key_pos[step], node[step]
        elif isinstance(node, LocatedList) and isinstance(step, int) and 0 <= step < len(node):
            pos, node = node.item_pos[step], node[step]
        else:
            break
    return pos[0] + 1, pos[1] + 1
