"""How big a YAML document becomes once its aliases are expanded, measured without expanding it (pure).

An alias costs a few bytes of text but stands for a whole copy of what its anchor holds. The
tree built from a document shares one object per anchor, so building it is cheap; anything that
later copies or serialises the data (rendering, validation, diffs, JSON) pays for every use.
``expansion`` sizes a composed node graph (each shared node sized once); ``first_excess`` finds,
only when a document is over its bounds, the alias in the text at which it went over.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from yaml.events import (AliasEvent, CollectionEndEvent, CollectionStartEvent, DocumentStartEvent, Event,
                         ScalarEvent)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode


@dataclass(frozen=True, slots=True)
class Size:
    """Nodes (keys included) and scalar characters of an expanded value."""

    nodes: int
    chars: int

    def over(self, max_nodes: int, max_chars: int) -> bool:
        """Whether either count exceeds its bound."""
        return self.nodes > max_nodes or self.chars > max_chars


class RecursiveAlias(Exception):
    """An anchor whose value contains an alias to itself (it would expand forever)."""

    def __init__(self, node: Node) -> None:
        super().__init__("recursive YAML alias")
        self.node = node


def _children(node: Node) -> Iterator[Node]:
    if isinstance(node, MappingNode):
        for key, value in node.value:
            yield key
            yield value
    elif isinstance(node, SequenceNode):
        yield from node.value


def expansion(root: Node) -> Size:
    """The expanded size of ``root`` in time linear in the graph (iterative: alias chains can be deep)."""
    sizes: dict[int, Size] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            open_nodes.discard(key)
            if isinstance(node, ScalarNode):
                sizes[key] = Size(1, len(node.value))
            else:
                parts = [sizes[id(child)] for child in _children(node)]
                sizes[key] = Size(1 + sum(p.nodes for p in parts), sum(p.chars for p in parts))
            continue
        if key in sizes:
            continue
        if key in open_nodes:  # reached again from inside itself
            raise RecursiveAlias(node)
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)
    return sizes[id(root)]


@dataclass(frozen=True, slots=True)
class Excess:
    """Where the expanded document first went over a bound, and which bound."""

    line: int
    col: int
    by_alias: bool
    nodes: bool
    """True: the node bound; False: the character bound."""
    recursive: bool = False


def first_excess(events: Iterable[Event], max_nodes: int, max_chars: int) -> Excess | None:
    """Walk the parser's events in text order, adding each alias's expanded size; the first event
    that takes the running total over a bound (1-based position), or None."""
    anchors: dict[str, Size] = {}
    frames: list[tuple[str | None, list[int]]] = []  # open collections: anchor, [nodes, chars]
    open_anchors: set[str] = set()
    nodes = chars = 0
    for event in events:
        if isinstance(event, DocumentStartEvent):
            anchors.clear()
        if isinstance(event, AliasEvent):
            anchor = str(event.anchor)
            if anchor in open_anchors or anchor not in anchors:
                return _at(event, by_alias=True, nodes=True, recursive=True)
            add = anchors[anchor]
        elif isinstance(event, ScalarEvent):
            add = Size(1, len(event.value))
            if event.anchor:
                anchors[str(event.anchor)] = add
        elif isinstance(event, CollectionStartEvent):
            frames.append((event.anchor, [0, 0]))
            if event.anchor:
                open_anchors.add(str(event.anchor))
            add = Size(1, 0)
        elif isinstance(event, CollectionEndEvent) and frames:
            opened, (inner_nodes, inner_chars) = frames.pop()
            if opened:
                open_anchors.discard(opened)
                anchors[opened] = Size(1 + inner_nodes, inner_chars)
            if frames:
                frames[-1][1][0] += 1 + inner_nodes
                frames[-1][1][1] += inner_chars
            continue
        else:
            continue
        if frames and not isinstance(event, CollectionStartEvent):
            frames[-1][1][0] += add.nodes
            frames[-1][1][1] += add.chars
        nodes, chars = nodes + add.nodes, chars + add.chars
        if nodes > max_nodes or chars > max_chars:
            return _at(event, by_alias=isinstance(event, AliasEvent), nodes=nodes > max_nodes)
    return None


def _at(event: Event, *, by_alias: bool, nodes: bool, recursive: bool = False) -> Excess:
    mark = event.start_mark
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    return Excess(line, col, by_alias, nodes, recursive)
