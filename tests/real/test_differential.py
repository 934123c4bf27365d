"""Differential suite: the same HTTP requests to kubeserver and to a real kube-apiserver v1.34.

Every test sends one list of requests, in a namespace of its own created by its first request,
to a `KubeServer` (one for the module) and to the real cluster (`real_cluster`: a kube-apiserver
with etcd and kube-controller-manager behind a recording proxy that adds admin credentials to
requests without them, as `call` sends them). Answers are compared once normalised: uid,
resourceVersion, creationTimestamp and deletionTimestamp dropped, managedFields without their
times, generateName suffixes as `*`. What stays is compared as is: the status code, the Status
reason, message and details (causes with field, reason and message), objects with their
managedFields (manager, operation, fieldsV1), canonical quantities, generation and finalizers,
and the types of watch events.

Where kubeserver knowingly differs, a test holds both answers: the real one as recorded and
kubeserver's, with the reason; kubeserver/README.md lists them ("Known divergences from
kube-apiserver v1.34").
"""

from __future__ import annotations

import itertools
import json
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from kubeserver.server import KubeServer
from tests.kubeserver_tests.util import Response, call
from tests.realkube.cluster import RealCluster
from tests.waiting import until

APPLY = "application/apply-patch+yaml"
MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"

CONFIGMAPS = "/api/v1/namespaces/{ns}/configmaps"
CLAIMS = "/api/v1/namespaces/{ns}/persistentvolumeclaims"
NOTEBOOKS = "/apis/kubeflow.org/v1/namespaces/{ns}/notebooks"

_VOLATILE_META = frozenset({"uid", "resourceVersion", "creationTimestamp", "deletionTimestamp"})
_NUMBERS = itertools.count(1)


# --- requests to both servers -----------------------------------------------------------
@dataclass
class Both:
    """One request's answers: from the real apiserver and from kubeserver."""

    real: Response
    kube: Response


@dataclass(frozen=True)
class PerServer:
    """A body or query value that differs between the servers (a resourceVersion read before)."""

    real: Any
    kube: Any

    @staticmethod
    def rv(both: Both) -> PerServer:
        return PerServer(rv_of(both.real), rv_of(both.kube))


def _for(value: Any, server: str) -> Any:
    return getattr(value, server) if isinstance(value, PerServer) else value


class Differ:
    """Sends each request to both servers, in a namespace of the test's own."""

    def __init__(self, real: RealCluster, kube: KubeServer, namespace: str) -> None:
        # `call` takes anything with a `.port`: the real cluster's proxy or kubeserver.
        self.real: Any = real
        self.kube: Any = kube
        self.ns = namespace
        self._pool = ThreadPoolExecutor(2)

    def send(self, method: str, path: str, body: Any = None, *, content_type: str = "application/json",
             **query: Any) -> Both:
        """The request to both servers at once (watches last as long on each)."""
        path = path.format(ns=self.ns)
        answers = [self._pool.submit(call, server, method, path, _for(body, name), content_type=content_type,
                                     **{k: _for(v, name) for k, v in query.items()})
                   for name, server in (("real", self.real), ("kube", self.kube))]
        return Both(answers[0].result(), answers[1].result())

    def same(self, method: str, path: str, body: Any = None, *, messages: bool = True, unordered: bool = False,
             **kw: Any) -> Any:
        """Send, assert both normalised answers are equal, and return it ({code, body}).

        `unordered`: compare a Status's causes as a set (kube-apiserver reports the schema errors
        of one object in Go map order, which varies) and not its message, which lists them.
        """
        both = self.send(method, path, body, **kw)
        real, kube = shape(both.real, messages, unordered), shape(both.kube, messages, unordered)
        if kube != real:
            pytest.fail(f"{method} {path}: kubeserver differs from kube-apiserver\n"
                        f"real: {json.dumps(real, indent=1, sort_keys=True)}\n"
                        f"kube: {json.dumps(kube, indent=1, sort_keys=True)}")
        return real

    def close(self) -> None:
        self._pool.shutdown()


@pytest.fixture(scope="module")
def emulated() -> Iterator[KubeServer]:
    server = KubeServer("diff").start()
    server.install_crds()
    yield server
    server.stop()


