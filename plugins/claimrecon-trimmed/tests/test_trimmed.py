"""The installed plugin is found through its entry point and keeps the contract."""

from __future__ import annotations

import datetime
import itertools

import pytest
from hypothesis import strategies as st

import claimrecon as cr
from claimrecon.testing import check_strategy, claim_lists, quantities


def bounded_lists(**kwargs: object) -> st.SearchStrategy[list[cr.Claim]]:
    return claim_lists(quantity=quantities(bounded=True), **kwargs)  # type: ignore[arg-type]


def test_the_entry_point_registers_the_plugin() -> None:
    infos = [i for i in cr.list_strategies() if i.name == "trimmed"]
    assert [i.plugin for i in infos] == ["trimmed"]


def test_trimmed_drops_the_extremes_by_name() -> None:
    claims = [
        cr.Claim(variable="troops", source=cr.Source(id=s), quantity=cr.Quantity(value=v))
        for s, v in (("a", 12_000), ("b", 14_000), ("c", 15_000), ("d", 3_000))
    ]
    e = cr.reconcile(claims, "trimmed")
    assert e.value == 13_000 and (e.lower, e.upper) == (12_000, 14_000)
    assert sorted(x.claim.source.id for x in e.excluded) == ["c", "d"]
    assert cr.reconcile(claims, "trimmed", trim=0).value == 11_000


@pytest.mark.parametrize("trim", [-1, 1.5, "x", True])
def test_a_trim_that_is_no_count_is_refused_by_name(trim: object) -> None:
    claims = [cr.Claim(variable="v", source=cr.Source(id=s), quantity=cr.Quantity(value=v))
              for s, v in (("a", 1), ("b", 2), ("c", 3))]
    with pytest.raises(cr.PluginError, match="trim must be a whole number >= 0"):
        cr.reconcile(claims, "trimmed", trim=trim)


def test_trimmed_keeps_its_declared_contract() -> None:
    check_strategy("trimmed", claim_lists=bounded_lists)


def test_claims_without_a_figure_are_excluded_with_a_reason() -> None:
    claims = [
        cr.Claim(variable="v", source=cr.Source(id="a"), quantity=cr.Quantity(lower=5)),
        cr.Claim(variable="v", source=cr.Source(id="b"), quantity=cr.Quantity(value=7)),
    ]
    e = cr.reconcile(claims, "trimmed")
    assert e.value == 7 and e.excluded[0].reason.startswith("states no figure")
    with pytest.raises(cr.NoUsableClaimsError):
        cr.reconcile(claims[:1], "trimmed")


def test_equal_figures_are_trimmed_by_weight_not_by_input_order() -> None:
    # Two claims of figure -1 with different weights: which one is trimmed must not
    # depend on which comes first (hypothesis found the order mattered).
    heavy, light = cr.Source(id="heavy"), cr.Source(id="light", reliability=0.5)
    claims = [
        cr.Claim(variable="v", source=heavy, quantity=cr.Quantity(value=-1)),
        cr.Claim(variable="v", source=light, quantity=cr.Quantity(value=-1)),
        cr.Claim(variable="v", source=heavy, quantity=cr.Quantity(value=0), document="x"),
        cr.Claim(variable="v", source=light, quantity=cr.Quantity(value=0), document="y"),
    ]
    forward, backward = cr.reconcile(claims, "trimmed"), cr.reconcile(claims[::-1], "trimmed")
    assert forward.value == backward.value
    assert {x.claim.source.id for x in forward.excluded if x.claim.quantity.value == -1} == {
        "light"}


def test_claims_tied_on_figure_and_weight_are_trimmed_by_what_they_state() -> None:
    # Equal figures, bounds and weights: which claim is set aside must still not depend
    # on which comes first (the contract kit compares the accounts, not only the figures).
    a, b = cr.Source(id="a"), cr.Source(id="b")
    claims = [
        cr.Claim(variable="v", source=a, quantity=cr.Quantity(value=0)),
        cr.Claim(variable="v", source=b, quantity=cr.Quantity(value=0)),
        cr.Claim(variable="v", source=a, quantity=cr.Quantity(value=0),
                 as_of=datetime.date(2024, 1, 1)),
        cr.Claim(variable="v", source=a, quantity=cr.Quantity(value=5)),
    ]
    trimmed = {frozenset(x.claim for x in cr.reconcile(order, "trimmed").excluded)
               for order in itertools.permutations(claims)}
    assert len(trimmed) == 1
    assert sorted(c.quantity.value or 0.0 for c in trimmed.pop()) == [0, 5]


@pytest.mark.parametrize(("figures", "trim", "expected"), [
    ((0.0, 1e308, 1.5e308, 1.7e308), 1, 1.25e308),  # 1e308 + 1.5e308 is past the largest
    ((0.0, 1e308, 1.5e308, 1.7e308), 0, 1.05e308),
    ((-1.7e308, -1.5e308, -1e308, 0.0), 0, -1.05e308),
    ((1.0, 1.5, 9.0), 0, 11.5 / 3),
])
def test_the_mean_of_figures_near_the_largest_float_does_not_overflow(
        figures: tuple[float, ...], trim: int, expected: float) -> None:
    claims = [cr.Claim(variable="v", source=cr.Source(id=f"s{i}"), quantity=cr.Quantity(value=x))
              for i, x in enumerate(figures)]
    assert cr.reconcile(claims, "trimmed", trim=trim).value == pytest.approx(expected, rel=1e-15)
