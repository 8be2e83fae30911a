"""Invariants of the classical model and of the ``cooke`` strategy, with hypothesis."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pytest
from claimrecon_cooke import (
    Panel,
    bin_probabilities,
    calibration_score,
    chi2_sf,
    relative_information,
)
from hypothesis import assume, given
from hypothesis import strategies as st

import claimrecon as cr
from claimrecon.testing import check_strategy, claim_lists

LEVELS = [(0.05, 0.5, 0.95), (0.05, 0.25, 0.5, 0.75, 0.95), (0.1, 0.5, 0.9), (0.25, 0.75)]


def rising(n: int, *, low: int = -200, high: int = 200) -> st.SearchStrategy[list[float]]:
    """``n`` strictly increasing figures (integers, so that realisations can tie with
    quantiles)."""
    return st.tuples(st.integers(low, high), st.lists(st.integers(1, 60), min_size=n - 1,
                                                      max_size=n - 1)).map(
        lambda t: [float(x) for x in np.cumsum([t[0], *t[1]])])


@st.composite
def panels(draw: st.DrawFn, *, max_experts: int = 5, max_items: int = 6) -> Panel:
    levels = draw(st.sampled_from(LEVELS))
    e, m = draw(st.integers(1, max_experts)), draw(st.integers(1, max_items))
    values = np.full((e, m, len(levels)), np.nan)
    for i in range(e):
        for k in range(m):
            if i == 0 or draw(st.integers(0, 5)) > 0:  # expert 0 answers everything
                values[i, k] = draw(rising(len(levels)))
    truths = [float(draw(st.integers(-250, 400))) if k == 0 or draw(st.booleans())
              else math.nan for k in range(m)]
    return Panel(values, levels, truths=truths)


# -- the scores ------------------------------------------------------------------------------


@given(x=st.floats(0, 400), df=st.integers(1, 9))
def test_chi2_sf_agrees_with_scipy(x: float, df: int) -> None:
    stats = pytest.importorskip("scipy.stats")
    expected = float(stats.chi2.sf(x, df))
    assert chi2_sf(x, df) == pytest.approx(expected, rel=1e-9, abs=1e-300)


@given(panel=panels())
def test_calibration_lies_in_0_1_and_information_is_not_negative(panel: Panel) -> None:
    c = panel.calibration[panel.scoreable]
    assert np.all((c > 0) & (c <= 1))  # few seeds: never so small that it underflows
    assert np.all(panel.information[panel.scoreable] >= 0)
    assert np.all(panel.item_information[panel.answered] >= 0)
    assert np.isnan(panel.calibration[~panel.scoreable]).all()


@given(counts=st.lists(st.integers(0, 12), min_size=4, max_size=4).filter(lambda c: sum(c)))
def test_mirrored_counts_score_the_same_bits(counts: list[int]) -> None:
    levels = (0.05, 0.5, 0.95)
    assert calibration_score(counts, levels) == calibration_score(counts[::-1], levels)


@given(n=st.integers(1, 8), levels=st.sampled_from(LEVELS))
def test_counts_in_proportion_to_the_bins_score_1(n: int, levels: tuple[float, ...]) -> None:
    probs = bin_probabilities(levels)
    counts = np.round(probs * 20 * n).astype(int)
    assume(np.allclose(counts / counts.sum(), probs))
    assert calibration_score(counts, levels) == 1.0


def test_more_seeds_in_the_tails_score_lower() -> None:
    levels = (0.05, 0.5, 0.95)
    scores = [calibration_score([k, 10 - k, 10 - k, k], levels) for k in range(1, 6)]
    assert scores[0] == 1.0 and all(a > b for a, b in itertools.pairwise(scores))
    # With N = the fewest seeds any expert answered, fewer seeds mean a milder test.
    assert calibration_score([2, 8, 8, 2], levels, 10) > calibration_score([2, 8, 8, 2], levels)


def test_the_uniform_expert_has_no_information() -> None:
    info = relative_information([[0.5, 5.0, 9.5], [4.0, 5.0, 6.0]], (0.05, 0.5, 0.95),
                                0.0, 10.0)
    assert info[0] == pytest.approx(0.0, abs=1e-12) and info[1] > 1.0


@given(panel=panels(), a=st.floats(0.01, 100), b=st.floats(-1e4, 1e4))
def test_scores_do_not_depend_on_the_unit_or_origin(panel: Panel, a: float, b: float) -> None:
    moved = Panel(panel.values * a + b, panel.levels, truths=panel.truths * a + b)
    same_bins = np.array_equal(moved.bin_counts, panel.bin_counts)
    assume(same_bins)  # a * x + b may round a realisation across a tied quantile
    assert np.allclose(moved.calibration, panel.calibration, equal_nan=True)
    assert np.allclose(moved.information, panel.information, equal_nan=True, atol=1e-7)


# -- the decision maker ----------------------------------------------------------------------


@given(panel=panels(), kind=st.sampled_from(["equal", "global", "item"]))
def test_the_pool_is_a_proper_weighted_pool(panel: Panel, kind: str) -> None:
    dm = panel.decision_maker(kind)  # type: ignore[arg-type]
    shares = dm.shares()
    defined = ~np.isnan(dm.quantiles[:, 0])
    assert np.allclose(shares.sum(axis=0)[defined], 1.0)
    assert np.all(shares[:, ~defined] == 0)
    for k in np.flatnonzero(defined):
        used = shares[:, k] > 0
        q = dm.quantiles[k]
        assert np.all(np.diff(q) >= 0)
        assert panel.values[used, k, 0].min() <= q[0] and q[-1] <= panel.values[used, k, -1].max()
        assert q[0] <= dm.median[k] <= q[-1]
    if not math.isnan(dm.calibration):
        assert 0 < dm.calibration <= 1 and dm.information >= 0


@given(panel=panels())
def test_the_optimised_cut_off_is_at_least_as_good_as_any_other(panel: Panel) -> None:
    best = panel.decision_maker("global")
    for a in panel.alphas():
        other = panel.decision_maker("global", alpha=a)
        if not math.isnan(other.combined):
            assert other.combined <= best.combined + 1e-12


@given(panel=panels(max_experts=1))
def test_a_single_expert_is_its_own_decision_maker(panel: Panel) -> None:
    dm = panel.decision_maker("equal")
    answered = panel.answered[0]
    assert np.array_equal(dm.quantiles[answered], panel.values[0, answered])
    assert dm.calibration == pytest.approx(panel.calibration[0])
    assert dm.information == pytest.approx(panel.information[0])


@given(panel=panels(), data=st.data())
def test_the_order_of_experts_does_not_matter(panel: Panel, data: st.DataObject) -> None:
    order = data.draw(st.permutations(range(panel.shape[0])))
    shuffled = Panel(panel.values[order], panel.levels, truths=panel.truths)
    for kind in ("equal", "global", "item"):
        a = panel.decision_maker(kind)
        b = shuffled.decision_maker(kind)
        assert a.combined == pytest.approx(b.combined, rel=1e-9, nan_ok=True)
        assert np.allclose(a.quantiles, b.quantiles, equal_nan=True, rtol=1e-9)


# -- the strategy ---------------------------------------------------------------------------


def quantile_quantities() -> st.SearchStrategy[cr.Quantity]:
    """Quantities that carry 5/50/95% quantiles, their bounds the outer quantiles."""
    def build(xs: list[float]) -> cr.Quantity:
        return cr.Quantity(value=xs[1], lower=xs[0], upper=xs[2],
                           quantiles=tuple(zip((0.05, 0.5, 0.95), xs, strict=True)))
    return st.one_of(
        rising(3).map(build),
        st.tuples(st.floats(-1e6, 1e6), st.floats(1e-3, 1e4), st.floats(1e-3, 1e4)).map(
            lambda t: build([t[0], t[0] + t[1], t[0] + t[1] + t[2]])),
    )


def quantile_claim_lists(**kwargs: Any) -> st.SearchStrategy[list[cr.Claim]]:
    return claim_lists(quantity=quantile_quantities(), **kwargs)


def test_the_equal_weight_pool_keeps_the_contract() -> None:
    # check_strategy reconciles one variable with cr.reconcile, which takes no truths;
    # without realisations only the equal-weight pool is defined. The performance-
    # weighted pools are checked with truths below.
    check_strategy("cooke", claim_lists=quantile_claim_lists, options={"dm": "equal"})


@st.composite
def studies(draw: st.DrawFn) -> tuple[list[cr.Claim], dict[str, float]]:
    """Claims of several experts on several variables, with realisations of some."""
    n_experts, n_items = draw(st.integers(1, 5)), draw(st.integers(1, 6))
    experts = [cr.Source(id=f"e{i}", reliability=draw(st.floats(0.01, 1.0)))
               for i in range(n_experts)]
    claims = []
    for k in range(n_items):
        for i, source in enumerate(experts):
            if i == 0 or draw(st.integers(0, 4)) > 0:
                claims.append(cr.Claim(variable=f"v{k}", source=source,
                                       quantity=draw(quantile_quantities())))
    truths = {f"v{k}": float(draw(st.integers(-250, 400)))
              for k in range(n_items) if k == 0 or draw(st.booleans())}
    return claims, truths


def _run(claims: list[cr.Claim], truths: dict[str, float], **options: Any) -> cr.Estimates:
    return cr.reconcile_all(claims, "cooke", truths=truths, on_error="collect", **options)


@given(study=studies(), dm=st.sampled_from(["global", "item"]), data=st.data())
def test_performance_weights_keep_the_contract(
    study: tuple[list[cr.Claim], dict[str, float]], dm: str, data: st.DataObject
) -> None:
    claims, truths = study
    es = _run(claims, truths, dm=dm)
    assert set(es) | set(es.errors) == {c.variable for c in claims}
    for variable, e in es.items():
        mine = [c for c in claims if c.variable == variable]
        # accounts_for_all: every claim once, the shares sum to 1
        assert len(e.contributions) + len(e.excluded) == len(mine)
        assert math.isclose(sum(c.weight for c in e.contributions), 1.0)
        # within_envelope
        assert e.lower is not None and e.upper is not None and e.value is not None
        q = [c.claim.quantity for c in e.contributions]
        lo = min(-math.inf if x.lower is None else x.lower for x in q)
        up = max(math.inf if x.upper is None else x.upper for x in q)
        assert lo <= e.lower <= e.value <= e.upper <= up
    rel = es.source_reliability
    if es:
        assert rel is not None and math.isclose(sum(rel.values()), 1.0)
    # order_free
    shuffled = _run(data.draw(st.permutations(claims)), truths, dm=dm)
    assert set(shuffled) == set(es) and set(shuffled.errors) == set(es.errors)
    for variable, e in es.items():
        f = shuffled[variable]
        assert (f.lower, f.value, f.upper) == pytest.approx((e.lower, e.value, e.upper),
                                                            rel=1e-9, abs=1e-9)
    # scale_free: the experts' stated reliabilities play no part
    scaled = [cr.Claim(variable=c.variable, quantity=c.quantity,
                       source=cr.Source(id=c.source.id, reliability=c.source.reliability / 2))
              for c in claims]
    again = _run(scaled, truths, dm=dm)
    for variable, e in es.items():
        assert (again[variable].lower, again[variable].upper) == (e.lower, e.upper)
