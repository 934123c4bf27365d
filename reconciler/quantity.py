"""Kubernetes resource quantities, parsed and printed the way k8s.io/apimachinery does it (pure).

The one place platformctl reads quantities (``500m``, ``4Gi``, ``1e3``): the spec models check
them, conformance validates them, the renderer writes them and the plan compares them.

``str(parse_quantity(text))`` is what ``resource.ParseQuantity(text).String()`` returns, which
is what a kube-apiserver stores and returns for a quantity field of a built-in kind (PVC
``spec.resources.requests.storage``, container ``resources``, ResourceQuota ``spec.hard``):

- the amount is exact (no floats); fractions smaller than 1n are rounded up (away from zero) to 1n;
- a binary-suffix amount (``Ki`` .. ``Ei``) that is a whole number of at least 1024 keeps a
  binary suffix, the largest that leaves an integer (``1024Mi`` -> ``1Gi``, ``0.5Gi`` -> ``512Mi``,
  ``2000Mi`` stays ``2000Mi``); otherwise it is printed in decimal SI (``0.5Ki`` -> ``512``);
- decimal SI and exponent amounts get the largest exponent that is a multiple of 3 and leaves an
  integer mantissa (``1000m`` -> ``1``, ``0.1`` -> ``100m``, ``1.5`` -> ``1500m``, ``1000M`` -> ``1G``);
  SI amounts print with their SI suffix, exponent amounts as ``e<n>`` (``1e3`` stays ``1e3``);
- a string already in that form, which the parser recognises cheaply, is kept exactly as written
  (``100M``, ``1500m``, ``1Gi``; even ``+1`` or ``1E3``), as upstream's fast path does.

Custom resources are stored as written; there only the amount matters (``same_amount``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

__all__ = [
    "FORMAT_ERROR", "Format", "Quantity", "QuantityError", "canonical", "canonical_quantities", "holds_quantity",
    "is_quantity", "parse_quantity", "quantity_text", "quantity_value", "same_amount", "server_canonicalises",
]

FORMAT_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
"""Upstream's ErrFormatWrong text (what a server answers for a malformed quantity)."""
_NUMERIC_ERROR = "unable to parse numeric part of quantity"
_SUFFIX_ERROR = "unable to parse quantity's suffix"


class QuantityError(ValueError):
    """Not a Kubernetes quantity; the message is upstream's."""


class Format(str, Enum):
    """How a quantity prints (the suffix family it was written with)."""

    DECIMAL_EXPONENT = "DecimalExponent"
    BINARY_SI = "BinarySI"
    DECIMAL_SI = "DecimalSI"


_DECIMAL_SI = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BINARY_SI = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_SI_BY_EXPONENT = {exponent: suffix for suffix, exponent in _DECIMAL_SI.items()}
_BINARY_BY_EXPONENT = {exponent: suffix for suffix, exponent in _BINARY_SI.items()}
_SUFFIX_CHARS = frozenset("eEinumkKMGTP")
_DIGITS = frozenset("0123456789")
_MAX_INT64 = 2**63 - 1
_MAX_INT32 = 2**31 - 1
_NANO = -9
_MAX_DIGITS = 4000
"""Longest number accepted (upstream has no limit; Python refuses to convert longer digit strings)."""


