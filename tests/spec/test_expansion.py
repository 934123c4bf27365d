"""Alias expansion is measured before anything is expanded, and refused at the alias that goes over."""

from __future__ import annotations

import pytest
import yaml

from reconciler.spec.edit import EditError, set_versions
from reconciler.spec.expansion import RecursiveAlias, Size, expansion, first_excess
from reconciler.spec.yamlio import Allowance, Limits, YamlParseError, parse_yaml


def _long_string_bomb(size: int, string_bytes: int = 100_000) -> bytes:
    """One long string, then a list repeating it through aliases up to ``size`` bytes (issue 13, scenario 4)."""
    head = f'apiVersion: platformctl.dev/v1alpha1\nkind: Serving\nlong: &s "{"x" * string_bytes}"\nlist: ['
    count = (size - len(head)) // 4
    return (head + ", ".join(["*s"] * count) + "]\n").encode()


def test_expansion_counts_each_use_of_an_anchor_without_expanding() -> None:
    root = yaml.compose("a: &a [xy, z]\nb: [*a, *a, *a]\n", Loader=yaml.CSafeLoader)
    # root, a, b keys; list a (3 nodes, 3 chars) once written and three times used; list b
    assert expansion(root) == Size(1 + 2 + 4 * 3 + 1, 2 + 4 * 3)


def test_recursive_anchors_are_found_iteratively() -> None:
    root = yaml.compose("a: &loop\n  b: *loop\n", Loader=yaml.CSafeLoader)
    with pytest.raises(RecursiveAlias):
        expansion(root)


def test_a_deep_chain_of_aliases_does_not_recurse() -> None:
    lines = ["a0: &a0 [x]"] + [f"a{i}: &a{i} [*a{i - 1}]" for i in range(1, 5000)]
    root = yaml.compose("\n".join(lines), Loader=yaml.CSafeLoader)
    assert expansion(root).nodes > 5000


def test_first_excess_points_at_the_alias_that_goes_over() -> None:
    text = 'a: &a "0123456789"\nb: [*a, *a, *a]\n'
    excess = first_excess(yaml.parse(text, Loader=yaml.CSafeLoader), max_nodes=100, max_chars=25)
    assert excess is not None and excess.by_alias and not excess.nodes
    assert (excess.line, excess.col) == (2, 9)  # the second *a: 10 + 10 + 10 characters (keys count)


@pytest.mark.parametrize("size", [300_000, 1_000_000])
def test_a_long_string_repeated_through_aliases_is_refused_at_the_alias(size: int) -> None:
    with pytest.raises(YamlParseError) as caught:
        parse_yaml(_long_string_bomb(size))
    error = caught.value
    assert error.message == "value expands to more than 4194304 bytes (YAML aliases)"
    assert error.line == 4 and error.col > 7  # on the list line, at an alias, not at the key


def test_aliases_within_the_bounds_still_share_one_string() -> None:
    data = parse_yaml(_long_string_bomb(100_120, string_bytes=100_000), Limits(max_expanded_bytes=10 * 1_048_576))
    assert len(data["list"]) == 12 and all(item is data["long"] for item in data["list"])


def test_a_large_file_without_aliases_names_the_bound_not_aliases() -> None:
    text = ("items: [" + ", ".join(["1"] * 200) + "]\n").encode()
    with pytest.raises(YamlParseError) as caught:
        parse_yaml(text, Limits(max_nodes=100))
    assert caught.value.message == "file holds more than 100 nodes"


def test_promotion_edits_refuse_an_alias_bomb_before_ruamel_sees_it() -> None:
    with pytest.raises(EditError, match="expands to more than"):
        set_versions(_long_string_bomb(300_000).decode(), {"serving/x": "1.0.0"})


def test_the_files_of_one_load_share_one_allowance() -> None:
    allowance = Allowance(max_expanded_bytes=40)
    parse_yaml(b'a: &a "0123456789"\nb: *a\n', allowance=allowance)  # 1 + 10 + 1 + 10 characters
    assert allowance.bytes_left == 18 and allowance.nodes_left == 2_000_000 - 5
    with pytest.raises(YamlParseError) as caught:
        parse_yaml(b'c: &c "0123456789"\nd: *c\n', allowance=allowance)
    error = caught.value
    assert (error.line, error.col) == (2, 4)  # the alias that went over what the load had left
    assert error.message == "the platform's files expand to more than 40 bytes in all (YAML aliases)"


def test_files_without_aliases_count_against_the_allowance_too() -> None:
    allowance = Allowance(max_nodes=10)
    parse_yaml(b"a: [1, 2, 3]\n", allowance=allowance)  # root, key, list, three items
    assert allowance.nodes_left == 4
    with pytest.raises(YamlParseError) as caught:
        parse_yaml(b"b: [1, 2, 3]\n", allowance=allowance)
    assert caught.value.message == "the platform's files expand to more than 10 nodes in all"
    assert (caught.value.line, caught.value.col) == (1, 8)  # the node that went over
