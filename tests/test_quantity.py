"""Quantities parse and print exactly as k8s.io/apimachinery's resource.Quantity does.

The tables are upstream's own (staging/src/k8s.io/apimachinery/pkg/api/resource/quantity_test.go:
TestQuantityParse, TestQuantityString, TestQuantityParseEmit and the invalid inputs), so what
platformctl writes and compares is what a kube-apiserver stores and returns.
"""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.quantity import (
    Format,
    Quantity,
    QuantityError,
    canonical,
    canonical_quantities,
    holds_quantity,
    parse_quantity,
    quantity_value,
    same_amount,
    server_canonicalises,
)

BIN, DEC, EXP = Format.BINARY_SI, Format.DECIMAL_SI, Format.DECIMAL_EXPONENT
MAX = 2**63 - 1

# TestQuantityParse: input -> (mantissa, base-10 exponent, format).
PARSE = [
    ("0", 0, 0, DEC), ("0n", 0, 0, DEC), ("0u", 0, 0, DEC), ("0m", 0, 0, DEC), ("0Ki", 0, 0, BIN), ("0k", 0, 0, DEC),
    ("0Mi", 0, 0, BIN), ("0M", 0, 0, DEC), ("0Gi", 0, 0, BIN), ("0G", 0, 0, DEC), ("0Ti", 0, 0, BIN), ("0T", 0, 0, DEC),
    ("1", 1, 0, DEC),
    ("1Ki", 1024, 0, BIN), ("8Ki", 8 * 1024, 0, BIN), ("7Mi", 7 * 1024**2, 0, BIN), ("6Gi", 6 * 1024**3, 0, BIN),
    ("5Ti", 5 * 1024**4, 0, BIN), ("4Pi", 4 * 1024**5, 0, BIN), ("3Ei", 3 * 1024**6, 0, BIN),
    ("10Ti", 10 * 1024**4, 0, BIN), ("100Ti", 100 * 1024**4, 0, BIN),
    ("5n", 5, -9, DEC), ("4u", 4, -6, DEC), ("3m", 3, -3, DEC), ("9", 9, 0, DEC), ("8k", 8, 3, DEC), ("50k", 5, 4, DEC),
    ("7M", 7, 6, DEC), ("6G", 6, 9, DEC), ("5T", 5, 12, DEC), ("40T", 4, 13, DEC), ("300T", 3, 14, DEC), ("2P", 2, 15, DEC),
    ("1E", 1, 18, DEC),
    ("1E-3", 1, -3, EXP), ("1e3", 1, 3, EXP), ("1E6", 1, 6, EXP), ("1e9", 1, 9, EXP), ("1E12", 1, 12, EXP),
    ("1e15", 1, 15, EXP), ("1E18", 1, 18, EXP),
    ("1e14", 1, 14, EXP), ("1e13", 1, 13, EXP), ("100.035k", 100035, 0, DEC),
    ("0.001", 1, -3, DEC), ("0.0005k", 5, -1, DEC), ("0.005", 5, -3, DEC), ("0.05", 5, -2, DEC), ("0.5", 5, -1, DEC),
    ("0.00050k", 5, -1, DEC), ("0.00500", 5, -3, DEC), ("0.05000", 5, -2, DEC), ("0.50000", 5, -1, DEC),
    ("0.5e0", 5, -1, EXP), ("0.5e-1", 5, -2, EXP), ("0.5e-2", 5, -3, EXP), ("10.035M", 10035, 3, DEC),
    ("1.2e3", 12, 2, EXP), ("1.3E+6", 13, 5, EXP), ("1.40e9", 14, 8, EXP), ("1.53E12", 153, 10, EXP),
    ("1.6e15", 16, 14, EXP), ("1.7E18", 17, 17, EXP),
    ("9.01", 901, -2, DEC), ("8.1k", 81, 2, DEC), ("7.123456M", 7123456, 0, DEC), ("6.987654321G", 6987654321, 0, DEC),
    ("5.444T", 5444, 9, DEC), ("40.1T", 401, 11, DEC), ("300.2T", 3002, 11, DEC), ("2.5P", 25, 14, DEC),
    ("1.01E", 101, 16, DEC),
    # things that saturate or round (up, to 1n)
    ("3.001n", 4, -9, DEC), ("1.1E-9", 2, -9, EXP), ("0.0000000001", 1, -9, DEC), ("0.0000000005", 1, -9, DEC),
    ("0.00000000050", 1, -9, DEC), ("0.5e-9", 1, -9, EXP), ("0.9n", 1, -9, DEC), ("0.00000012345", 124, -9, DEC),
    ("0.00000012354", 124, -9, DEC), ("9Ei", MAX, 0, BIN), ("9223372036854775807Ki", MAX, 0, BIN), ("12E", 12, 18, DEC),
    # fractional binary amounts
    ("100.035Ki", 10243584, -2, BIN), ("0.5Mi", 512 * 1024, 0, BIN), ("0.05Gi", 536870912, -1, BIN),
    ("0.025Ti", 274877906944, -1, BIN),
    # "things written by trolls"
    ("0.000000000001Ki", 2, -9, DEC), (".001", 1, -3, DEC), (".0001k", 100, -3, DEC), ("1.", 1, 0, DEC),
    ("1.G", 1, 9, DEC),
]

INVALID = ["1.1.M", "1+1.0M", "0.1mi", "0.1am", "aoeu", ".5i", "1i", "-3.01i", "-3.01e-", "1e4294967297", " 1", "1 ", "",
           "4GiB", "10 GB", "1K"]