@dataclass(frozen=True, slots=True, eq=False)
class Quantity:
    """An exact amount, ``mantissa * 10**exponent``, with the format it prints in.

    ``==``, ``<`` and ``hash`` compare amounts only (``1Gi == 1024Mi``); ``str()`` is the
    string a Kubernetes API server keeps for it.
    """

    mantissa: int
    exponent: int
    format: Format
    written: str = ""
    """The input, when upstream keeps it verbatim (already in canonical form); else empty."""

    @classmethod
    def of(cls, mantissa: int, exponent: int, fmt: Format, written: str = "") -> Quantity:
        """Normalised: no trailing zeros in the mantissa, zero as ``0e0``."""
        if mantissa == 0:
            return cls(0, 0, fmt, written)
        while mantissa % 10 == 0:
            mantissa //= 10
            exponent += 1
        return cls(mantissa, exponent, fmt, written)

    def __str__(self) -> str:
        return self.written or _canonical(self)

    def __repr__(self) -> str:
        return f"Quantity({str(self)!r})"

    def sign(self) -> int:
        """-1, 0 or 1."""
        return (self.mantissa > 0) - (self.mantissa < 0)

    def cmp(self, other: Quantity) -> int:
        """-1, 0 or 1 as this amount is less than, equal to or greater than ``other``'s."""
        a, b = self.sign(), other.sign()
        if a != b or a == 0:
            return (a > b) - (a < b)
        magnitude = _magnitude_cmp(abs(self.mantissa), self.exponent, abs(other.mantissa), other.exponent)
        return magnitude * a

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Quantity) and self.mantissa == other.mantissa and self.exponent == other.exponent

    def __hash__(self) -> int:
        return hash((self.mantissa, self.exponent))

    def __lt__(self, other: Quantity) -> bool:
        return self.cmp(other) < 0

    def __le__(self, other: Quantity) -> bool:
        return self.cmp(other) <= 0

    def __gt__(self, other: Quantity) -> bool:
        return self.cmp(other) > 0

    def __ge__(self, other: Quantity) -> bool:
        return self.cmp(other) >= 0

    def __float__(self) -> float:
        return float(f"{self.mantissa}e{self.exponent}")


def _magnitude_cmp(m1: int, e1: int, m2: int, e2: int) -> int:
    """Compare two positive amounts without expanding huge exponents."""
    order1, order2 = len(str(m1)) + e1, len(str(m2)) + e2
    if order1 != order2:
        return 1 if order1 > order2 else -1
    low = min(e1, e2)  # equal orders: the exponents differ by at most the digit counts
    a, b = int(m1 * 10 ** (e1 - low)), int(m2 * 10 ** (e2 - low))
    return (a > b) - (a < b)


# --- parsing (resource.ParseQuantity) ---------------------------------------------------------
def _split(text: str) -> tuple[bool, str, str, str, str]:
    """parseQuantityString: (positive, value, numerator, denominator, suffix)."""
    positive, pos, end = True, 0, len(text)
    if pos < end and text[0] in "+-":
        positive = text[0] == "+"
        pos += 1
    while pos < end and text[pos] == "0":
        pos += 1
    if pos >= end:
        return positive, "0", "0", "", ""
    start = pos
    while pos < end and text[pos] in _DIGITS:
        pos += 1
    if pos >= end:
        return positive, text, text[start:], "", ""
    num = text[start:pos] or "0"
    denom = ""
    if text[pos] == ".":
        pos += 1
        start = pos
        while pos < end and text[pos] in _DIGITS:
            pos += 1
        denom = text[start:pos]
        if pos >= end:
            return positive, text, num, denom, ""
    value, suffix_start = text[:pos], pos
    while pos < end and text[pos] in _SUFFIX_CHARS:
        pos += 1
    if pos < end and text[pos] in "+-":
        pos += 1
    while pos < end and text[pos] in _DIGITS:
        pos += 1
    if pos < end:
        raise QuantityError(FORMAT_ERROR)
    return positive, value, num, denom, text[suffix_start:]


def _interpret(suffix: str) -> tuple[int, int, Format]:
    """(base, exponent, format) of a suffix."""
    if suffix in _DECIMAL_SI:
        return 10, _DECIMAL_SI[suffix], Format.DECIMAL_SI
    if suffix in _BINARY_SI:
        return 2, _BINARY_SI[suffix], Format.BINARY_SI
    if len(suffix) > 1 and suffix[0] in "eE":
        rest = suffix[1:]
        body = rest[1:] if rest[0] in "+-" else rest
        if body and len(body) <= 10 and set(body) <= _DIGITS and abs(int(rest)) <= _MAX_INT32:  # past int32: refused, not truncated
            return 10, int(rest), Format.DECIMAL_EXPONENT
    raise QuantityError(_SUFFIX_ERROR)


