"""Kubernetes name, label and annotation rules with apimachinery's error texts.

Mirrors `k8s.io/apimachinery/pkg/util/validation` (IsDNS1123Label, IsDNS1123Subdomain,
IsDNS1035Label, IsQualifiedName, IsValidLabelValue) and metav1 ValidateLabels /
ValidateAnnotations. Each `is_*` returns the list of messages (empty when valid).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from reconciler.conformance.violations import FieldViolation, child, invalid, too_long

DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS1123_SUBDOMAIN_FMT = DNS1123_LABEL_FMT + "(\\." + DNS1123_LABEL_FMT + ")*"
DNS1035_LABEL_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?"
QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
LABEL_VALUE_FMT = "(" + QUALIFIED_NAME_FMT + ")?"

# Whole-string matches (``fullmatch``), as Go's ``^...$``: Python's ``$`` would also accept a trailing newline.
_DNS1123_LABEL = re.compile(DNS1123_LABEL_FMT)
_DNS1123_SUBDOMAIN = re.compile(DNS1123_SUBDOMAIN_FMT)
_DNS1035_LABEL = re.compile(DNS1035_LABEL_FMT)
_QUALIFIED_NAME = re.compile(QUALIFIED_NAME_FMT)
_LABEL_VALUE = re.compile(LABEL_VALUE_FMT)

TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024



def _valid_first(pattern: re.Pattern[str], max_len: int) -> Callable[[Callable[[str], list[str]]], Callable[[str], list[str]]]:
    """Answer a value that matches ``pattern`` within ``max_len`` at once: nearly every rendered name, label
    and key is valid, and only an invalid one needs its messages worked out (no cache: at 10,000
    components the distinct names outnumber any cache worth its memory)."""

    def decorate(check: Callable[[str], list[str]]) -> Callable[[str], list[str]]:
        @functools.wraps(check)
        def checked(value: str) -> list[str]:
            if len(value) <= max_len and pattern.fullmatch(value):
                return []
            return check(value)

        return checked

    return decorate


def regex_error(msg: str, fmt: str, *examples: str) -> str:
    """apimachinery's RegexError text, double space before "or" included."""
    text = msg + " (e.g. "
    for i, example in enumerate(examples):
        if i > 0:
            text += " or "
        text += f"'{example}', "
    return text + f"regex used for validation is '{fmt}')"


def max_len_error(length: int) -> str:
    """apimachinery's MaxLenError text."""
    return f"must be no more than {length} characters"


def is_namespace_name(value: str) -> list[str]:
    """A Namespace's name, as kube-apiserver 1.34 words it: a DNS-1123 label, except that an
    otherwise valid subdomain with dots is refused with "must not contain dots" alone."""
    if "." in value and not is_dns1123_subdomain(value):
        return ["must not contain dots"]
    return is_dns1123_label(value)


@_valid_first(_DNS1123_LABEL, 63)
def is_dns1123_label(value: str) -> list[str]:
    """RFC 1123 label: namespaces, most Kubeflow names."""
    errs = []
    if len(value) > 63:
        errs.append(max_len_error(63))
    if not _DNS1123_LABEL.fullmatch(value):
        errs.append(
            regex_error(
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
                "and must start and end with an alphanumeric character",
                DNS1123_LABEL_FMT,
                "my-name",
                "123-abc",
            )
        )
    return errs


@_valid_first(_DNS1123_SUBDOMAIN, 253)
def is_dns1123_subdomain(value: str) -> list[str]:
    """RFC 1123 subdomain: names of most objects, custom resources included."""
    errs = []
    if len(value) > 253:
        errs.append(max_len_error(253))
    if not _DNS1123_SUBDOMAIN.fullmatch(value):
        errs.append(
            regex_error(
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                "and must start and end with an alphanumeric character",
                DNS1123_SUBDOMAIN_FMT,
                "example.com",
            )
        )
    return errs


@_valid_first(_DNS1035_LABEL, 63)
def is_dns1035_label(value: str) -> list[str]:
    """RFC 1035 label: service names, embedded-resource kinds (lower-cased)."""
    errs = []
    if len(value) > 63:
        errs.append(max_len_error(63))
    if not _DNS1035_LABEL.fullmatch(value):
        errs.append(
            regex_error(
                "a DNS-1035 label must consist of lower case alphanumeric characters or '-', "
                "start with an alphabetic character, and end with an alphanumeric character",
                DNS1035_LABEL_FMT,
                "my-name",
                "abc-123",
            )
        )
    return errs


_QNAME_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
)


