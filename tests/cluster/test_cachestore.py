"""The watch cache's store (pure): when it may be planned from, and when reads must go to the server."""

from __future__ import annotations

from typing import Any

from reconciler.cluster.kube.cachestore import WatchStore

GROUP = ("v1", "ConfigMap", "team", "")


def _cm(name: str, version: int | str, **data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "data": data,
            "metadata": {"name": name, "namespace": "team", "resourceVersion": str(version),
                         "managedFields": [{"manager": "platformctl", "operation": "Apply",
                                            "fieldsV1": {"f:data": {}}}]}}


def test_a_group_answers_only_once_listed_and_until_its_watch_breaks() -> None:
    store = WatchStore()
    assert store.read(GROUP) is None
    store.replace(GROUP, [_cm("a", 5)], "7")
    found = store.read(GROUP)
    assert found is not None and [o["metadata"]["name"] for o in found] == ["a"]
    assert found[0]["metadata"]["managedFields"] == [{"manager": "platformctl", "operation": "Apply"}]  # slimmed
    store.event(GROUP, "ADDED", _cm("b", 8))
    store.event(GROUP, "DELETED", _cm("a", 9))
    assert store.lookup(GROUP, "b")[0] and store.lookup(GROUP, "a") == (True, None)
    store.unsync(GROUP)
    assert store.read(GROUP) is None and store.lookup(GROUP, "b") == (False, None)
    store.replace(GROUP, [_cm("b", 8)], "10")
    assert store.read(GROUP) is not None
    assert store.counts().lists == 2 and store.counts().relists == 1


def test_our_write_is_read_from_the_server_until_the_watch_reaches_its_version() -> None:
    store = WatchStore()
    store.replace(GROUP, [_cm("a", 5)], "7")
    store.wrote(GROUP, _cm("a", 12, key="new"))
    assert store.read(GROUP) is None
    store.event(GROUP, "BOOKMARK", {"metadata": {"resourceVersion": "11"}})
    assert store.read(GROUP) is None
    store.event(GROUP, "MODIFIED", _cm("a", 12, key="new"))
    found = store.read(GROUP)
    assert found is not None and found[0]["data"] == {"key": "new"}


def test_a_write_the_watch_delivered_first_is_not_waited_for() -> None:
    store = WatchStore()
    store.replace(GROUP, [], "7")
    store.event(GROUP, "ADDED", _cm("a", 9))
    store.wrote(GROUP, _cm("a", 9))
    assert store.read(GROUP) is not None


def test_our_delete_is_read_from_the_server_until_the_watch_delivers_it() -> None:
    store = WatchStore()
    store.replace(GROUP, [_cm("a", 5), _cm("b", 6)], "7")
    store.deleting(GROUP, "a")
    assert store.read(GROUP) is None
    store.event(GROUP, "MODIFIED", _cm("b", 8))
    assert store.read(GROUP) is None
    store.event(GROUP, "DELETED", _cm("a", 9))
    found = store.read(GROUP)
    assert found is not None and [o["metadata"]["name"] for o in found] == ["b"]


def test_a_delete_a_relist_no_longer_shows_is_done() -> None:
    store = WatchStore()
    store.replace(GROUP, [_cm("a", 5)], "7")
    store.deleting(GROUP, "a")
    store.replace(GROUP, [], "9")
    assert store.read(GROUP) == []


def test_a_resource_version_that_is_not_a_number_is_not_trusted() -> None:
    store = WatchStore()
    store.replace(GROUP, [_cm("a", 5)], "not-a-number")
    assert store.read(GROUP) is None
    store.replace(GROUP, [_cm("a", 5)], "7")
    store.event(GROUP, "MODIFIED", _cm("a", "abc"))
    assert store.read(GROUP) is None
