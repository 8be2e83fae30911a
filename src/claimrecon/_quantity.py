"""Quantity: a figure with an explicit uncertainty range."""

from __future__ import annotations

import decimal
import itertools
import math
import numbers
from collections.abc import Callable, Iterable, Mapping
from collections.abc import Set as AbstractSet
from typing import Any

import attrs

from ._errors import InvalidQuantityError, UnitMismatchError, describe

__all__ = ["Quantiles", "Quantity", "as_quantiles", "format_number"]


def _real(name: str, value: object, *, optional: bool = True) -> float | None:
    """Convert ``value`` to a finite float, or raise naming the field (``None`` stays
    ``None``: pass ``optional=False`` where it is no answer)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real | decimal.Decimal):
        raise InvalidQuantityError(f"{name} must be a real number{' or None' * optional} "
                                   f"(got {describe(value)})")
    try:
        x = float(value)
    except ValueError:  # Decimal("sNaN"), a signalling NaN, refuses to be a float
        raise InvalidQuantityError(f"{name} must be a finite number (got NaN)") from None
    except OverflowError:  # an integer past the largest float
        raise InvalidQuantityError(
            f"{name} must be a finite number (got an integer past the largest float)"
        ) from None
    if math.isnan(x):
        raise InvalidQuantityError(f"{name} must be a finite number (got NaN)")
    if math.isinf(x):
        raise InvalidQuantityError(f"{name} must be a finite number (got {x})"
                                   + "; leave a bound as None for unbounded" * optional)
    return x


def _as_value(value: object) -> float | None:
    return _real("value", value)


def _as_lower(value: object) -> float | None:
    return _real("lower", value)


def _as_upper(value: object) -> float | None:
    return _real("upper", value)


def _as_unit(unit: object) -> str | None:
    if unit is None or (isinstance(unit, str) and not unit.strip()):  # blank: no unit
        return None
    if not isinstance(unit, str):
        raise InvalidQuantityError(f"unit must be a string or None (got {describe(unit)})")
    return unit


def _as_confidence(value: object) -> float | None:
    x = _real("confidence", value)
    if x is not None and not 0.0 < x < 1.0:
        raise InvalidQuantityError(
            f"confidence must be a probability strictly between 0 and 1 (got {x})"
        )
    return x


#: Expert quantiles: ``(probability, value)`` pairs, by increasing probability.
Quantiles = tuple[tuple[float, float], ...]


def as_quantiles(value: object) -> Quantiles | None:
    """``value`` as :data:`Quantiles` (sorted by probability), or raise
    InvalidQuantityError saying what is wrong."""
    if value is None:
        return None
    wrong = InvalidQuantityError(
        f"quantiles must be a sequence of (probability, value) pairs (got {describe(value)})"
    )
    if isinstance(value, (str, bytes, Mapping, AbstractSet)) or not isinstance(value, Iterable):
        raise wrong
    try:
        items = list(value)
    except TypeError:  # an iterable that cannot be iterated: a 0-d numpy array
        raise wrong from None
    pairs: list[tuple[float, float]] = []
    for item in items:
        try:
            if isinstance(item, (str, bytes, Mapping, AbstractSet)):  # unordered, or a text
                raise TypeError
            p, v = item
        except (TypeError, ValueError):
            raise InvalidQuantityError(
                f"each quantile must be a (probability, value) pair (got {describe(item)})"
            ) from None
        pf = _real("quantile probability", p, optional=False)
        vf = _real("quantile value", v, optional=False)
        if pf is None or vf is None:
            raise InvalidQuantityError(f"a quantile pair may not hold None (got {item!r})")
        if not 0.0 < pf < 1.0:
            raise InvalidQuantityError(
                f"quantile probabilities must lie strictly between 0 and 1 (got {pf})"
            )
        pairs.append((pf, vf))
    if not pairs:
        raise InvalidQuantityError("quantiles, when given, must hold at least one pair")
    pairs.sort()
    for (p0, v0), (p1, v1) in itertools.pairwise(pairs):
        if p0 == p1:
            raise InvalidQuantityError(f"quantile probability {p0} is given twice")
        if v1 < v0:
            raise InvalidQuantityError(
                f"quantile values must not decrease with probability "
                f"(the {p0} quantile is {v0}, the {p1} quantile is {v1})"
            )
    return tuple(pairs)


def format_number(x: float) -> str:
    """Format a figure for people: thousands separators, no needless decimals; NaN
    (a diagnostic a strategy could not compute) and the infinities as words.

    >>> format_number(12000.0), format_number(2.5), format_number(0.1234567)
    ('12,000', '2.5', '0.1235')
    >>> format_number(float("nan")), format_number(float("-inf"))
    ('NaN', '-inf')
    """
    if x != x:
        return "NaN"
    if abs(x) >= 1e15 or (x != 0 and abs(x) < 1e-4):
        return f"{x:.4g}"
    if x == int(x):
        return f"{int(x):,}"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:,.4g}"


@attrs.frozen(kw_only=True, repr=False)
class Quantity:
    """A figure with an explicit uncertainty range.

    A quantity given only a ``value`` is a point: it is stored with
    ``lower = upper = value``. After construction a missing (``None``) ``lower`` or
    ``upper`` means unbounded on that side. A missing ``value`` means no central figure
    was stated.

    >>> Quantity(value=12_000)
    Quantity(value=12000.0, lower=12000.0, upper=12000.0)
    >>> Quantity(lower=12_000, unit="troops").contains(50_000)
    True

    :param value: the central figure, if one was stated.
    :param lower: the lowest plausible figure; ``None`` for unbounded below.
    :param upper: the highest plausible figure; ``None`` for unbounded above.
    :param unit: the unit, free text (``"troops"``, ``"USD"``); ``None`` goes with any
        (a blank text is ``None``).
    :param confidence: the probability that the truth lies in ``[lower, upper]``;
        ``None`` for a plain range.
    :param quantiles: expert quantiles as ``(probability, value)`` pairs, kept sorted.
    :raises InvalidQuantityError: NaN, an infinity, ``lower > upper``, a value outside
        its range, or no number at all.
    """

    value: float | None = attrs.field(default=None, converter=_as_value)
    lower: float | None = attrs.field(default=None, converter=_as_lower)
    upper: float | None = attrs.field(default=None, converter=_as_upper)
    unit: str | None = attrs.field(default=None, converter=_as_unit)
    confidence: float | None = attrs.field(default=None, converter=_as_confidence)
    quantiles: tuple[tuple[float, float], ...] | None = attrs.field(
        default=None, converter=as_quantiles
    )

    def __attrs_post_init__(self) -> None:
        value, lower, upper = self.value, self.lower, self.upper
        if value is not None and lower is None and upper is None:
            object.__setattr__(self, "lower", value)
            object.__setattr__(self, "upper", value)
            return
        if value is None and lower is None and upper is None:
            raise InvalidQuantityError(
                "a quantity needs a value or at least one bound (got no number at all)"
            )
        if lower is not None and upper is not None and lower > upper:
            raise InvalidQuantityError(
                f"lower must not exceed upper (got lower={lower}, upper={upper})"
            )
        if value is not None:
            if lower is not None and value < lower:
                raise InvalidQuantityError(
                    f"value must lie within [lower, upper] (got value={value} below lower={lower})"
                )
            if upper is not None and value > upper:
                raise InvalidQuantityError(
                    f"value must lie within [lower, upper] (got value={value} above upper={upper})"
                )

    def __repr__(self) -> str:
        parts = [f"{f.name}={getattr(self, f.name)!r}" for f in attrs.fields(Quantity)
                 if getattr(self, f.name) is not None or f.name in ("lower", "upper")]
        return f"Quantity({', '.join(parts)})"

    # -- derived figures ---------------------------------------------------------------

    @property
    def is_point(self) -> bool:
        """True when the range is a single figure (``lower == upper``)."""
        return self.lower is not None and self.lower == self.upper

    @property
    def is_bounded(self) -> bool:
        """True when both bounds are finite."""
        return self.lower is not None and self.upper is not None

    @property
    def width(self) -> float:
        """``upper - lower``; ``math.inf`` when a side is unbounded."""
        if self.lower is None or self.upper is None:
            return math.inf
        return self.upper - self.lower

    @property
    def midpoint(self) -> float | None:
        """The middle of a bounded range, else ``None``."""
        if self.lower is None or self.upper is None:
            return None
        return min(max(self.lower / 2 + self.upper / 2, self.lower), self.upper)

    def contains(self, x: float) -> bool:
        """Whether the figure ``x`` lies in ``[lower, upper]`` (bounds included)."""
        return (self.lower is None or self.lower <= x) and (self.upper is None or x <= self.upper)

    def overlaps(self, other: Quantity) -> bool:
        """Whether two ranges share at least one point (touching counts)."""
        return self.intersection(other) is not None

    def _common_unit(self, other: Quantity) -> str | None:
        if not isinstance(other, Quantity):
            raise InvalidQuantityError(f"expected a Quantity (got {describe(other)})")
        if self.unit and other.unit and self.unit != other.unit:
            raise UnitMismatchError(
                f"cannot combine {self.unit!r} with {other.unit!r}", units=(self.unit, other.unit)
            )
        return self.unit or other.unit

    def intersection(self, other: Quantity) -> Quantity | None:
        """The range both quantities allow, or ``None`` when they share no point.

        The result states no value and no confidence.

        >>> Quantity(lower=1, upper=5).intersection(Quantity(lower=3))
        Quantity(lower=3.0, upper=5.0)
        """
        unit = self._common_unit(other)
        lows = [x for x in (self.lower, other.lower) if x is not None]
        ups = [x for x in (self.upper, other.upper) if x is not None]
        lo = max(lows) if lows else None
        up = min(ups) if ups else None
        if lo is not None and up is not None and lo > up:
            return None
        return Quantity(lower=lo, upper=up, unit=unit)

    def hull(self, other: Quantity) -> Quantity:
        """The smallest range that holds both quantities (their envelope).

        >>> Quantity(value=2).hull(Quantity(lower=4, upper=6))
        Quantity(lower=2.0, upper=6.0)
        """
        unit = self._common_unit(other)
        lo = None if self.lower is None or other.lower is None else min(self.lower, other.lower)
        up = None if self.upper is None or other.upper is None else max(self.upper, other.upper)
        return Quantity(lower=lo, upper=up, unit=unit)

    def describe(self) -> str:
        """A phrase a person can read, e.g. ``"14,000 (12,000 to 16,000) troops"``."""
        return describe_range(self.value, self.lower, self.upper, self.unit)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; :meth:`from_dict` reads it back."""
        d: dict[str, Any] = attrs.asdict(self)
        if self.quantiles is not None:
            d["quantiles"] = [list(p) for p in self.quantiles]
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Quantity:
        """Build a quantity from :meth:`to_dict`'s output."""
        return cls(**data)


