"""Spec files are parsed into plain data, and parsed again with positions only to locate an error:
both readings must agree on every document, and the errors of a component found after its data
was released still point at the right line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.errors import SpecErrors
from reconciler.source.directory import DirectorySource
from reconciler.spec.load import load
from reconciler.spec.yamlio import LocatedList, LocatedMap, YamlParseError, parse_yaml

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.text(max_size=12),
                    st.sampled_from(["no", "on", "1:30", "0o17", "~", "*/5 * * * *", "&a", "a: b"]))
documents = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(min_size=1, max_size=8), inner, max_size=4)), max_leaves=25)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        assert not isinstance(value, LocatedMap) or value.key_pos.keys() == value.keys()
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        assert not isinstance(value, LocatedList) or len(value.item_pos) == len(value)
        return [_plain(v) for v in value]
    return value


def _only_builtin_containers(value: Any) -> bool:
    if isinstance(value, dict):
        return type(value) is dict and all(_only_builtin_containers(v) for v in value.values())
    if isinstance(value, list):
        return type(value) is list and all(_only_builtin_containers(v) for v in value)
    return True


@settings(max_examples=200, deadline=None)
@given(documents, st.sampled_from(["block", "flow"]))
def test_plain_and_located_readings_agree(document: Any, style: str) -> None:
    text = yaml.safe_dump(document, default_flow_style=style == "flow", allow_unicode=True).encode()
    try:
        located = parse_yaml(text)
    except YamlParseError as refused:
        with pytest.raises(YamlParseError) as again:
            parse_yaml(text, located=False)
        assert (again.value.line, again.value.col, again.value.message) == (refused.line, refused.col, refused.message)
        return
    plain = parse_yaml(text, located=False)
    assert _only_builtin_containers(plain)
    assert _plain(located) == plain


def test_an_alias_shared_by_two_keys_is_two_copies_in_the_plain_reading() -> None:
    plain = parse_yaml(b"base: &b {cpu: 1}\na: *b\nb: *b\n", located=False)
    assert plain == {"base": {"cpu": 1}, "a": {"cpu": 1}, "b": {"cpu": 1}}
    assert plain["a"] is not plain["b"]  # editing one (an override merge) can never change the other


def test_an_error_found_after_load_points_at_the_released_component_file(platform_copy: Path) -> None:
    # the team check runs after every component's data was released: its location comes from parsing again
    target = platform_copy / "components" / "training" / "fraud-pretrain.yaml"
    text = target.read_text()
    assert "team: risk" in text
    target.write_text(text.replace("team: risk", "team: rsik"))
    with pytest.raises(SpecErrors) as caught:
        load(DirectorySource(platform_copy))
    line = 1 + text.splitlines().index(next(l for l in text.splitlines() if "team: risk" in l))
    assert any(e.path == "components/training/fraud-pretrain.yaml" and e.line == line and "rsik" in e.message
               for e in caught.value.errors), caught.value.errors