@pytest.fixture
def diff(real_cluster: RealCluster, emulated: KubeServer, request: pytest.FixtureRequest) -> Iterator[Differ]:
    name = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower().removeprefix("test_"))[:40].strip("-")
    differ = Differ(real_cluster, emulated, f"d{next(_NUMBERS)}-{name}")
    created = differ.same("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                          "metadata": {"name": differ.ns}})
    assert created["code"] == 201
    # The field manager runs before the strategy adds the `kubernetes` finalizer: not owned.
    assert created["body"]["spec"] == {"finalizers": ["kubernetes"]}
    assert "f:spec" not in created["body"]["metadata"]["managedFields"][0]["fieldsV1"]
    yield differ
    differ.close()
    assert emulated.errors == []


# --- normalisation ------------------------------------------------------------------------
def shape(response: Response, messages: bool = True, unordered: bool = False) -> dict[str, Any]:
    """The comparable part of an answer: status code and normalised body."""
    try:
        body: Any = response.json
    except ValueError:
        body = response.raw.decode()
    body = normalise(body, messages)
    if unordered and isinstance(body, dict) and body.get("kind") == "Status":
        body.pop("message", None)
        causes = body.get("details", {}).get("causes")
        if causes:
            causes.sort(key=lambda c: json.dumps(c, sort_keys=True))
    return {"code": response.status, "body": body}


def normalise(value: Any, messages: bool = True) -> Any:
    if isinstance(value, list):
        return [normalise(v, messages) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, sub in value.items():
        if key == "metadata" and isinstance(sub, dict):
            out[key] = _meta(sub)
        elif key == "details" and isinstance(sub, dict):
            out[key] = {k: normalise(v, messages) for k, v in sub.items() if k != "uid"}
        elif key == "message" and not messages:
            continue
        else:
            out[key] = normalise(sub, messages)
    return out


def _meta(meta: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in meta.items() if k not in _VOLATILE_META}
    if "managedFields" in out:
        out["managedFields"] = [{k: v for k, v in e.items() if k != "time"} for e in out["managedFields"]]
    prefix = out.get("generateName")
    if prefix and str(out.get("name", "")).startswith(prefix):
        out["name"] = prefix + "*"
    return out


def events(response: Response) -> list[tuple[str, Any]]:
    """A finished watch as (type, name) pairs; an ERROR carries its normalised Status."""
    assert response.status == 200
    out = []
    for line in response.raw.splitlines():
        event = json.loads(line)
        obj = event["object"]
        out.append((event["type"], normalise(obj) if event["type"] == "ERROR" else obj["metadata"].get("name")))
    return out


def rv_of(answer: Response) -> str:
    return str(answer.json["metadata"]["resourceVersion"])


def configmap(name: str, labels: dict[str, str] | None = None, **data: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if labels:
        meta["labels"] = labels
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}


def notebook(name: str, image: str = "jupyter:1", **meta: Any) -> dict[str, Any]:
    return {"apiVersion": "kubeflow.org/v1", "kind": "Notebook", "metadata": {"name": name, **meta},
            "spec": {"template": {"spec": {"containers": [{"name": "main", "image": image}]}}}}


def claim(name: str, storage: str = "1024Mi", **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": storage}}, **spec}}


# --- create, read, conflicts ----------------------------------------------------------------
def test_create_get_not_found_and_the_409s(diff: Differ) -> None:
    created = diff.same("POST", CONFIGMAPS, configmap("a", k="1"))
    assert created["code"] == 201
    assert created["body"]["metadata"]["managedFields"] == [{
        "manager": "raw-test", "operation": "Update", "apiVersion": "v1", "fieldsType": "FieldsV1",
        "fieldsV1": {"f:data": {".": {}, "f:k": {}}}}]
    assert diff.same("GET", CONFIGMAPS + "/a") == created | {"code": 200}
    missing = diff.same("GET", CONFIGMAPS + "/nope")
    assert missing["code"] == 404 and missing["body"]["reason"] == "NotFound"
    exists = diff.same("POST", CONFIGMAPS, configmap("a"))
    assert exists["code"] == 409 and exists["body"]["reason"] == "AlreadyExists"
    assert diff.same("POST", "/api/v1/namespaces/no-such-namespace/configmaps", configmap("a"))["code"] == 404
    assert diff.same("PUT", CONFIGMAPS + "/absent", configmap("absent"))["code"] == 404

    # A write carrying the resourceVersion read before another write is a 409 Conflict.
    first = diff.send("GET", CONFIGMAPS + "/a")
    assert diff.same("PUT", CONFIGMAPS + "/a", configmap("a", k="2"))["code"] == 200
    stale = PerServer(*({**configmap("a", k="3"), "metadata": {"name": "a", "resourceVersion": rv_of(answer)}}
                        for answer in (first.real, first.kube)))
    conflict = diff.same("PUT", CONFIGMAPS + "/a", stale)
    assert conflict["code"] == 409 and conflict["body"]["reason"] == "Conflict"
    assert conflict["body"]["message"] == (
        'Operation cannot be fulfilled on configmaps "a": the object has been modified; please apply your '
        "changes to the latest version and try again")
    generated = diff.same("POST", CONFIGMAPS, {"apiVersion": "v1", "kind": "ConfigMap",
                                               "metadata": {"generateName": "gen-"}})
    assert generated["code"] == 201 and generated["body"]["metadata"]["name"] == "gen-*"


def test_list_with_label_selectors(diff: Differ) -> None:
    for name, labels in (("a", {"app": "a", "tier": "web"}), ("b", {"app": "b"}), ("c", {"tier": "db"})):
        assert diff.same("POST", CONFIGMAPS, configmap(name, labels))["code"] == 201
    for selector, names in (("app=a", ["a"]), ("app!=a", ["b", "c"]), ("app in (a,b)", ["a", "b"]),
                            ("!app", ["c"]), ("app,tier", ["a"]), ("tier notin (db)", ["a", "b"])):
        listed = diff.same("GET", CONFIGMAPS, labelSelector=selector)
        assert listed["code"] == 200
        assert [i["metadata"]["name"] for i in listed["body"]["items"]] == names, selector
    # KNOWN DIVERGENCE (message only): the parse error is worded differently.
    unparsable = diff.same("GET", CONFIGMAPS, labelSelector="app in (a", messages=False)
    assert unparsable["code"] == 400 and unparsable["body"]["reason"] == "BadRequest"


def test_custom_resource_lists(diff: Differ) -> None:
    empty = diff.same("GET", NOTEBOOKS)
    assert empty["body"]["metadata"] == {"continue": ""}  # unstructured lists always carry it
    assert diff.same("POST", NOTEBOOKS, notebook("nb"))["code"] == 201
    listed = diff.same("GET", NOTEBOOKS)
    assert [i["metadata"]["name"] for i in listed["body"]["items"]] == ["nb"]
    assert diff.same("GET", CONFIGMAPS, limit="-1")["code"] == 200  # a negative limit: no paging


# --- server-side apply ---------------------------------------------------------------------
def test_server_side_apply_create_noop_conflict_force_and_removal(diff: Differ) -> None:
    applied = configmap("s", a="1", b="2")
    created = diff.same("PATCH", CONFIGMAPS + "/s", applied, content_type=APPLY, fieldManager="alice")
    assert created["code"] == 201
    noop = diff.same("PATCH", CONFIGMAPS + "/s", applied, content_type=APPLY, fieldManager="alice")
    assert noop["code"] == 200 and noop["body"] == created["body"]

    conflict = diff.same("PATCH", CONFIGMAPS + "/s", configmap("s", a="X"), content_type=APPLY, fieldManager="bob")
    assert conflict["code"] == 409 and conflict["body"]["reason"] == "Conflict"
    assert conflict["body"]["details"] == {"causes": [
        {"reason": "FieldManagerConflict", "message": 'conflict with "alice"', "field": ".data.a"}]}

    forced = diff.same("PATCH", CONFIGMAPS + "/s", configmap("s", a="X"), content_type=APPLY, fieldManager="bob",
                       force="true")
    assert forced["code"] == 200 and forced["body"]["data"] == {"a": "X", "b": "2"}
    owners = {e["manager"]: e["fieldsV1"] for e in forced["body"]["metadata"]["managedFields"]}
    assert owners == {"alice": {"f:data": {"f:b": {}}}, "bob": {"f:data": {"f:a": {}}}}

    removed = diff.same("PATCH", CONFIGMAPS + "/s", configmap("s"), content_type=APPLY, fieldManager="alice")
    assert removed["code"] == 200 and removed["body"]["data"] == {"a": "X"}  # b: nobody else owned it
    missing_manager = diff.same("PATCH", CONFIGMAPS + "/s", configmap("s"), content_type=APPLY)
    assert missing_manager["code"] == 422

    # The same on a custom resource: the conflict names the updater and its apiVersion.
    assert diff.same("POST", NOTEBOOKS, notebook("nb"))["code"] == 201
    clash = diff.same("PATCH", NOTEBOOKS + "/nb", notebook("nb", "jupyter:2"), content_type=APPLY,
                      fieldManager="bob")
    assert clash["code"] == 409
    assert clash["body"]["details"]["causes"] == [{
        "reason": "FieldManagerConflict", "message": 'conflict with "raw-test" using kubeflow.org/v1',
        "field": ".spec.template.spec.containers"}]
    taken = diff.same("PATCH", NOTEBOOKS + "/nb", notebook("nb", "jupyter:2"), content_type=APPLY,
                      fieldManager="bob", force="true")
    assert taken["code"] == 200 and taken["body"]["metadata"]["generation"] == 2


# --- patches ------------------------------------------------------------------------------
def test_merge_json_and_strategic_merge_patches_on_a_configmap(diff: Differ) -> None:
    assert diff.same("POST", CONFIGMAPS, configmap("p", a="1", b="2"))["code"] == 201
    merged = diff.same("PATCH", CONFIGMAPS + "/p", {"data": {"m": "1", "a": None}}, content_type=MERGE)
    assert merged["code"] == 200 and merged["body"]["data"] == {"b": "2", "m": "1"}
    patched = diff.same("PATCH", CONFIGMAPS + "/p", [
        {"op": "add", "path": "/data/j", "value": "2"}, {"op": "remove", "path": "/data/m"},
        {"op": "test", "path": "/data/b", "value": "2"}], content_type=JSON_PATCH)
    assert patched["code"] == 200 and patched["body"]["data"] == {"b": "2", "j": "2"}
    for failing in ([{"op": "remove", "path": "/data/nope"}], [{"op": "test", "path": "/data/j", "value": "3"}]):
        refused = diff.same("PATCH", CONFIGMAPS + "/p", failing, content_type=JSON_PATCH)
        # v1.34 keeps the patch error to itself: a generic message and empty details.
        assert refused == {"code": 422, "body": {
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": "the server rejected our request due to an error in our request", "reason": "Invalid",
            "details": {}, "code": 422}}
    strategic = diff.same("PATCH", CONFIGMAPS + "/p", {"data": {"s": "3"}, "metadata": {"labels": {"l": "v"}}},
                          content_type=STRATEGIC)
    assert strategic["code"] == 200 and strategic["body"]["data"] == {"b": "2", "j": "2", "s": "3"}
    assert [e["fieldsV1"] for e in strategic["body"]["metadata"]["managedFields"]] == [{
        "f:data": {".": {}, "f:b": {}, "f:j": {}, "f:s": {}}, "f:metadata": {"f:labels": {".": {}, "f:l": {}}}}]


def test_strategic_merge_patch_on_a_custom_resource_is_415(diff: Differ) -> None:
    assert diff.same("POST", NOTEBOOKS, notebook("nb"))["code"] == 201
    refused = diff.same("PATCH", NOTEBOOKS + "/nb", {"metadata": {"labels": {"a": "b"}}}, content_type=STRATEGIC)
    assert refused["code"] == 415 and refused["body"]["reason"] == "UnsupportedMediaType"
    assert refused["body"]["message"] == (
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml")


# --- validation -----------------------------------------------------------------------------
def test_an_invalid_custom_resource_is_422_with_its_fields_in_causes(diff: Differ) -> None:
    wrong_type = notebook("bad")
    wrong_type["spec"]["template"]["spec"]["containers"] = "nope"
    answer = diff.same("POST", NOTEBOOKS, wrong_type)
    assert answer["code"] == 422 and answer["body"]["reason"] == "Invalid"
    assert answer["body"]["details"] == {"name": "bad", "group": "kubeflow.org", "kind": "Notebook", "causes": [{
        "reason": "FieldValueTypeInvalid",
        "message": 'Invalid value: "string": spec.template.spec.containers in body must be of type array: "string"',
        "field": "spec.template.spec.containers"}]}

    several = notebook("bad2")
    several["spec"]["template"]["spec"] = {"containers": [{"image": "i", "name": 5}], "activeDeadlineSeconds": "x"}
    answer = diff.same("POST", NOTEBOOKS, several, unordered=True)
    assert answer["code"] == 422
    assert [(c["field"], c["reason"]) for c in answer["body"]["details"]["causes"]] == [
        ("spec.template.spec.activeDeadlineSeconds", "FieldValueTypeInvalid"),
        ("spec.template.spec.containers[0].name", "FieldValueTypeInvalid")]
    assert diff.same("GET", NOTEBOOKS + "/bad")["code"] == 404


def test_apply_of_a_custom_resource_with_a_type_error(diff: Differ) -> None:
    wrong_type = notebook("bad")
    wrong_type["spec"]["template"]["spec"]["containers"] = "nope"
    both = diff.send("PATCH", NOTEBOOKS + "/bad", wrong_type, content_type=APPLY, fieldManager="alice")
    # kube-apiserver: structured-merge-diff cannot make a typed patch of the body, so it answers a
    # bare 500 (no reason) before any validation runs.
    assert shape(both.real) == {"code": 500, "body": {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "code": 500,
        "message": "failed to create typed patch object (/bad; kubeflow.org/v1, Kind=Notebook): "
                   ".spec.template.spec.containers: expected list, got &{nope}"}}
    # KNOWN DIVERGENCE: kubeserver validates the apply like any write: 422 with the cause.
    assert shape(both.kube) == {"code": 422, "body": {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "code": 422,
        "reason": "Invalid",
        "message": 'Notebook.kubeflow.org "bad" is invalid: spec.template.spec.containers: Invalid value: '
                   '"string": spec.template.spec.containers in body must be of type array: "string"',
        "details": {"name": "bad", "group": "kubeflow.org", "kind": "Notebook", "causes": [{
            "reason": "FieldValueTypeInvalid",
            "message": 'Invalid value: "string": spec.template.spec.containers in body must be of type '
                       'array: "string"',
            "field": "spec.template.spec.containers"}]}}}
    assert diff.same("GET", NOTEBOOKS + "/bad")["code"] == 404  # neither stored anything


def test_field_validation_strict_and_warn(diff: Differ) -> None:
    strict = diff.same("POST", CONFIGMAPS, {**configmap("st"), "extra": 1}, fieldValidation="Strict")
    assert strict["code"] == 400 and strict["body"]["message"] == (
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "extra"')
    body = notebook("nb")
    body["spec"]["x"] = 1
    strict = diff.same("POST", NOTEBOOKS, body, fieldValidation="Strict")
    assert strict["code"] == 400 and strict["body"]["message"] == (
        'Notebook in version "v1" cannot be handled as a Notebook: strict decoding error: unknown field "spec.x"')
    warned = diff.send("POST", NOTEBOOKS, body)
    assert shape(warned.kube) == shape(warned.real) and warned.real.status == 201
    assert warned.kube.headers["warning"] == warned.real.headers["warning"] == '299 - "unknown field \\"spec.x\\""'
    assert "x" not in warned.real.json["spec"]


# --- dry run --------------------------------------------------------------------------------
def test_dry_run_all_stores_nothing(diff: Differ) -> None:
    would = diff.same("POST", CONFIGMAPS, configmap("d", a="1"), dryRun="All")
    assert would["code"] == 201 and would["body"]["data"] == {"a": "1"}
    assert diff.same("GET", CONFIGMAPS + "/d")["code"] == 404
    assert diff.same("POST", CONFIGMAPS, configmap("d", a="1"))["code"] == 201
    applied = diff.same("PATCH", CONFIGMAPS + "/d", configmap("d", z="1"), content_type=APPLY, fieldManager="carol",
                        dryRun="All")
    assert applied["code"] == 200 and applied["body"]["data"] == {"a": "1", "z": "1"}
    assert diff.same("GET", CONFIGMAPS + "/d")["body"]["data"] == {"a": "1"}
    gone = diff.same("DELETE", CONFIGMAPS + "/d", dryRun="All")
    assert gone["code"] == 200 and gone["body"]["status"] == "Success"
    assert diff.same("GET", CONFIGMAPS + "/d")["code"] == 200

    held = notebook("nb", finalizers=["example.com/hold"])
    assert diff.same("POST", NOTEBOOKS, held)["code"] == 201
    marked = diff.same("DELETE", NOTEBOOKS + "/nb", dryRun="All")  # what a DELETE would leave
    assert marked["code"] == 200
    assert marked["body"]["metadata"]["deletionGracePeriodSeconds"] == 0
    assert marked["body"]["metadata"]["generation"] == 2
    stored = diff.same("GET", NOTEBOOKS + "/nb")
    assert stored["body"]["metadata"]["generation"] == 1 and "deletionGracePeriodSeconds" not in stored["body"]["metadata"]
    assert diff.same("PATCH", NOTEBOOKS + "/nb", {"metadata": {"finalizers": None}}, content_type=MERGE)["code"] == 200
    assert diff.same("DELETE", NOTEBOOKS + "/nb", dryRun="All")["body"]["status"] == "Success"


# --- deletion -----------------------------------------------------------------------------
def test_deletes_answer_a_status_or_the_object_held_by_finalizers(diff: Differ) -> None:
    assert diff.same("POST", CONFIGMAPS, configmap("c"))["code"] == 201
    gone = diff.same("DELETE", CONFIGMAPS + "/c")
    assert gone == {"code": 200, "body": {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                                          "details": {"name": "c", "kind": "configmaps"}}}
    assert diff.same("POST", NOTEBOOKS, notebook("free"))["code"] == 201
    gone = diff.same("DELETE", NOTEBOOKS + "/free")
    assert gone["body"] == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                            "details": {"name": "free", "group": "kubeflow.org", "kind": "notebooks"}}
    assert diff.same("POST", NOTEBOOKS, notebook("held", finalizers=["example.com/hold"]))["code"] == 201
    marked = diff.same("DELETE", NOTEBOOKS + "/held")
    assert marked["code"] == 200 and marked["body"]["metadata"]["finalizers"] == ["example.com/hold"]
    assert marked["body"]["metadata"]["generation"] == 2  # setting deletionTimestamp bumps it
    again = diff.send("DELETE", NOTEBOOKS + "/held")
    assert shape(again.kube) == shape(again.real) and again.real.json["metadata"]["generation"] == 2
    final = diff.same("PATCH", NOTEBOOKS + "/held", {"metadata": {"finalizers": None}}, content_type=MERGE)
    assert final["code"] == 200 and "finalizers" not in final["body"]["metadata"]
    assert diff.same("GET", NOTEBOOKS + "/held")["code"] == 404
    assert diff.same("DELETE", NOTEBOOKS + "/held")["code"] == 404


# --- generation -----------------------------------------------------------------------------
def test_generation_of_a_custom_resource(diff: Differ) -> None:
    def generation(answer: dict[str, Any]) -> int:
        assert answer["code"] in (200, 201), answer
        return int(answer["body"]["metadata"]["generation"])

    assert generation(diff.same("POST", NOTEBOOKS, notebook("nb"))) == 1
    spec = {"spec": {"template": {"spec": {"containers": [{"name": "main", "image": "jupyter:2"}]}}}}
    assert generation(diff.same("PATCH", NOTEBOOKS + "/nb", spec, content_type=MERGE)) == 2
    assert generation(diff.same("PATCH", NOTEBOOKS + "/nb", spec, content_type=MERGE)) == 2  # no change
    assert generation(diff.same("PATCH", NOTEBOOKS + "/nb", {"metadata": {"labels": {"a": "b"}}},
                                content_type=MERGE)) == 2
    status = {"status": {"readyReplicas": 1, "containerState": {}, "conditions": []}}
    assert generation(diff.same("PATCH", NOTEBOOKS + "/nb/status", status, content_type=MERGE)) == 2
    assert generation(diff.same("PATCH", NOTEBOOKS + "/nb", {"status": {"readyReplicas": 5}},
                                content_type=MERGE)) == 2  # status is only written through /status
    applied = notebook("nb", "jupyter:3")
    assert generation(diff.same("PATCH", NOTEBOOKS + "/nb", applied, content_type=APPLY, fieldManager="m",
                                force="true")) == 3
    before = diff.send("GET", NOTEBOOKS + "/nb")
    after = diff.send("PATCH", NOTEBOOKS + "/nb", applied, content_type=APPLY, fieldManager="m")
    for old, new in ((before.real, after.real), (before.kube, after.kube)):
        assert rv_of(new) == rv_of(old)  # a no-op apply writes nothing


# --- PersistentVolumeClaims -------------------------------------------------------------------
def test_a_claim_reads_back_canonical_with_its_protection_finalizer(diff: Differ) -> None:
    created = diff.same("POST", CLAIMS, claim("data", "1024Mi"))
    assert created["code"] == 201
    body = created["body"]
    assert body["spec"] == {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}},
                            "volumeMode": "Filesystem"}
    assert body["status"] == {"phase": "Pending"}
    assert body["metadata"]["finalizers"] == ["kubernetes.io/pvc-protection"]  # admission adds it, unowned
    assert body["metadata"]["managedFields"][0]["fieldsV1"] == {"f:spec": {
        "f:accessModes": {}, "f:resources": {"f:requests": {".": {}, "f:storage": {}}}, "f:volumeMode": {}}}
    assert diff.same("GET", CLAIMS + "/data") == created | {"code": 200}

    odd = diff.same("POST", CLAIMS, claim("odd", "1.5Gi", resources={"requests": {"storage": "1.5Gi"},
                                                                     "limits": {"storage": "2048M"}}))
    assert odd["body"]["spec"]["resources"] == {"requests": {"storage": "1536Mi"}, "limits": {"storage": "2048M"}}
    # Applying the same amount written another way is a change of the field, owned by raw-test.
    clash = diff.same("PATCH", CLAIMS + "/data", claim("data", "1024Mi"), content_type=APPLY, fieldManager="m")
    assert clash["code"] == 409 and clash["body"]["details"]["causes"][0]["field"] == ".spec.resources.requests.storage"
    mine = diff.same("PATCH", CLAIMS + "/mine", claim("mine", "1024Mi"), content_type=APPLY, fieldManager="m")
    assert mine["code"] == 201 and mine["body"]["spec"]["resources"]["requests"]["storage"] == "1Gi"
    again = diff.same("PATCH", CLAIMS + "/mine", claim("mine", "1024Mi"), content_type=APPLY, fieldManager="m")
    assert again == mine | {"code": 200}


def test_a_claim_spec_is_immutable(diff: Differ) -> None:
    assert diff.same("POST", CLAIMS, claim("data", "1Gi"))["code"] == 201
    for change in ({"spec": {"accessModes": ["ReadWriteMany"]}},
                   {"spec": {"resources": {"requests": {"storage": "2Gi"}}}}):  # unbound: no expansion
        both = diff.send("PATCH", CLAIMS + "/data", change, content_type=MERGE)
        assert shape(both.kube, messages=False) == shape(both.real, messages=False)
        assert both.real.status == 422 and both.real.json["details"]["causes"][0]["field"] == "spec"
        prefix = ("Forbidden: spec is immutable after creation except resources.requests and "
                  "volumeAttributesClassName for bound claims")
        # KNOWN DIVERGENCE (message only): the real message goes on with a diff of the Go structs.
        assert both.real.json["details"]["causes"][0]["message"].startswith(prefix + "\n@@ ")
        assert both.kube.json["details"]["causes"][0]["message"] == prefix
    labelled = diff.same("PATCH", CLAIMS + "/data", {"metadata": {"labels": {"a": "b"}}}, content_type=MERGE)
    assert labelled["code"] == 200
    bound = diff.same("PATCH", CLAIMS + "/data", {"spec": {"volumeName": "pv-1"}}, content_type=MERGE)
    assert bound["code"] == 200  # volumeName may be set once
    rebound = diff.same("PATCH", CLAIMS + "/data", {"spec": {"volumeName": "pv-2"}}, content_type=MERGE,
                        messages=False)
    assert rebound["code"] == 422 and rebound["body"]["details"]["causes"][0]["field"] == "spec"


def test_a_claim_is_validated(diff: Differ) -> None:
    empty = diff.same("POST", CLAIMS, {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                                       "metadata": {"name": "e"}, "spec": {}})
    assert empty["code"] == 422
    assert [(c["field"], c["reason"]) for c in empty["body"]["details"]["causes"]] == [
        ("spec.accessModes", "FieldValueRequired"), ("spec.resources[storage]", "FieldValueRequired")]
    mode = diff.same("POST", CLAIMS, claim("m", "1Gi", accessModes=["Sometimes"]))
    assert mode["code"] == 422 and mode["body"]["details"]["causes"][0]["reason"] == "FieldValueNotSupported"
    amount = diff.same("POST", CLAIMS, claim("q", "lots"))
    assert amount["code"] == 400 and "quantities must match the regular expression" in amount["body"]["message"]


def test_deleting_a_claim(diff: Differ) -> None:
    assert diff.same("POST", CLAIMS, claim("data"))["code"] == 201
    deleted = diff.same("DELETE", CLAIMS + "/data")
    # The answer is the claim held by its finalizer; the pvc-protection controller then removes it.
    assert deleted["code"] == 200 and deleted["body"]["metadata"]["finalizers"] == ["kubernetes.io/pvc-protection"]
    assert deleted["body"]["metadata"]["deletionGracePeriodSeconds"] == 0
    assert until(lambda: call(diff.real, "GET", CLAIMS.format(ns=diff.ns) + "/data").status == 404, timeout=30)
    assert diff.same("GET", CLAIMS + "/data")["code"] == 404  # kubeserver: gone at once (no pod uses it)


# --- namespaces -----------------------------------------------------------------------------
def test_deleting_a_namespace(diff: Differ) -> None:
    assert diff.same("POST", CONFIGMAPS, configmap("c"))["code"] == 201
    deleted = diff.same("DELETE", f"/api/v1/namespaces/{diff.ns}")
    assert deleted["code"] == 200 and deleted["body"]["status"] == {"phase": "Terminating"}
    assert "deletionGracePeriodSeconds" not in deleted["body"]["metadata"]
    path = f"/api/v1/namespaces/{diff.ns}"
    # KNOWN DIVERGENCE: the real namespace controller empties the namespace in the background
    # (the namespace reads Terminating meanwhile); kubeserver does it inside the DELETE.
    real = call(diff.real, "GET", path)
    assert real.status == 200 and real.json["status"]["phase"] == "Terminating"
    assert call(diff.kube, "GET", path).status == 404
    assert until(lambda: call(diff.real, "GET", path).status == 404, timeout=30)
    assert diff.same("GET", path)["code"] == 404
    assert diff.same("GET", CONFIGMAPS + "/c")["code"] == 404


def test_a_terminating_namespace_refuses_new_content(diff: Differ) -> None:
    assert diff.same("POST", NOTEBOOKS, notebook("held", finalizers=["example.com/hold"]))["code"] == 201
    assert diff.same("DELETE", f"/api/v1/namespaces/{diff.ns}")["code"] == 200
    both = diff.send("GET", f"/api/v1/namespaces/{diff.ns}")  # kept by the Notebook's finalizer
    for answer in (both.real, both.kube):
        assert answer.status == 200 and answer.json["status"]["phase"] == "Terminating"
    refused = diff.same("POST", CONFIGMAPS, configmap("late"))
    assert refused == {"code": 403, "body": {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "reason": "Forbidden",
        "message": f'configmaps "late" is forbidden: unable to create new content in namespace {diff.ns} '
                   "because it is being terminated",
        "details": {"name": "late", "kind": "configmaps", "causes": [{
            "reason": "NamespaceTerminating", "message": f"namespace {diff.ns} is being terminated",
            "field": "metadata.namespace"}]},
        "code": 403}}


# --- watches ------------------------------------------------------------------------------
def test_watch_from_a_resource_version_replays_events_and_sends_no_bookmark_before_a_short_timeout(
        diff: Differ) -> None:
    start = diff.send("GET", CONFIGMAPS)
    assert diff.same("POST", CONFIGMAPS, configmap("a", k="1"))["code"] == 201
    assert diff.same("PATCH", CONFIGMAPS + "/a", {"data": {"k": "2"}}, content_type=MERGE)["code"] == 200
    assert diff.same("POST", CONFIGMAPS, configmap("b"))["code"] == 201
    assert diff.same("DELETE", CONFIGMAPS + "/b")["code"] == 200
    watched = diff.send("GET", CONFIGMAPS, watch="true", resourceVersion=PerServer.rv(start), timeoutSeconds="1",
                        allowWatchBookmarks="true")
    # The watch cache's bookmarks come after live events and 2 s before the timeout: neither here.
    expected = [("ADDED", "a"), ("MODIFIED", "a"), ("ADDED", "b"), ("DELETED", "b")]
    assert events(watched.real) == events(watched.kube) == expected


def test_watch_without_a_resource_version_ends_its_initial_events_with_a_bookmark(diff: Differ) -> None:
    assert diff.same("POST", CONFIGMAPS, configmap("a"))["code"] == 201
    for query in ({}, {"resourceVersion": "0"}):
        both = diff.send("GET", CONFIGMAPS, watch="true", timeoutSeconds="1", allowWatchBookmarks="true", **query)
        assert events(both.real) == events(both.kube) == [("ADDED", "a"), ("BOOKMARK", None)]
        for answer in (both.real, both.kube):
            mark = json.loads(answer.raw.splitlines()[-1])["object"]["metadata"]
            assert mark["annotations"] == {"k8s.io/initial-events-end": "true"}
    plain = diff.send("GET", CONFIGMAPS, watch="true", timeoutSeconds="1")
    assert events(plain.real) == events(plain.kube) == [("ADDED", "a")]


def test_watch_during_writes(diff: Differ) -> None:
    start = diff.send("GET", CONFIGMAPS)
    with ThreadPoolExecutor(1) as pool:
        watching = pool.submit(diff.send, "GET", CONFIGMAPS, watch="true", resourceVersion=PerServer.rv(start),
                               timeoutSeconds="2", allowWatchBookmarks="true")
        time.sleep(0.3)
        assert call(diff.real, "POST", CONFIGMAPS.format(ns=diff.ns), configmap("live")).status == 201
        assert call(diff.kube, "POST", CONFIGMAPS.format(ns=diff.ns), configmap("live")).status == 201
        assert call(diff.real, "DELETE", CONFIGMAPS.format(ns=diff.ns) + "/live").status == 200
        assert call(diff.kube, "DELETE", CONFIGMAPS.format(ns=diff.ns) + "/live").status == 200
        watched = watching.result()
    for answer in (watched.real, watched.kube):
        seen = events(answer)
        assert [e for e in seen if e[0] != "BOOKMARK"] == [("ADDED", "live"), ("DELETED", "live")]
        # Bookmarks (on the real watch cache's next dispatch tick after the events; about a second
        # after them on kubeserver) never go back before an event already sent.
        lines = [json.loads(line) for line in answer.raw.splitlines()]
        last_event = max(int(e["object"]["metadata"]["resourceVersion"]) for e in lines if e["type"] != "BOOKMARK")
        assert all(int(e["object"]["metadata"]["resourceVersion"]) >= last_event
                   for e in lines if e["type"] == "BOOKMARK")


def test_watch_from_before_the_watch_cache_is_410_expired(diff: Differ) -> None:
    # A custom resource's watch cache starts when its CRD is established: resourceVersion 1 is
    # older on both servers (a built-in's window depends on when the real apiserver started).
    both = diff.send("GET", NOTEBOOKS, watch="true", resourceVersion="1", timeoutSeconds="1")
    for answer in (both.real, both.kube):
        [(kind, status)] = events(answer)
        assert kind == "ERROR"
        assert status["code"] == 410 and status["reason"] == "Expired"
        assert re.fullmatch(r"too old resource version: 1 \(\d+\)", status["message"])
        assert status == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                          "message": status["message"], "reason": "Expired", "code": 410}


def test_invalid_resource_versions(diff: Differ) -> None:
    assert diff.same("POST", CONFIGMAPS, configmap("a"))["code"] == 201
    listed = diff.same("GET", CONFIGMAPS, resourceVersion="abc")
    assert listed["code"] == 400 and listed["body"]["reason"] == "BadRequest"
    got = diff.same("GET", CONFIGMAPS + "/a", resourceVersion="abc")
    watched = diff.same("GET", CONFIGMAPS, resourceVersion="abc", watch="true", timeoutSeconds="1")
    for answer in (got, watched):
        assert answer["code"] == 500 and "reason" not in answer["body"]  # the storage layer's bare error


def test_list_at_an_exact_old_resource_version(diff: Differ) -> None:
    before = diff.send("GET", CONFIGMAPS)
    assert diff.same("POST", CONFIGMAPS, configmap("a"))["code"] == 201
    both = diff.send("GET", CONFIGMAPS, resourceVersion=PerServer.rv(before), resourceVersionMatch="Exact")
    assert both.real.status == 200 and both.real.json["items"] == []  # the list as it was then
    assert rv_of(both.real) == rv_of(before.real)
    # KNOWN DIVERGENCE: kubeserver keeps no old states; every list is of the latest.
    assert both.kube.status == 200 and [i["metadata"]["name"] for i in both.kube.json["items"]] == ["a"]
    assert rv_of(both.kube) != rv_of(before.kube)


# --- paths nothing serves -------------------------------------------------------------------------
def test_paths_nothing_serves(diff: Differ) -> None:
    for path in ("/api/v1/namespaces/{ns}/widgets", "/apis/coordination.k8s.io/v1/namespaces/{ns}/widgets",
                 CONFIGMAPS + "/x/status"):
        builtin = diff.same("GET", path)
        assert builtin["code"] == 404 and builtin["body"]["details"] == {}
        assert builtin["body"]["message"] == "the server could not find the requested resource"
    # Outside the built-in group-versions (a CRD's group, another version of it, an unknown group)
    # the answer is the last handler's plain text, not a Status.
    for path in ("/apis/kubeflow.org/v1/namespaces/{ns}/widgets", "/apis/kubeflow.org/v9/namespaces/{ns}/notebooks",
                 "/apis/example.com/v1/widgets"):
        both = diff.send("GET", path)
        for answer in (both.real, both.kube):
            assert (answer.status, answer.headers["content-type"], answer.raw) == (
                404, "text/plain; charset=utf-8", b"404 page not found\n")
    not_allowed = diff.same("POST", CONFIGMAPS + "/x", configmap("x"))
    assert not_allowed["code"] == 405 and not_allowed["body"]["details"] == {}


# --- Events (what platformctl records about the objects it manages) ---------------------------
EVENTS = "/api/v1/namespaces/{ns}/events"


def event(name: str, namespace: str, involved_namespace: str | None = None, **extra: Any) -> dict[str, Any]:
    involved = {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService", "name": "fraud"}
    if involved_namespace is not False:
        involved["namespace"] = involved_namespace or namespace
    return {"apiVersion": "v1", "kind": "Event", "metadata": {"name": name, "namespace": namespace},
            "involvedObject": involved, "reason": "Configured", "message": "configured at abc", "type": "Normal",
            "source": {"component": "platformctl"}, "reportingComponent": "platformctl",
            "reportingInstance": "test", "firstTimestamp": "2026-12-06T00:00:00Z",
            "lastTimestamp": "2026-12-06T00:00:00Z", "count": 1, **extra}


def test_events_are_created_their_count_merge_patched_and_404_once_gone(diff: Differ) -> None:
    created = diff.same("POST", EVENTS, event("fraud.17f", diff.ns))
    assert created["code"] == 201 and created["body"]["count"] == 1
    patched = diff.same("PATCH", EVENTS + "/fraud.17f", {"count": 2, "lastTimestamp": "2026-12-06T00:01:00Z"},
                        content_type=MERGE)
    assert patched["code"] == 200 and (patched["body"]["count"], patched["body"]["firstTimestamp"]) == (
        2, "2026-12-06T00:00:00Z")
    listed = diff.same("GET", EVENTS)
    assert [(e["metadata"]["name"], e["count"]) for e in listed["body"]["items"]] == [("fraud.17f", 2)]
    assert diff.same("DELETE", EVENTS + "/fraud.17f")["code"] == 200
    gone = diff.same("PATCH", EVENTS + "/fraud.17f", {"count": 3}, content_type=MERGE)
    assert gone["code"] == 404 and gone["body"]["reason"] == "NotFound"
    missing = diff.same("POST", "/api/v1/namespaces/no-such-namespace/events", event("x.1", "no-such-namespace"))
    assert missing["code"] == 404
