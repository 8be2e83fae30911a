"""The installed plugin is found through its entry point and keeps its declared contract."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import strategies as st

import claimrecon as cr
from claimrecon.testing import check_strategy, claim_lists

LEVELS = st.sampled_from([0.5, 0.8, 0.9, 0.95, 0.99]) | st.floats(0.05, 0.995)


@st.composite
def intervals(draw: st.DrawFn) -> cr.Quantity:
    """Confidence intervals the meta strategies pool: both bounds, a width, a level,
    and a value at (or within 5% of the half-width of) the centre, or none."""
    centre = draw(st.floats(-1e6, 1e6))
    half = draw(st.floats(1e-3, 1e6))
    lower, upper = centre - half, centre + half
    mid = 0.5 * lower + 0.5 * upper
    shape = draw(st.sampled_from(["centre", "none", "near"]))
    value: float | None = mid
    if shape == "none":
        value = None
    elif shape == "near":
        value = mid + draw(st.floats(-0.05, 0.05)) * (0.5 * upper - 0.5 * lower)
        value = min(max(value, lower), upper)
    return cr.Quantity(value=value, lower=lower, upper=upper, confidence=draw(LEVELS))


def interval_claim_lists(
    *,
    variable: str = "v",
    min_size: int = 1,
    max_size: int = 8,
    dated: bool | None = None,
    quantity: st.SearchStrategy[cr.Quantity] | None = None,
) -> st.SearchStrategy[list[cr.Claim]]:
    """:func:`claimrecon.testing.claim_lists` (same keywords) with :func:`intervals`."""
    return claim_lists(variable=variable, min_size=min_size, max_size=max_size, dated=dated,
                       quantity=quantity if quantity is not None else intervals())


def test_the_entry_point_registers_both_strategies() -> None:
    infos = {i.name: i.plugin for i in cr.list_strategies()}
    assert infos["inverse-variance"] == "meta"
    assert infos["random-effects"] == "meta"


@pytest.mark.parametrize("name", ["inverse-variance", "random-effects"])
def test_properties_are_declared_honestly(name: str) -> None:
    strategy = cr.get_strategy(name)
    assert strategy.properties == {"accounts_for_all", "order_free", "idempotent", "scale_free"}


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("inverse-variance", {}),
        ("random-effects", {}),
        ("random-effects", {"method": "DL"}),
        ("random-effects", {"method": "PM"}),
    ],
)
def test_keeps_its_declared_contract(name: str, options: dict[str, Any]) -> None:
    check_strategy(name, claim_lists=interval_claim_lists, options=options, max_examples=150)


def test_random_effects_can_leave_the_envelope() -> None:
    # Two tight intervals far apart: tau² is large and the pooled interval spreads
    # beyond both claims, so within_envelope is rightly not declared.
    claims = [
        cr.Claim(variable="v", source=cr.Source(id=s),
                 quantity=cr.Quantity(value=y, lower=y - 0.1, upper=y + 0.1, confidence=0.95))
        for s, y in (("a", 0.0), ("b", 10.0))
    ]
    e = cr.reconcile(claims, "random-effects")
    assert e.lower is not None and e.lower < -0.1
    assert e.upper is not None and e.upper > 10.1
