"""Labels and annotations: the checks answer the same whether or not their keys were seen valid before."""

from __future__ import annotations

import pytest

from reconciler.conformance.names import validate_annotations, validate_labels
from reconciler.conformance.violations import FieldViolation

VALID = {"app.kubernetes.io/name": "fraud", "team": "risk", "empty": ""}


def _messages(violations: list[FieldViolation]) -> list[str]:
    return [v.message for v in violations]


@pytest.mark.parametrize("labels, expected", [
    ({**VALID, "team": "a\nb"}, "Invalid value: \"a\\nb\": a valid label"),  # a newline cannot pass as two values
    ({**VALID, "team": "risk\n"}, "Invalid value: \"risk\\n\": a valid label"),
    ({**VALID, "team": "x" * 64}, "must be no more than 63 characters"),
    ({**VALID, "team": 7}, "must be a string"),
    ({**VALID, "Example.com/owner": "x"}, "prefix part a lowercase RFC 1123 subdomain"),
])
def test_an_invalid_label_is_found_after_its_keys_were_seen_valid(labels: dict[str, object], expected: str) -> None:
    assert validate_labels(VALID, "metadata.labels") == []
    assert validate_annotations({"Example.com/owner": "x"}, "metadata.annotations") == []  # valid as an annotation key
    messages = _messages(validate_labels(labels, "metadata.labels"))
    assert len(messages) == 1 and expected in messages[0], messages


def test_annotations_past_the_total_size_are_refused_with_known_keys() -> None:
    assert validate_annotations({"note": "x"}, "metadata.annotations") == []
    assert _messages(validate_annotations({"note": "x" * 256 * 1024}, "metadata.annotations")) == [
        "Too long: may not be more than 262144 bytes"]
    assert _messages(validate_annotations({"note": 5}, "metadata.annotations")) == ["Invalid value: 5: must be a string"]
