"""The pure helpers of the cluster layer: selectors, throttle and backoff, error mapping, inventory text."""

from __future__ import annotations

import threading

import pytest

from reconciler.cluster.base import KindRef
from reconciler.cluster.inventory_codec import decode_inventory, encode_inventory
from reconciler.cluster.kube.errors import error_for, retry_after
from reconciler.cluster.kube.throttle import TokenBucket, full_jitter
from reconciler.cluster.selectors import parse_selector
from reconciler.errors import Conflict, Forbidden, Invalid, NotFound, Unavailable
from reconciler.inventory import Inventory
from reconciler.objects import ObjectKey
from tests.cluster.conftest import FakeTime

NOTEBOOK = KindRef("kubeflow.org/v1", "Notebook", "notebooks", True)


@pytest.mark.parametrize(("text", "labels", "expected"), [
    ("", {}, True),
    ("a=1", {"a": "1"}, True),
    ("a = 1", {"a": "2"}, False),
    ("a!=1", {}, True),
    ("a in (1, 2),b", {"a": "2", "b": ""}, True),
    ("a notin (1)", {"a": "1"}, False),
    ("!a", {"b": "1"}, True),
    ("app.kubernetes.io/name=x", {"app.kubernetes.io/name": "x"}, True),
    ("a=", {"a": ""}, True),
])
def test_selector_matching(text: str, labels: dict[str, str], expected: bool) -> None:
    assert parse_selector(text).matches(labels) is expected


@pytest.mark.parametrize("text", ["a in ()", "=x", "a in (1", "a b"])
def test_selector_syntax_errors_are_invalid(text: str) -> None:
    with pytest.raises(Invalid):
        parse_selector(text)


def test_token_bucket_allows_a_burst_then_the_rate() -> None:
    fake = FakeTime()
    bucket = TokenBucket(5, 2, clock=fake.clock, sleep=fake.sleep)
    waits = [bucket.acquire() for _ in range(4)]
    assert waits == [0.0, 0.0, pytest.approx(0.2), pytest.approx(0.2)]
    fake.now += 10  # idle time refills the bucket, but only up to the burst
    assert [bucket.acquire() for _ in range(3)] == [0.0, 0.0, pytest.approx(0.2)]
    assert bucket.waited == pytest.approx(0.6)


