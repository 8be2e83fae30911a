"""Random inputs, cross-checked against independent implementations: statsmodels'
``combine_effects`` (fixed effect, DerSimonian-Laird, Paule-Mandel) and a direct
numerical maximisation of the restricted likelihood with scipy (REML)."""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import claimrecon as cr

with warnings.catch_warnings():  # statsmodels' imports may warn about their own deps
    warnings.simplefilter("ignore")
    from scipy import optimize
    from statsmodels.stats.meta_analysis import combine_effects

Effects = tuple[np.ndarray, np.ndarray]
LEVELS = st.sampled_from([0.8, 0.9, 0.95, 0.99]) | st.floats(0.5, 0.995)


@st.composite
def effects(draw: st.DrawFn) -> Effects:
    """2 to 15 effect sizes with their sampling variances."""
    k = draw(st.integers(2, 15))
    y = draw(st.lists(st.floats(-10, 10), min_size=k, max_size=k))
    v = draw(st.lists(st.floats(1e-3, 10), min_size=k, max_size=k))
    return np.array(y), np.array(v)


def claims_for(y: np.ndarray, v: np.ndarray, level: float) -> list[cr.Claim]:
    z = NormalDist().inv_cdf((1 + level) / 2)
    out = []
    for i, (yi, vi) in enumerate(zip(y.tolist(), v.tolist(), strict=True)):
        half = z * math.sqrt(vi)
        q = cr.Quantity(value=yi, lower=yi - half, upper=yi + half, confidence=level)
        out.append(cr.Claim(variable="x", source=cr.Source(id=f"s{i}"), quantity=q))
    return out


def close(a: float | None, b: float, rel: float = 1e-9, abs_: float = 1e-9) -> bool:
    return a is not None and math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


def i2_from_q(q: float, df: int) -> float:
    """I² in percent from Q (statsmodels' own ``i2`` is not truncated at 0 and divides
    by a Q that rounding can leave at ~0)."""
    return 100.0 * (q - df) / q if q > df else 0.0


def sm_combine(y: np.ndarray, v: np.ndarray, level: float, method: str) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if method == "pm":
            return combine_effects(y, v, method_re="pm", alpha=1 - level, atol=1e-11,
                                   maxiter=10_000)
        return combine_effects(y, v, method_re=method, alpha=1 - level)


@settings(max_examples=200, deadline=None)
@given(data=effects(), level=LEVELS)
# Q all but zero: no overflow in I² (found by hypothesis).
@example(data=(np.array([0.0, 1.67772656e-156]), np.array([1.0, 1.0])), level=0.8)
def test_fixed_effect_matches_statsmodels(data: Effects, level: float) -> None:
    y, v = data
    sm = sm_combine(y, v, level, "dl")
    e = cr.reconcile(claims_for(y, v, level), "inverse-variance")
    mean, sd, crit = sm.mean_effect_fe, sm.sd_eff_w_fe, sm.crit
    assert e.confidence == level
    assert close(e.value, mean)
    assert close(e.lower, mean - crit * sd)
    assert close(e.upper, mean + crit * sd)
    assert close(e.diagnostics["se"], sd)
    assert close(e.diagnostics["Q"], sm.q, rel=1e-8)
    assert close(e.diagnostics["I2"], i2_from_q(sm.q, len(y) - 1), rel=1e-7, abs_=1e-6)


@settings(max_examples=200, deadline=None)
@given(data=effects(), level=LEVELS)
def test_dersimonian_laird_matches_statsmodels(
    data: Effects, level: float
) -> None:
    y, v = data
    sm = sm_combine(y, v, level, "dl")
    e = cr.reconcile(claims_for(y, v, level), "random-effects", method="DL")
    if sm.tau2 > 0:
        mean, sd = sm.mean_effect_re, sm.sd_eff_w_re
    else:  # statsmodels does not truncate tau² at 0; the estimate does: then it is FE
        mean, sd = sm.mean_effect_fe, sm.sd_eff_w_fe
    crit = sm.crit
    assert close(e.diagnostics["tau2"], max(0.0, sm.tau2), rel=1e-8)
    assert close(e.value, mean)
    assert close(e.lower, mean - crit * sd)
    assert close(e.upper, mean + crit * sd)
    assert close(e.diagnostics["I2"], i2_from_q(sm.q, len(y) - 1), rel=1e-7, abs_=1e-6)


