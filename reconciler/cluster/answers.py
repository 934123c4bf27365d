"""What a cluster client tells an observer about each attempt: answered, or no answer at all.

The transport reports every attempt as it ends, so a reachability tracker learns that a cluster
stopped answering at the first timed-out or refused attempt, not after every retry is spent.
Any HTTP status counts as an answer (a 503 too: the server is there); a refused or reset
connection and a request without an answer before its deadline are no answer.
"""

from __future__ import annotations

from typing import Protocol


class AnswerObserver(Protocol):
    """Told about each attempt of each request (from whichever thread sent it)."""

    def answered(self) -> None:
        """The server answered (any HTTP status)."""
        ...

    def no_answer(self, error: str) -> None:
        """No answer: connection refused, reset or timed out."""
        ...


class IgnoreAnswers:
    """An observer that keeps nothing (the default)."""

    def answered(self) -> None:
        """Nothing to do."""

    def no_answer(self, error: str) -> None:
        """Nothing to do."""


IGNORE = IgnoreAnswers()