def parse_quantity(text: str) -> Quantity:
    """Parse like ``resource.ParseQuantity`` (no surrounding whitespace); QuantityError when malformed."""
    if not isinstance(text, str) or not text:
        raise QuantityError(FORMAT_ERROR)
    if text == "0":
        return Quantity(0, 0, Format.DECIMAL_SI, "0")
    positive, value, num, denom, suffix = _split(text)
    base, exponent, fmt = _interpret(suffix)
    fast = _fast_path(text, positive, num, denom, exponent, fmt)
    if fast is not None:
        return fast
    if not any(c in _DIGITS for c in value) or len(num) + len(denom) > _MAX_DIGITS:
        raise QuantityError(_NUMERIC_ERROR)
    mantissa, scale = int(num + denom), -len(denom)
    if base == 10:
        scale += exponent
    else:
        mantissa <<= exponent
    mantissa, scale = _round_up_to_nano(mantissa, scale)
    if fmt is Format.BINARY_SI and _exceeds(mantissa, scale, _MAX_INT64, 0):
        mantissa, scale = _MAX_INT64, 0
    if fmt is Format.BINARY_SI and mantissa and _exceeds(1, 0, mantissa, scale):  # 0 < amount < 1
        fmt = Format.DECIMAL_SI
    return Quantity.of(mantissa if positive else -mantissa, scale, fmt)


def _fast_path(text: str, positive: bool, num: str, denom: str, exponent: int, fmt: Format) -> Quantity | None:
    """Upstream's int64 path, which also decides whether the input is kept verbatim."""
    multiplier, scale = 1, 0
    if fmt is Format.BINARY_SI:
        if denom:
            return None
        multiplier = 1 << exponent
        precision = 15 - len(num) - exponent * 3 // 10 - 1
    else:
        scale = exponent
        precision = 18 - (len(num) + len(denom))
    if precision < 0:
        return None
    scale -= len(denom)
    if scale < _NANO:
        return None
    shifted = num + denom
    value = int(shifted)
    result = value * multiplier
    if result > _MAX_INT64:
        return None
    if fmt is Format.BINARY_SI:
        verbatim = exponent % 10 == 0 and value & 0x07 != 0
    else:
        verbatim = scale % 3 == 0 and not shifted.endswith("000") and shifted[0] != "0"
    return Quantity.of(result if positive else -result, scale, fmt, text if verbatim else "")


def _round_up_to_nano(mantissa: int, scale: int) -> tuple[int, int]:
    """A non-zero amount with digits below 1n, rounded up (away from zero) to a multiple of 1n."""
    if mantissa == 0 or scale >= _NANO:
        return mantissa, scale
    drop = _NANO - scale
    if len(str(mantissa)) < drop:  # below 1n: never expand 10**drop for a huge negative exponent
        return 1, _NANO
    quotient, remainder = divmod(mantissa, 10**drop)
    return quotient + (1 if remainder else 0), _NANO


def _exceeds(m1: int, e1: int, m2: int, e2: int) -> bool:
    """m1e1 > m2e2 for non-negative amounts."""
    if m1 == 0:
        return False
    if m2 == 0:
        return True
    return _magnitude_cmp(m1, e1, m2, e2) > 0


# --- printing (Quantity.String / CanonicalizeBytes) -------------------------------------------
def _canonical(q: Quantity) -> str:
    if q.mantissa == 0:
        return "0"
    fmt = q.format
    if fmt is Format.BINARY_SI and (_magnitude_cmp(abs(q.mantissa), q.exponent, 1024, 0) < 0 or q.exponent < 0):
        fmt = Format.DECIMAL_SI  # below 1024, or a fraction: binary would round
    if fmt is Format.BINARY_SI:
        value = abs(q.mantissa) * 10**q.exponent
        power = 0
        while value >= 1024 and value % 1024 == 0:
            value //= 1024
            power += 1
        if power * 10 in _BINARY_BY_EXPONENT or power == 0:
            return f"{'-' if q.mantissa < 0 else ''}{value}{_BINARY_BY_EXPONENT.get(power * 10, '')}"
        fmt = Format.DECIMAL_EXPONENT  # past Ei: no binary suffix, print the exact decimal
    mantissa, exponent = q.mantissa, q.exponent
    shift = exponent % 3
    mantissa, exponent = mantissa * 10**shift, exponent - shift
    if fmt is Format.DECIMAL_SI and exponent in _SI_BY_EXPONENT:
        return f"{mantissa}{_SI_BY_EXPONENT[exponent]}"
    return f"{mantissa}e{exponent}" if exponent else str(mantissa)


