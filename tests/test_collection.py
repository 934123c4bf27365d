"""The cyclic collector is paused only while batch work runs, and comes back as it was."""

from __future__ import annotations

import gc
import threading

from reconciler.collection import collection_paused


def test_paused_inside_and_restored_after_nested_and_overlapping_blocks() -> None:
    assert gc.isenabled()
    with collection_paused():
        assert not gc.isenabled()
        with collection_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer block still runs
    assert gc.isenabled()

    inside, release = threading.Event(), threading.Event()

    def other() -> None:
        with collection_paused():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=other)
    thread.start()
    inside.wait(5)
    with collection_paused():
        pass
    assert not gc.isenabled()  # the other thread's block still runs
    release.set()
    thread.join(5)
    assert gc.isenabled()


def test_a_collector_disabled_beforehand_stays_disabled() -> None:
    gc.disable()
    try:
        with collection_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_what_a_batch_keeps_is_not_traversed_again_and_its_cycles_are_still_collected() -> None:
    gc.collect()
    with collection_paused():
        kept = [[i] for i in range(50_000)]  # far more than a young generation holds (700)
        for _ in range(100):
            _Cycle()  # garbage only the cyclic collector can free
    # the batch's survivors went to the oldest generation in one step, not through a young pass over them
    oldest = {id(o) for o in gc.get_objects(generation=2)}
    assert id(kept[0]) in oldest and id(kept[-1]) in oldest
    assert gc.get_freeze_count() == 0
    assert gc.collect() >= 100  # the cycles made during the batch are found by a full pass


def test_objects_the_application_froze_stay_frozen() -> None:
    frozen_by_the_application = [[]]
    gc.freeze()
    try:
        with collection_paused():
            [[i] for i in range(1000)]
        tracked = {id(o) for generation in range(3) for o in gc.get_objects(generation=generation)}
        assert gc.is_tracked(frozen_by_the_application) and id(frozen_by_the_application) not in tracked
    finally:
        gc.unfreeze()