# TestQuantityString: the canonical string, and another spelling that prints as it.
STRINGS = [
    ("1Gi", "1024Mi"), ("300Mi", "307200Ki"), ("6Ki", ""), ("1001Gi", "1025024Mi"), ("1Ti", "1024Gi"), ("5", "5000m"),
    ("500m", "0.5"), ("1G", "1000M"), ("1G", "0.001T"), ("1m", "1000u"), ("80m", ""), ("1080m", "1.08"),
    ("1080m", "1080000000n"), ("300M", ""), ("1T", ""), ("1E", ""), ("1e21", "1000E"), ("5e21", "5000E"),
    ("1e24", "1000000E"), ("1234567M", ""), ("1234567m", ""), ("3k", ""), ("1025", ""), ("0", ""), ("1e9", ".001e12"),
    ("1e-3", "0.001e0"), ("1e-9", "1000e-12"), ("80e-3", ""), ("300e6", ""), ("1e12", ""), ("1e3", ""), ("3e3", ""),
    ("0", "00"), ("1n", ""), ("80n", ""), ("1080n", ""), ("1u", ""), ("80u", ""), ("1080u", ""),
]

# TestQuantityParseEmit.
EMIT = [("1Ki", "1Ki"), ("1Mi", "1Mi"), ("1Gi", "1Gi"), ("1024Mi", "1Gi"), ("1000M", "1G"), (".001Ki", "1024m"),
        (".000001Ki", "1024u"), (".000000001Ki", "1024n"), (".000000000001Ki", "2n")]


@pytest.mark.parametrize(("text", "mantissa", "exponent", "fmt"), PARSE)
@pytest.mark.parametrize("sign", ["", "+", "-"])
def test_parse_matches_upstreams_table(sign: str, text: str, mantissa: int, exponent: int, fmt: Format) -> None:
    parsed = parse_quantity(sign + text)
    expected = Quantity.of(-mantissa if sign == "-" else mantissa, exponent, fmt)
    assert (parsed, parsed.format) == (expected, fmt)


@pytest.mark.parametrize("text", INVALID)
def test_what_upstream_refuses_is_refused(text: str) -> None:
    with pytest.raises(QuantityError):
        parse_quantity(text)


@pytest.mark.parametrize(("expect", "alternate"), STRINGS)
def test_canonical_strings_are_kept_and_alternates_print_canonically(expect: str, alternate: str) -> None:
    assert str(parse_quantity(expect)) == expect
    if alternate:
        assert str(parse_quantity(alternate)) == expect
    if expect != "0":
        assert str(parse_quantity("-" + expect)) == "-" + expect


@pytest.mark.parametrize(("given", "emitted"), EMIT)
def test_parse_then_emit(given: str, emitted: str) -> None:
    assert canonical(given) == emitted
    assert canonical("-" + given) == "-" + emitted


@pytest.mark.parametrize(("given", "stored"), [
    ("1024Mi", "1Gi"), ("0.5Gi", "512Mi"), ("1000m", "1"), ("0.1", "100m"), ("2000Mi", "2000Mi"), ("1500m", "1500m"),
    ("1.5", "1500m"), ("100M", "100M"), ("1e3", "1e3"), ("1.5Gi", "1536Mi"), ("20480Mi", "20Gi"), ("0.5Ki", "512"),
    (1, "1"), (2.0, "2"), (0.5, "500m"),
])
def test_what_an_api_server_stores(given: Any, stored: str) -> None:
    assert canonical(given) == stored


def test_amounts_compare_whatever_the_spelling() -> None:
    assert parse_quantity("1Gi") == parse_quantity("1024Mi") == parse_quantity("1073741824")
    assert parse_quantity("1G") != parse_quantity("1Gi")
    assert parse_quantity("10Gi") < parse_quantity("10241Mi") and parse_quantity("2") > parse_quantity("1999m")
    assert parse_quantity("1e2147483647") > parse_quantity("9Ei") > parse_quantity("-1e2147483647")
    assert same_amount("2", "2000m") and same_amount(1, "1000m") and not same_amount("1", "1.5")
    assert not same_amount("7", "seven") and not same_amount(True, "1")
    assert quantity_value("1Gi") == 2.0**30 and quantity_value("500m") == 0.5


def test_only_quantity_fields_compare_by_amount() -> None:
    assert holds_quantity("requests", "memory") and holds_quantity("limits", "nvidia.com/gpu")
    assert holds_quantity("hard", "requests.storage") and holds_quantity("emptyDir", "sizeLimit")
    assert holds_quantity("requests", "storage") and holds_quantity(None, "storage")
    assert not holds_quantity("predictor", "version") and not holds_quantity("feasibleSpace", "max")
    assert not holds_quantity("requests", 0)


def test_built_in_objects_are_written_the_way_the_server_stores_them() -> None:
    pvc = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "w", "labels": {"v": "1024"}},
           "spec": {"resources": {"requests": {"storage": "1024Mi"}}, "volumeName": "0.5"}}
    out = canonical_quantities(pvc)
    assert out["spec"]["resources"]["requests"]["storage"] == "1Gi"
    assert out["spec"]["volumeName"] == "0.5" and out["metadata"]["labels"] == {"v": "1024"}
    assert pvc["spec"]["resources"]["requests"]["storage"] == "1024Mi"  # the input is not modified
    assert server_canonicalises("v1") and server_canonicalises("apps/v1") and server_canonicalises("batch/v1")
    assert not server_canonicalises("kubeflow.org/v1") and not server_canonicalises("serving.kserve.io/v1beta1")
