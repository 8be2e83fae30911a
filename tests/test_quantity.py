"""Quantity: points, ranges, validation and helpers."""

from __future__ import annotations

import math
from decimal import Decimal

import attrs
import numpy as np
import pytest
from hypothesis import given

import claimrecon as cr
from claimrecon.testing import quantities


def test_a_value_alone_is_a_point() -> None:
    q = cr.Quantity(value=12_000)
    assert (q.lower, q.value, q.upper) == (12_000, 12_000, 12_000)
    assert q.is_point and q.width == 0


def test_a_missing_bound_means_unbounded() -> None:
    q = cr.Quantity(value=14_000, lower=12_000)
    assert q.upper is None and q.width == math.inf and q.contains(1e12)
    assert not q.contains(11_999)


def test_a_range_may_have_no_value() -> None:
    q = cr.Quantity(lower=1_200, upper=4_000)
    assert q.value is None and q.midpoint == 2_600


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lower": 5, "upper": 1}, "lower must not exceed upper"),
        ({"value": 10, "lower": 1, "upper": 5}, "above upper"),
        ({"value": 0, "lower": 1, "upper": 5}, "below lower"),
        ({"value": math.nan}, "NaN"),
        ({"upper": math.inf}, "finite"),
        ({"lower": -math.inf, "upper": 3}, "finite"),
        ({}, "no number at all"),
        ({"value": "12"}, "real number"),
        ({"value": True}, "real number"),
        ({"value": 1, "confidence": 1.5}, "confidence"),
        ({"value": 1, "quantiles": [(0.5, 3), (0.05, 4)]}, "must not decrease"),
        ({"value": 10**400}, "value must be a finite number .got an integer past"),
        ({"value": 1, "quantiles": [(0.5, "3")]}, r"quantile value must be a real number \(got"),
        ({"value": 1, "quantiles": [(0.5, None)]}, "may not hold None"),
        ({"value": 1, "quantiles": np.array(0.5)}, "must be a sequence of .probability, value"),
        ({"value": 1, "quantiles": [{0.1: 0.0, 0.2: 1.0}]}, "each quantile must be a .prob"),
        ({"value": 1, "quantiles": [(0.5, math.inf)]}, r"finite number \(got inf\)$"),
    ],
)
def test_invalid_quantities_are_refused_with_a_clear_message(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(cr.InvalidQuantityError, match=message):
        cr.Quantity(**kwargs)  # type: ignore[arg-type]


def test_invalid_quantity_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        cr.Quantity(lower=2, upper=1)


def test_evolve_reruns_the_validation() -> None:
    q = cr.Quantity(value=5, lower=1, upper=9)
    with pytest.raises(cr.InvalidQuantityError):
        attrs.evolve(q, value=20)


def test_intersection_and_hull_of_two_quantities() -> None:
    a, b = cr.Quantity(lower=1, upper=5), cr.Quantity(lower=3)
    assert a.intersection(b) == cr.Quantity(lower=3, upper=5)
    assert a.hull(b) == cr.Quantity(lower=1)
    assert cr.Quantity(value=1).intersection(cr.Quantity(value=2)) is None
    assert not cr.Quantity(value=1).overlaps(cr.Quantity(value=2))


def test_combining_quantities_in_different_units_is_an_error() -> None:
    with pytest.raises(cr.UnitMismatchError, match=r"'USD'.*'EUR'"):
        cr.Quantity(value=1, unit="USD").hull(cr.Quantity(value=2, unit="EUR"))


def test_quantiles_are_kept_sorted() -> None:
    q = cr.Quantity(value=3, lower=1, upper=9, quantiles=[(0.95, 9), (0.05, 1), (0.5, 3)])
    assert q.quantiles == ((0.05, 1.0), (0.5, 3.0), (0.95, 9.0))


@given(quantities())
def test_to_dict_round_trips(q: cr.Quantity) -> None:
    assert cr.Quantity.from_dict(q.to_dict()) == q


@given(quantities())
def test_every_quantity_keeps_lower_value_upper_in_order(q: cr.Quantity) -> None:
    lo = -math.inf if q.lower is None else q.lower
    up = math.inf if q.upper is None else q.upper
    assert lo <= up
    if q.value is not None:
        assert lo <= q.value <= up


def test_describe_reads_as_a_phrase() -> None:
    assert cr.Quantity(value=14_000, lower=12_000, upper=15_000, unit="troops").describe() == (
        "about 14,000 (12,000 to 15,000) troops"
    )
    assert cr.Quantity(upper=15_000).describe() == "at most 15,000"
    assert cr.Quantity(lower=12_000).describe() == "at least 12,000"


@pytest.mark.parametrize(("args", "text"), [
    ((1000.3, 1000.2, 1000.4), "about 1,000.3 (1,000.2 to 1,000.4)"),
    ((None, 12345.5, 12346.4), "12,345.5 to 12,346.4"),
    ((None, 1e15, 1.0004e15), "1e+15 to 1.0004e+15"),
    ((14_000, 12_600, 15_400), "about 14,000 (12,600 to 15,400)"),
    ((None, 1000.2, None), "at least 1,000"),
])
def test_a_range_shows_the_digits_that_tell_its_bounds_apart(
        args: tuple[float | None, float | None, float | None], text: str) -> None:
    # Rounding showed 1000.2 to 1000.4 as "1,000 to 1,000", a point it is not.
    from claimrecon._quantity import describe_range

    assert describe_range(*args) == text


def test_format_number_shows_nan_and_the_infinities() -> None:
    from claimrecon._quantity import format_number

    assert [format_number(x) for x in (math.nan, math.inf, -math.inf)] == ["NaN", "inf", "-inf"]


def test_decimal_figures_are_numbers_as_in_frames() -> None:
    q = cr.Quantity(value=Decimal("1.5"), lower=Decimal(1), upper=2)
    assert q == cr.Quantity(value=1.5, lower=1.0, upper=2.0)
    with pytest.raises(cr.InvalidQuantityError, match="value must be a finite number"):
        cr.Quantity(value=Decimal("NaN"))
    with pytest.raises(cr.InvalidQuantityError, match="value must be a finite number"):
        cr.Quantity(value=Decimal("sNaN"))  # (a signalling NaN refuses float())
    with pytest.raises(cr.InvalidQuantityError, match="upper must be a finite number"):
        cr.Quantity(upper=Decimal("Infinity"))


def test_a_percentage_is_printed_with_its_sign_on_each_figure() -> None:
    from claimrecon._quantity import describe_range

    assert describe_range(14, 12.6, 15.4, "%") == "about 14% (12.6% to 15.4%)"
    assert describe_range(14, 14, 14, "%") == "14%"
    assert describe_range(None, None, 15, "%") == "at most 15%"
    assert describe_range(14, 12.6, 15.4, "troops") == "about 14 (12.6 to 15.4) troops"
    q = cr.parse_quantity("about 14%")
    e = cr.reconcile([cr.Claim(variable="x", source=cr.Source(id="a"), quantity=q)])
    assert str(e) == "about 14% (12.6% to 15.4%)"
