"""The per-request fast paths give what the general code gives."""

from __future__ import annotations

import copy
import http.client
import io
import socket
from typing import Any

import pytest
import yaml

from kubeserver import fieldsets as fs
from kubeserver import managed, mergeschema
from kubeserver.errors import ApiError
from kubeserver.handlers import _Loader, _apply_body
from kubeserver.resources import Version
from kubeserver.server import KubeServer, load_crds
from kubeserver.transport import read_headers
from kubeserver.validation import _compile, _default, _defaulter
from tests.kubeserver_tests.util import call, cm

HEADERS = [
    b"Host: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n",
    b"Host: x\r\nX-Dup: a\r\nx-dup: b\r\nEmpty:\r\nSpaced:   v  \r\n\r\n",
    b"Host: x\nBare-LF: yes\n\n",
    b"Host: x\r\nFolded: a\r\n  b\r\nNext: c\r\n\r\n",  # obsolete line folding
    b"Host: x\r\nno colon here\r\nAfter: 1\r\n\r\n",
    b"Host: x\r\nBad Name: v\r\n\r\n",
    b"Host: x\r\n",  # EOF before the blank line
    b"\r\n",
]


@pytest.mark.parametrize("raw", HEADERS)
def test_read_headers_matches_http_client(raw: bytes) -> None:
    ours, theirs = read_headers(io.BytesIO(raw)), http.client.parse_headers(io.BytesIO(raw))
    assert ours.items() == theirs.items()
    assert ours.get_payload() == theirs.get_payload()
    assert [type(d) for d in ours.defects] == [type(d) for d in theirs.defects]
    for name in ("host", "X-DUP", "folded", "content-length", "missing"):
        assert ours.get(name) == theirs.get(name) and ours.get_all(name) == theirs.get_all(name)


def test_read_headers_limits() -> None:
    with pytest.raises(http.client.LineTooLong):
        read_headers(io.BytesIO(b"X: " + b"a" * 70000 + b"\r\n\r\n"))
    with pytest.raises(http.client.HTTPException, match="more than 100 headers"):
        read_headers(io.BytesIO(b"X: a\r\n" * 101 + b"\r\n"))


def _raw(server: KubeServer, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_request_line_and_connection_handling(kube_server: KubeServer) -> None:
    close = _raw(kube_server, b"GET /version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert close.startswith(b"HTTP/1.1 200 ") and b'"gitVersion"' in close
    old = _raw(kube_server, b"GET /version HTTP/1.0\r\nHost: x\r\n\r\n")  # closes after one
    assert old.startswith(b"HTTP/1.1 200 ")
    bad = _raw(kube_server, b"GET /version HTTP/x.y\r\nHost: x\r\n\r\n")
    assert b"Error code: 400" in bad  # http.server answers a bad version line as HTTP/0.9
    expect = _raw(kube_server, b"POST /version HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                               b"Content-Length: 0\r\nConnection: close\r\n\r\n")
    assert expect.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 ")
    too_long = _raw(kube_server, b"GET /version HTTP/1.1\r\nX: " + b"a" * 70000 + b"\r\n\r\n")
    assert too_long.startswith(b"HTTP/1.1 431 ")


@pytest.mark.parametrize("body", [
    b'{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"k": "\\u00e9"}}',
    b'  {"a": [1, 2.5, true, null, {"b": "c"}]}',
    b"{a: b, c: [1, 2]}",  # a YAML flow mapping, not JSON
    b"apiVersion: v1\nkind: ConfigMap\n",
    b"",
])
def test_apply_body_json_and_yaml_agree(body: bytes) -> None:
    assert _apply_body(body) == yaml.load(body or b"{}", Loader=_Loader)


def test_apply_body_json_numbers_are_json_numbers() -> None:
    # PyYAML (YAML 1.1) read `1e3` as a string; kube's YAML-to-JSON and JSON read a float.
    assert _apply_body(b'{"a": 1e3, "b": 1.5E+16}') == {"a": 1000.0, "b": 1.5e16}


def test_apply_body_non_json_constants_go_to_yaml() -> None:
    assert _apply_body(b'{"a": NaN}') == {"a": "NaN"}


@pytest.mark.parametrize("char", ["\x7f", "\x85", "\x9f", "\ufffe", "\u2028", "\t", "\xe9"])
def test_apply_body_with_odd_characters_decodes_as_yaml_does(char: str) -> None:
    body = ('{"a": "x' + char + 'y"}').encode()
    try:
        expected: Any = yaml.load(body, Loader=_Loader)
    except yaml.YAMLError:
        expected = "refused"
    try:
        got: Any = _apply_body(body)
    except ApiError as err:
        assert err.code == 400
        got = "refused"
    assert got == expected


def test_apply_of_yaml_and_json_bodies_store_the_same(kube_server: KubeServer, kube_namespace: str) -> None:
    path = f"/api/v1/namespaces/{kube_namespace}/configmaps"
    as_json = call(kube_server, "PATCH", f"{path}/a", cm("a", k="v"),
                   content_type="application/apply-patch+yaml", fieldManager="m")
    as_yaml = call(kube_server, "PATCH", f"{path}/b", yaml.safe_dump(cm("b", k="v")).encode(),
                   content_type="application/apply-patch+yaml", fieldManager="m")
    assert (as_json.status, as_yaml.status) == (201, 201)
    assert as_json.json["data"] == as_yaml.json["data"]
    assert as_json.json["metadata"]["managedFields"][0]["fieldsV1"] == \
        as_yaml.json["metadata"]["managedFields"][0]["fieldsV1"]


def _reference_default(schema: Any, value: Any) -> None:
    """The straightforward defaulting walk the compiled one replaces."""
    if not isinstance(schema, dict):
        return
    if isinstance(value, dict):
        for name, sub in (schema.get("properties") or {}).items():
            if not isinstance(sub, dict):
                continue
            if "default" in sub and (name not in value or (value[name] is None and not sub.get("nullable"))):
                value[name] = copy.deepcopy(sub["default"])
            if name in value:
                _reference_default(sub, value[name])
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for key, sub_value in value.items():
                if key not in (schema.get("properties") or {}):
                    _reference_default(extra, sub_value)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            _reference_default(schema["items"], item)


SCHEMA = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "properties": {
                "replicas": {"type": "integer", "default": 1},
                "mode": {"type": "string", "default": "a", "nullable": True},
                "plain": {"type": "string"},
                "items": {"type": "array", "items": {
                    "type": "object", "properties": {"port": {"type": "integer", "default": 80}}}},
                "byName": {"type": "object", "additionalProperties": {
                    "type": "object", "properties": {"on": {"type": "boolean", "default": True}}}},
                "nested": {"type": "object", "default": {},
                           "properties": {"deep": {"type": "string", "default": "d"}}},
            },
        },
    },
}