def test_token_bucket_queues_concurrent_callers() -> None:
    fake = FakeTime()
    bucket = TokenBucket(10, 1, clock=fake.clock, sleep=lambda s: None)  # time stands still
    threads = [threading.Thread(target=bucket.acquire) for _ in range(11)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert bucket.waited == pytest.approx(sum(i / 10 for i in range(1, 11)))  # reservations queue up


def test_full_jitter_is_bounded_and_capped() -> None:
    assert full_jitter(0, 0.2, 10, lambda: 1.0) == pytest.approx(0.2)
    assert full_jitter(3, 0.2, 10, lambda: 1.0) == pytest.approx(1.6)
    assert full_jitter(60, 0.2, 10, lambda: 1.0) == 10
    assert full_jitter(5, 0.2, 10, lambda: 0.0) == 0


KEY = ObjectKey("kubeflow.org", "Notebook", "ns", "nb")


@pytest.mark.parametrize(("status", "body", "error"), [
    (404, b'{"kind":"Status","message":"notebooks.kubeflow.org \\"nb\\" not found","details":{"name":"nb"}}', NotFound),
    (403, b'{"message":"forbidden"}', Forbidden),
    (401, b"Unauthorized", Forbidden),
    (409, b'{"message":"conflict"}', Conflict),
    (410, b'{"message":"expired"}', Conflict),
    (400, b"bad", Invalid),
    (415, b"{}", Invalid),
    (500, b"", Unavailable),
    (502, b"<html>bad gateway</html>", Unavailable),
    (429, b"Too many requests, please try again later.\n", Unavailable),
])
def test_status_codes_map_in_one_place(status: int, body: bytes, error: type[Exception]) -> None:
    mapped = error_for(status, {}, body, key=KEY, kind=NOTEBOOK, cluster="c")
    assert type(mapped) is error and mapped.key == KEY and mapped.status == status
    assert mapped.message


def test_invalid_carries_causes_and_route_404_names_the_kind() -> None:
    body = (b'{"kind":"Status","message":"Notebook.kubeflow.org \\"nb\\" is invalid","reason":"Invalid",'
            b'"details":{"causes":[{"reason":"FieldValueInvalid","message":"Invalid value","field":"spec.x"},'
            b'{"message":"no field"}]},"code":422}')
    invalid = error_for(422, {}, body, key=KEY, kind=NOTEBOOK, cluster="c")
    assert isinstance(invalid, Invalid) and invalid.causes == ["spec.x: Invalid value", "no field"]
    route = error_for(404, {}, b'{"message":"the server could not find the requested resource","details":{}}',
                      key=KEY, kind=NOTEBOOK, cluster="east")
    assert "cluster east does not serve Notebook (kubeflow.org/v1)" in route.message
    assert "CustomResourceDefinition" in route.message
    assert len(error_for(500, {}, b"x" * 5000, key=None, kind=None, cluster="c").message) == 300


def test_retry_after_from_header_or_status_body() -> None:
    assert retry_after({"Retry-After": "3"}, None) == 3.0
    assert retry_after({}, {"details": {"retryAfterSeconds": 2}}) == 2.0
    assert retry_after({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, None) is None
    assert retry_after({}, None) is None


def test_inventory_text_is_stable_and_round_trips() -> None:
    inventory = Inventory("dev", "r1", (ObjectKey("", "ConfigMap", "ns", "b"), ObjectKey("", "Namespace", "", "ns")),
                          {"/ConfigMap": "v1", "/Namespace": "v1"})
    text = encode_inventory(inventory)
    assert '"|ConfigMap|ns|b"' in text and '"|Namespace||ns"' in text
    reordered = Inventory("dev", "r1", tuple(reversed(inventory.objects)), inventory.api_versions)
    assert encode_inventory(reordered) == text
    assert decode_inventory(text, "here").keys() == inventory.keys()


@pytest.mark.parametrize("text", ["", "[]", '{"environment": "dev"}', '{"environment":"d","revision":"r","objects":["a|b"]}'])
def test_damaged_inventory_is_invalid(text: str) -> None:
    with pytest.raises(Invalid, match="damaged"):
        decode_inventory(text, "ConfigMap ns/x")


def test_a_typed_patch_failure_answered_as_500_is_the_requests_fault() -> None:
    # kube-apiserver's real answer (seen in tests/real) to an apply body with a string where a list belongs.
    raw = (b'{"kind":"Status","apiVersion":"v1","status":"Failure","code":500,"message":"failed to create typed '
           b'patch object (ns/nb; kubeflow.org/v1, Kind=Notebook): .spec.template.spec.containers[0].ports: '
           b'expected list, got \\u0026{8888}"}')
    error = error_for(500, {}, raw, key=None, kind=NOTEBOOK, cluster="c")
    assert isinstance(error, Invalid)
    assert error.causes == ["spec.template.spec.containers[0].ports: expected list, got &{8888}"]
    plain = error_for(500, {}, b'{"kind":"Status","code":500,"message":"etcdserver: leader changed"}',
                      key=None, kind=NOTEBOOK, cluster="c")
    assert isinstance(plain, Unavailable)


def test_kept_marks_round_trip_and_an_inventory_without_them_still_decodes() -> None:
    pvc, notebook = ObjectKey("", "PersistentVolumeClaim", "ml", "data"), ObjectKey("kubeflow.org", "Notebook", "ml", "nb")
    inventory = Inventory("dev", "r2", (pvc, notebook), {"/PersistentVolumeClaim": "v1"}, (pvc,))
    assert decode_inventory(encode_inventory(inventory), "here").kept_keys() == {pvc}
    old = ('{"format": 1, "environment": "dev", "revision": "r1", "objects": ["|PersistentVolumeClaim|ml|data"], '
           '"api_versions": {"/PersistentVolumeClaim": "v1"}}')
    decoded = decode_inventory(old, "here")
    assert decoded.keys() == {pvc} and decoded.kept == ()
    assert '"kept"' not in encode_inventory(decoded)  # nothing kept: the text an older platformctl wrote
