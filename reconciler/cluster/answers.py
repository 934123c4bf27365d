"""What a cluster client tells an observer about each attempt: sent, then answered or no answer.

The transport reports every attempt, so a reachability tracker learns that a cluster stopped
answering at the first timed-out or refused attempt, not after every retry is spent, and, as it
knows which attempts are still waiting, also while one still waits (a write may wait 30 s).
Any HTTP status counts as an answer (a 503 too: the server is there); a refused or reset
connection and a request without an answer before its deadline are no answer; an attempt the
client cut short itself (the write fence) is neither.
"""

from __future__ import annotations

from typing import Protocol


class AnswerObserver(Protocol):
    """Told about each attempt of each request (from whichever thread sent it)."""

    def sending(self) -> int:
        """An attempt is about to be sent; the token its end is reported with."""
        ...

    def answered(self, attempt: int) -> None:
        """The server answered (any HTTP status)."""
        ...

    def no_answer(self, attempt: int, error: str) -> None:
        """No answer: connection refused, reset or timed out."""
        ...

    def cut_short(self, attempt: int) -> None:
        """The client gave up waiting for its own reasons (not the server's fault)."""
        ...


class IgnoreAnswers:
    """An observer that keeps nothing (the default)."""

    def sending(self) -> int:
        """No token needed."""
        return 0

    def answered(self, attempt: int) -> None:
        """Nothing to do."""

    def no_answer(self, attempt: int, error: str) -> None:
        """Nothing to do."""

    def cut_short(self, attempt: int) -> None:
        """Nothing to do."""


IGNORE = IgnoreAnswers()