def describe_range(
    value: float | None, lower: float | None, upper: float | None, unit: str | None = None
) -> str:
    """The range ``[lower, upper]`` around ``value`` as a short phrase (with the
    digits that tell the two bounds apart, where rounding would show them as one)."""
    apart = _telling_apart(lower, upper)
    sign = "%" if unit == "%" else ""  # a percent sign goes with each figure: "14%"

    def fmt(x: float) -> str:
        return apart(x) + sign

    def plain(x: float) -> str:
        return format_number(x) + sign

    if lower is not None and lower == upper:
        text = plain(lower)
    else:
        if lower is None and upper is None:
            rng = "unbounded"
        elif lower is None:
            assert upper is not None
            rng = f"at most {plain(upper)}"
        elif upper is None:
            rng = f"at least {plain(lower)}"
        else:
            rng = f"{fmt(lower)} to {fmt(upper)}"
        text = rng if value is None else f"about {fmt(value)} ({rng})"
    return f"{text} {unit}" if unit and not sign else text


def _telling_apart(lower: float | None, upper: float | None) -> Callable[[float], str]:
    """:func:`format_number`, or, when it would show two different bounds as one text
    ("1,000 to 1,000" for 1000.2 to 1000.4), as many significant digits as tell them
    apart."""
    if lower is None or upper is None or lower == upper or (
            format_number(lower) != format_number(upper)):
        return format_number
    for digits in range(5, 18):
        if f"{lower:,.{digits}g}" != f"{upper:,.{digits}g}":
            break
    return lambda x: f"{x:,.{digits}g}"
