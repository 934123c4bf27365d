"""What makes the daemon look at its source: a coalescing trigger fed by webhooks and a file watcher.

Poll and drift ticks are deadlines on the daemon's Scheduler; pushes and file events fire
the ``CoalescingTrigger``. However many fire between two steps, the next step refreshes once.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver


class CoalescingTrigger:
    """A level, not a queue: ``fire`` sets it (counting reasons), ``take`` clears it. Thread-safe, never blocks."""

    def __init__(self, wake: threading.Event | None = None) -> None:
        self._lock = threading.Lock()
        self._reasons: Counter[str] = Counter()
        self._fired = threading.Event()
        self._wake = wake

    def fire(self, reason: str) -> None:
        """Ask for a refresh (cheap: safe from signal-free callbacks like HTTP handlers)."""
        with self._lock:
            self._reasons[reason] += 1
        self._fired.set()
        if self._wake is not None:
            self._wake.set()

    def take(self) -> dict[str, int]:
        """Reasons fired since the last take, with counts ({} when none); clears the trigger."""
        with self._lock:
            reasons = dict(self._reasons)
            self._reasons.clear()
            self._fired.clear()
        return reasons

    def wait(self, timeout: float) -> bool:
        """Block until fired (bounded); True when it has been."""
        return self._fired.wait(timeout)


def push_handler(trigger: CoalescingTrigger, branch: str) -> Callable[[str], None]:
    """The Endpoints ``on_push`` callback: a push to our branch fires the trigger, others are ignored."""
    wanted = {branch, f"refs/heads/{branch}"}

    def on_push(ref: str) -> None:
        if ref in wanted:
            trigger.fire("webhook")

    return on_push


class RefWatcher:
    """Fires a trigger when Git refs change under the watched directories (watchdog observer thread)."""

    def __init__(self, paths: list[tuple[Path, bool]], trigger: CoalescingTrigger) -> None:
        self._paths = paths
        self._handler = _RefEvents(trigger)
        self._observer: BaseObserver | None = None

    def start(self) -> None:
        """Start watching (no-op without paths)."""
        if not self._paths or self._observer is not None:
            return
        observer = Observer()
        for path, recursive in self._paths:
            if path.is_dir():
                observer.schedule(self._handler, str(path), recursive=recursive)
        observer.daemon = True
        observer.start()
        self._observer = observer

    def stop(self) -> None:
        """Stop watching and join the observer thread."""
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
            self._observer = None


class _RefEvents(FileSystemEventHandler):
    """Keeps the events that can move a branch: refs, packed-refs, HEAD (not objects or lock files)."""

    def __init__(self, trigger: CoalescingTrigger) -> None:
        self._trigger = trigger

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write") or event.is_directory:
            return
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            path = raw.decode() if isinstance(raw, bytes) else str(raw)
            if path and is_ref_path(path):
                self._trigger.fire("watch")
                return


def is_ref_path(path: str) -> bool:
    """Whether a path inside a Git directory names a ref file (``.lock`` files excluded)."""
    normalized = path.replace("\\", "/")
    name = normalized.rsplit("/", 1)[-1]
    if name.endswith(".lock"):
        return False
    return name in ("HEAD", "packed-refs") or "/refs/" in normalized