@pytest.mark.parametrize("obj", [
    {},
    {"spec": {}},
    {"spec": {"replicas": None, "mode": None, "plain": "x"}},
    {"spec": {"items": [{}, {"port": 1}, "odd"], "byName": {"a": {}, "b": {"on": False}}}},
    {"spec": {"nested": None}},
    {"spec": "not an object"},
])
def test_compiled_defaulting_matches_the_reference(obj: dict[str, Any]) -> None:
    expected, got = copy.deepcopy(obj), copy.deepcopy(obj)
    _reference_default(SCHEMA, expected)
    _default(_defaulter(Version("v1", schema=SCHEMA)), got)
    assert got == expected
    assert _compile({"type": "object", "properties": {"a": {"type": "string"}}}) is None


def test_compiled_defaulting_matches_on_upstream_crds() -> None:
    for crd in load_crds():
        for version in crd["spec"]["versions"]:
            schema = (version.get("schema") or {}).get("openAPIV3Schema")
            if not schema:
                continue
            for obj in ({}, {"spec": {}}, {"spec": {"template": {"spec": {"containers": [{}]}}}}):
                expected, got = copy.deepcopy(obj), copy.deepcopy(obj)
                _reference_default(schema, expected)
                _default(_defaulter(Version(version["name"], schema=schema)), got)
                assert got == expected, crd["metadata"]["name"]


def test_strip_keeps_what_the_server_tracks() -> None:
    paths = {("f:apiVersion",), ("f:kind",), ("f:metadata",), ("f:metadata", "f:name"),
             ("f:metadata", "f:uid"), ("f:metadata", "f:labels"), ("f:metadata", "f:labels", "f:a"),
             ("f:spec",), ("f:spec", "f:x"), ("f:status", "f:y"), ()}
    assert managed.strip(paths, None, None) == {
        ("f:metadata", "f:labels"), ("f:metadata", "f:labels", "f:a"), ("f:spec",),
        ("f:spec", "f:x"), ("f:status", "f:y"), ()}
    assert managed.strip(paths, ("f:status",), None) == {("f:status", "f:y")}
    assert ("f:status", "f:y") not in managed.strip(paths, None, ("f:status",))


def test_memoised_encoding_is_the_encoding() -> None:
    node = mergeschema.BUILTIN["configmaps"]
    fields = managed.strip(fs.to_set(cm("a", k="v", j="w"), node), None, None)
    assert managed._encoded(frozenset(fields)) == fs.encode(fields)
    assert fs.decode(managed._encoded(frozenset(fields))) == fields