@settings(max_examples=200, deadline=None)
@given(data=effects(), level=LEVELS)
def test_paule_mandel_matches_statsmodels(data: Effects, level: float) -> None:
    y, v = data
    sm = sm_combine(y, v, level, "pm")
    e = cr.reconcile(claims_for(y, v, level), "random-effects", method="PM")
    assert e.diagnostics["converged"] is True
    if sm.tau2 == 0 and sm.q > len(y) - 1:
        # statsmodels stops at 0 when its update overshoots the root (its estimating
        # equation turns negative), so check the defining equation itself there:
        # sum w (y - mu)² = k - 1 with w = 1 / (v + tau²).
        w = 1.0 / (v + e.diagnostics["tau2"])
        mu = float(np.sum(w * y) / np.sum(w))
        assert float(np.sum(w * (y - mu) ** 2)) == pytest.approx(len(y) - 1, rel=1e-9)
        return
    mean, sd, crit = sm.mean_effect_re, sm.sd_eff_w_re, sm.crit
    assert e.diagnostics["converged"] is True
    assert close(e.diagnostics["tau2"], sm.tau2, rel=1e-7, abs_=1e-9)
    assert close(e.value, mean, rel=1e-7, abs_=1e-8)
    assert close(e.lower, mean - crit * sd, rel=1e-7, abs_=1e-8)
    assert close(e.upper, mean + crit * sd, rel=1e-7, abs_=1e-8)


def restricted_loglik(tau2: float, y: np.ndarray, v: np.ndarray) -> float:
    """The restricted (residual) log-likelihood of the random-effects model, up to a
    constant: -1/2 [sum log(v + tau²) + log sum w + sum w (y - mu)²], w = 1/(v + tau²)."""
    w = 1.0 / (v + tau2)
    mu = float(np.sum(w * y) / np.sum(w))
    return -0.5 * float(np.sum(np.log(v + tau2)) + np.log(np.sum(w)) + np.sum(w * (y - mu) ** 2))


def reml_by_optimisation(y: np.ndarray, v: np.ndarray) -> float:
    """Maximise the restricted likelihood over tau² >= 0: a grid, then Brent's bounded
    method on the bracket around the grid's best point."""
    top = 10.0 * (float(np.ptp(y)) ** 2 + float(v.max()))
    grid = np.concatenate(([0.0], np.geomspace(1e-10, top, 600)))
    ll = np.array([restricted_loglik(t, y, v) for t in grid])
    i = int(np.argmax(ll))
    a, b = grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]
    res = optimize.minimize_scalar(lambda t: -restricted_loglik(t, y, v), bounds=(a, b),
                                   method="bounded", options={"xatol": 1e-14})
    best = float(res.x)
    return 0.0 if restricted_loglik(0.0, y, v) >= restricted_loglik(best, y, v) else best


@settings(max_examples=200, deadline=None)
@given(data=effects(), level=LEVELS)
# Two local maxima: tau² = 0 (the far claim explained by its own variance) and inside.
@example(data=(np.array([0.0, 0.0, 3.0]), np.array([0.125, 0.03125, 1.0])), level=0.8)
def test_reml_maximises_the_restricted_likelihood(
    data: Effects, level: float
) -> None:
    y, v = data
    e = cr.reconcile(claims_for(y, v, level), "random-effects", method="REML")
    tau2 = e.diagnostics["tau2"]
    assert e.diagnostics["converged"] is True
    opt = reml_by_optimisation(y, v)
    # Ours is at least as high on the likelihood as the optimiser's answer, and close.
    assert restricted_loglik(tau2, y, v) >= restricted_loglik(opt, y, v) - 1e-12
    assert tau2 == pytest.approx(opt, rel=1e-5, abs=1e-6)
    w = 1.0 / (v + tau2)
    mean = float(np.sum(w * y) / np.sum(w))
    half = NormalDist().inv_cdf((1 + level) / 2) / math.sqrt(float(np.sum(w)))
    assert close(e.value, mean) and close(e.lower, mean - half) and close(e.upper, mean + half)


def test_bcg_paule_mandel_matches_statsmodels() -> None:
    # No published PM figures for BCG are at hand; statsmodels stands in.
    counts = np.loadtxt(Path(__file__).parent / "data" / "bcg.csv", delimiter=",",
                        skiprows=1, usecols=(3, 4, 5, 6))
    a, b, c, d = counts.T
    y = np.log((a / (a + b)) / (c / (c + d)))
    v = 1 / a - 1 / (a + b) + 1 / c - 1 / (c + d)
    sm = sm_combine(y, v, 0.95, "pm")
    e = cr.reconcile(claims_for(y, v, 0.95), "random-effects", method="PM")
    assert e.diagnostics["tau2"] == pytest.approx(sm.tau2, rel=1e-9)
    assert e.value == pytest.approx(sm.mean_effect_re, rel=1e-9)
    assert round(e.diagnostics["tau2"], 4) == 0.3181 and round(e.value, 4) == -0.7150
