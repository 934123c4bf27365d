"""Pausing Python's cyclic garbage collector around batch work that builds many objects.

Loading, rendering and checking a platform allocate hundreds of thousands of dicts and lists
that refcounting frees on its own (they hold no cycles). Each allocation burst still triggers
the cyclic collector, whose full passes traverse every live container: the cost of a batch
grows with the size of what is already loaded, so rendering 10,000 components took several
times longer per object than 1,000. Paused for the batch, every object is freed as before;
only cycles wait for the next pass.

When the last batch ends, what it allocated and still holds moves straight to the oldest
generation (``gc.freeze`` then ``gc.unfreeze``, two list splices). Re-enabled as it was, the
collector would first traverse every one of those objects in a young-generation pass: 0.3 s
after a load of 10,000 components, a seventh of the load. Cycles among them are found by the
next full pass, as for any long-lived object.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = False
PAUSING = True
"""False turns the pause off (bench/render_bench.py measures both ways in one run)."""


@contextmanager
def collection_paused() -> Iterator[None]:
    """Disable the cyclic collector for the block (re-entrant and thread-safe: it is enabled again, if it was
    enabled before, when the last overlapping block ends)."""
    global _depth, _was_enabled
    if not PAUSING:
        yield
        return
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                _promote_survivors()
                gc.enable()


def _promote_survivors() -> None:
    """Move every tracked object to the oldest generation without traversing them (CPython: O(1))."""
    if gc.get_freeze_count() == 0:  # never thaw what the application froze on purpose
        gc.freeze()
        gc.unfreeze()