@_valid_first(re.compile(f"(?:{DNS1123_SUBDOMAIN_FMT}/)?{QUALIFIED_NAME_FMT}"), 63)
def is_qualified_name(value: str) -> list[str]:
    """Label and annotation keys: `[prefix/]name`."""
    errs: list[str] = []
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            errs.extend("prefix part " + m for m in is_dns1123_subdomain(prefix))
    else:
        return [
            "a qualified name "
            + regex_error(_QNAME_MSG, QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    if not name:
        errs.append("name part must be non-empty")
    elif len(name) > 63:
        errs.append("name part " + max_len_error(63))
    if not _QUALIFIED_NAME.fullmatch(name):
        errs.append("name part " + regex_error(_QNAME_MSG, QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc"))
    return errs


@_valid_first(_LABEL_VALUE, 63)
def is_valid_label_value(value: str) -> list[str]:
    """Label values: empty or a qualified-name-like string of at most 63 characters."""
    errs = []
    if len(value) > 63:
        errs.append(max_len_error(63))
    if not _LABEL_VALUE.fullmatch(value):
        errs.append(
            regex_error(
                "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
                "and must start and end with an alphanumeric character",
                LABEL_VALUE_FMT,
                "MyValue",
                "my_value",
                "12345",
            )
        )
    return errs


_KNOWN_LABEL_KEYS: set[str] = set()
_KNOWN_ANNOTATION_KEYS: set[str] = set()
"""Label keys, and annotation keys as written, already found valid: a platform's key vocabulary is
small and every object repeats it (bounded: past the bound, new keys are checked one by one)."""
_KNOWN_KEYS_BOUND = 4096
_LABEL_VALUES = re.compile(f"(?:{LABEL_VALUE_FMT}\\n)*")


def _valid_key(key: str, known: set[str], checked: str) -> bool:
    """Whether ``checked`` (``key`` as the rule reads it) is a valid qualified name; ``key`` is remembered
    in ``known`` once found valid."""
    if key in known:
        return True
    if is_qualified_name(checked):
        return False
    if len(known) < _KNOWN_KEYS_BOUND:
        known.add(key)
    return True


def _all_labels_valid(labels: Mapping[Any, Any]) -> bool:
    """Every key known valid and every value a valid label value, in one pattern match over the values
    (one per line: a value holding a newline would split in two, so the lines are counted)."""
    if not _KNOWN_LABEL_KEYS.issuperset(labels):
        return False
    try:
        joined = "\n".join(labels.values())
    except TypeError:  # a value that is not a string
        return False
    return (joined.count("\n") == len(labels) - 1 and max(map(len, labels.values()), default=0) <= 63
            and _LABEL_VALUES.fullmatch(joined + "\n" if labels else "") is not None)


def validate_labels(labels: Any, path: str) -> list[FieldViolation]:
    """metav1 ValidateLabels: key and value errors are all reported on the map's path."""
    if not isinstance(labels, Mapping):
        return [invalid(path, labels, "must be a map of string keys to string values")] if labels is not None else []
    if _all_labels_valid(labels):
        return []
    out: list[FieldViolation] = []
    for key, value in labels.items():
        if not _valid_key(str(key), _KNOWN_LABEL_KEYS, str(key)):
            out.extend(invalid(path, key, msg) for msg in is_qualified_name(str(key)))
        if not isinstance(value, str):
            out.append(invalid(child(path, str(key)), value, "must be a string"))
        elif value_errors := is_valid_label_value(value):
            out.extend(invalid(path, value, msg) for msg in value_errors)
    return out


def validate_annotations(annotations: Any, path: str) -> list[FieldViolation]:
    """ValidateAnnotations: qualified-name keys (case-insensitive), 256 KiB in total."""
    if not isinstance(annotations, Mapping):
        if annotations is None:
            return []
        return [invalid(path, annotations, "must be a map of string keys to string values")]
    if _KNOWN_ANNOTATION_KEYS.issuperset(annotations) and all(type(value) is str for value in annotations.values()):
        size = sum(map(len, annotations)) + sum(map(len, annotations.values()))
        return [too_long(path, TOTAL_ANNOTATION_SIZE_LIMIT)] if size > TOTAL_ANNOTATION_SIZE_LIMIT else []
    out: list[FieldViolation] = []
    size = 0
    for key, value in annotations.items():
        if not _valid_key(str(key), _KNOWN_ANNOTATION_KEYS, str(key).lower()):
            out.extend(invalid(path, key, msg) for msg in is_qualified_name(str(key).lower()))
        if not isinstance(value, str):
            out.append(invalid(child(path, str(key)), value, "must be a string"))
            value = json.dumps(value)
        size += len(str(key)) + len(value)
    if size > TOTAL_ANNOTATION_SIZE_LIMIT:
        out.append(too_long(path, TOTAL_ANNOTATION_SIZE_LIMIT))
    return out