# --- helpers for the rest of platformctl ------------------------------------------------------
def quantity_text(value: Any) -> str | None:
    """The text a JSON value of a quantity field stands for (a number as JSON writes it); None if neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return json.dumps(value)
    return None


def is_quantity(value: Any) -> bool:
    """Whether ``value`` (a string or a number) is a well-formed quantity."""
    text = quantity_text(value)
    if text is None:
        return False
    try:
        parse_quantity(text)
    except QuantityError:
        return False
    return True


def canonical(value: Any) -> str:
    """What an API server stores for this quantity (a string or a JSON number); QuantityError if malformed."""
    text = quantity_text(value)
    if text is None:
        raise QuantityError(FORMAT_ERROR)
    return str(parse_quantity(text))


def quantity_value(value: Any) -> float:
    """The amount as a float (``500m`` -> 0.5, ``1Gi`` -> 1073741824.0), for estimates only."""
    return float(parse_quantity(quantity_text(value) or ""))


def same_amount(a: Any, b: Any) -> bool:
    """Both are quantities (strings or numbers) of the same amount: ``1Gi`` and ``1024Mi``."""
    text_a, text_b = quantity_text(a), quantity_text(b)
    if text_a is None or text_b is None:
        return False
    try:
        return parse_quantity(text_a) == parse_quantity(text_b)
    except QuantityError:
        return False


QUANTITY_PARENTS = frozenset({"requests", "limits", "hard", "capacity", "allocatable", "overhead"})
"""Maps whose every value is a quantity: ResourceRequirements, ResourceQuota ``hard``, PVC/node status."""
QUANTITY_KEYS = frozenset({"storage", "sizeLimit"})
"""Keys that hold a quantity wherever they appear (emptyDir ``sizeLimit``, a ``storage`` request)."""


def holds_quantity(parent: str | int | None, key: str | int | None) -> bool:
    """Whether the field ``key`` of a map found under ``parent`` holds a Kubernetes quantity.

    Deliberately narrow: only resource-list maps (``resources.requests``/``limits``, ``hard``,
    ``capacity``, ...) and the ``storage``/``sizeLimit`` keys. Elsewhere a numeric-looking string
    keeps its exact text (a model version ``"7"`` is not ``"7.0"``; a Katib ``feasibleSpace.max``
    of ``"0.1"`` is not ``"100m"``).
    """
    if not isinstance(key, str):
        return False
    return key in QUANTITY_KEYS or (isinstance(parent, str) and parent in QUANTITY_PARENTS)


_BUILTIN_GROUPS = frozenset({
    "", "apps", "batch", "autoscaling", "policy", "networking.k8s.io", "node.k8s.io", "scheduling.k8s.io",
    "storage.k8s.io", "resource.k8s.io", "rbac.authorization.k8s.io", "coordination.k8s.io", "discovery.k8s.io",
})


def server_canonicalises(api_version: str) -> bool:
    """Whether the API server stores this apiVersion's quantities in canonical form (built-in kinds do;
    custom resources keep them as written)."""
    return api_version.rpartition("/")[0] in _BUILTIN_GROUPS


def canonical_quantities(obj: Any, parent: str | int | None = None, key: str | int | None = None) -> Any:
    """A copy of ``obj`` with every quantity field (``holds_quantity``) in the server's canonical form;
    values that are not quantities are left alone (validation reports them)."""
    if isinstance(obj, Mapping):
        return {k: canonical_quantities(v, key, k) for k, v in obj.items()}
    if isinstance(obj, list):
        return [canonical_quantities(v, key, i) for i, v in enumerate(obj)]
    if holds_quantity(parent, key) and is_quantity(obj):
        return canonical(obj)
    return obj
