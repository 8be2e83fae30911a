"""How claims become standard errors, the options, source reliability, many variables."""

from __future__ import annotations

import json
import math
from statistics import NormalDist
from typing import Any

import numpy as np
import pytest
from claimrecon_meta import REASONS
from claimrecon_meta._stats import chi2_sf, normal_two_sided_p, two_sided_z
from scipy import optimize, stats

import claimrecon as cr


def z_of(level: float) -> float:
    return NormalDist().inv_cdf((1 + level) / 2)


def claim(
    source: str,
    y: float | None = None,
    se: float | None = None,
    *,
    level: float | None = 0.95,
    lower: float | None = None,
    upper: float | None = None,
    reliability: float = 1.0,
    variable: str = "v",
) -> cr.Claim:
    if se is not None and y is not None:
        half = z_of(level or 0.95) * se
        lower, upper = y - half, y + half
    q = cr.Quantity(value=y, lower=lower, upper=upper, confidence=level)
    return cr.Claim(variable=variable, source=cr.Source(id=source, reliability=reliability),
                    quantity=q)


STRATEGIES = [("inverse-variance", {}), ("random-effects", {"method": "REML"}),
              ("random-effects", {"method": "DL"}), ("random-effects", {"method": "PM"})]


# -- reading claims -----------------------------------------------------------------------


def test_the_standard_error_uses_the_exact_normal_quantile() -> None:
    # One claim at 90%: se = (upper - lower) / (2 z_0.95), and the estimate is its own
    # interval; its level is the estimate's confidence.
    c = claim("a", lower=1.0, upper=3.0, level=0.9, y=None)
    e = cr.reconcile([c], "inverse-variance")
    assert e.diagnostics["se"] == pytest.approx(2.0 / (2 * 1.6448536269514722), rel=1e-14)
    assert (e.value, e.lower, e.upper, e.confidence) == pytest.approx((2.0, 1.0, 3.0, 0.9))


@pytest.mark.parametrize(("strategy", "options"), STRATEGIES)
def test_claims_that_give_no_standard_error_are_excluded_with_reasons(
    strategy: str, options: dict[str, Any]
) -> None:
    claims = [
        claim("ok1", 1.0, 0.5),
        claim("ok2", 2.0, 0.3),
        claim("open", level=0.95, lower=0.0),  # no upper bound
        claim("point", 1.5, level=0.95),  # zero width
        claim("no-level", 1.0, level=None, lower=0.0, upper=2.0),
        claim("lopsided", 0.1, level=0.95, lower=0.0, upper=2.0),  # value far off centre
    ]
    e = cr.reconcile(claims, strategy, **options)
    assert sorted(c.claim.source.id for c in e.contributions) == ["ok1", "ok2"]
    reasons = {x.claim.source.id: x.reason for x in e.excluded}
    assert reasons == {"open": REASONS[0], "point": REASONS[1], "no-level": REASONS[2],
                       "lopsided": REASONS[4]}
    assert "no confidence level" in reasons["no-level"]
    assert e.n_used + e.n_excluded == len(claims)


def test_default_confidence_reads_claims_without_a_level() -> None:
    claims = [claim("a", 1.0, 0.5), claim("b", 1.0, level=None, lower=0.0, upper=2.0)]
    assert cr.reconcile(claims, "inverse-variance").n_used == 1
    e = cr.reconcile(claims, "inverse-variance", default_confidence=0.95)
    assert e.n_used == 2 and not e.excluded
    # Read at 95%, claim b has se = 1 / z.
    w = np.array([1 / 0.25, z_of(0.95) ** 2])
    assert e.diagnostics["se"] == pytest.approx(1 / math.sqrt(w.sum()), rel=1e-12)


def test_the_centre_is_pooled_and_the_value_only_checks_symmetry() -> None:
    near = claim("a", 1.05, level=0.95, lower=0.0, upper=2.0)  # 5% of the half-width off
    none = claim("b", None, level=0.95, lower=0.0, upper=2.0)
    for c in (near, none):
        e = cr.reconcile([c], "inverse-variance")
        assert (e.value, e.lower, e.upper) == pytest.approx((1.0, 0.0, 2.0))
    far = claim("c", 1.5, level=0.95, lower=0.0, upper=2.0)
    with pytest.raises(cr.NoUsableClaimsError):
        cr.reconcile([far], "inverse-variance")
    e = cr.reconcile([far], "inverse-variance", symmetry_tolerance=None)
    assert e.value == pytest.approx(1.0)
    assert cr.reconcile([far], "inverse-variance", symmetry_tolerance=0.6).n_used == 1


def test_every_claim_excluded_is_an_error_naming_the_reasons() -> None:
    with pytest.raises(cr.NoUsableClaimsError, match="no confidence level"):
        cr.reconcile([claim("a", 1.0, level=None, lower=0.0, upper=2.0)], "random-effects")


# -- levels -------------------------------------------------------------------------------


def test_mixed_levels_give_a_95_percent_interval_and_level_overrides() -> None:
    claims = [claim("a", 1.0, 0.5, level=0.9), claim("b", 2.0, 0.5, level=0.99)]
    e = cr.reconcile(claims, "inverse-variance")
    se = math.sqrt(1 / (2 / 0.25))
    assert e.confidence == 0.95
    assert (e.lower, e.upper) == pytest.approx((1.5 - z_of(0.95) * se, 1.5 + z_of(0.95) * se))
    e = cr.reconcile(claims, "inverse-variance", level=0.5)
    assert e.confidence == 0.5
    assert e.upper == pytest.approx(1.5 + z_of(0.5) * se)


@pytest.mark.parametrize(("strategy", "options"), STRATEGIES)
def test_one_claim_gives_back_its_own_interval(strategy: str, options: dict[str, Any]) -> None:
    c = claim("a", 10.0, 2.0, level=0.8)
    for claims in ([c], [c, c, c]):  # the engine counts repeats of one claim once
        e = cr.reconcile(claims, strategy, **options)
        q = c.quantity
        assert (e.lower, e.value, e.upper) == pytest.approx((q.lower, 10.0, q.upper), rel=1e-14)
        assert e.confidence == 0.8


# -- options --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"method": "ML"}, "method must be one of"),
        ({"level": 1.5}, "level must be"),
        ({"default_confidence": 0}, "default_confidence must be"),
        ({"symmetry_tolerance": -1}, "symmetry_tolerance must be"),
        ({"tol": 0}, "tol must be"),
        ({"max_iter": 0}, "max_iter must be"),
    ],
)
def test_bad_options_are_refused(options: dict[str, Any], message: str) -> None:
    with pytest.raises(cr.PluginError, match=message):
        cr.reconcile([claim("a", 1.0, 1.0)], "random-effects", **options)


def test_method_names_are_case_insensitive_and_unknown_options_refused() -> None:
    claims = [claim("a", 1.0, 0.5), claim("b", 3.0, 0.5)]
    assert cr.reconcile(claims, "random-effects", method="pm").diagnostics["method"] == "PM"
    with pytest.raises(TypeError, match="takes no option 'method'"):
        cr.reconcile(claims, "inverse-variance", method="DL")


def test_non_convergence_warns_and_says_so() -> None:
    claims = [claim("a", 1.0, 0.5), claim("b", 3.0, 0.2), claim("c", -2.0, 0.4)]
    with pytest.warns(RuntimeWarning, match="did not converge"):
        e = cr.reconcile(claims, "random-effects", method="PM", max_iter=1, tol=1e-15)
    assert e.diagnostics["converged"] is False and e.diagnostics["iterations"] == 1


def test_diagnostics_by_strategy_and_json() -> None:
    claims = [claim("a", 1.0, 0.5), claim("b", 3.0, 0.2), claim("c", -2.0, 0.4)]
    fe = cr.reconcile(claims, "inverse-variance")
    assert set(fe.diagnostics) == {"method", "k", "Q", "df", "Q_pvalue", "I2", "se", "z",
                                   "pvalue"}
    dl = cr.reconcile(claims, "random-effects", method="DL")
    assert set(dl.diagnostics) == set(fe.diagnostics) | {"tau2", "tau", "pi_lower", "pi_upper"}
    reml = cr.reconcile(claims, "random-effects")
    assert set(reml.diagnostics) == set(dl.diagnostics) | {"iterations", "converged"}
    assert reml.diagnostics["pi_lower"] < reml.lower < reml.upper < reml.diagnostics["pi_upper"]
    json.dumps(reml.to_dict())
    assert "tau2=" in reml.explain()


# -- source reliability ---------------------------------------------------------------------

Y = np.array([0.3, -0.2, 1.1, 0.7, 0.0])
SE = np.array([0.2, 0.3, 0.25, 0.5, 0.15])
R = np.array([1.0, 0.4, 0.7, 0.2, 0.9])


def reliability_claims() -> list[cr.Claim]:
    return [claim(f"s{i}", float(y), float(s), reliability=float(r))
            for i, (y, s, r) in enumerate(zip(Y, SE, R, strict=True))]


def pooled(tau2: float) -> tuple[float, float, np.ndarray]:
    b = R / (SE**2 + tau2)
    mu = float(np.sum(b * Y) / b.sum())
    se = math.sqrt(float(np.sum(b * b * (SE**2 + tau2)))) / float(b.sum())
    return mu, se, b / b.sum()


def check_pooling(e: cr.Estimate, tau2: float) -> None:
    mu, se, shares = pooled(tau2)
    assert e.value == pytest.approx(mu, rel=1e-10)
    assert e.diagnostics["se"] == pytest.approx(se, rel=1e-10)
    assert e.upper == pytest.approx(mu + z_of(0.95) * se, rel=1e-10)
    by_source = {c.claim.source.id: c.weight for c in e.contributions}
    assert [by_source[f"s{i}"] for i in range(len(Y))] == pytest.approx(shares, rel=1e-10)


def test_reliability_multiplies_the_inverse_variance_weights() -> None:
    check_pooling(cr.reconcile(reliability_claims(), "inverse-variance"), 0.0)


def test_reliability_weighted_dersimonian_laird() -> None:
    e = cr.reconcile(reliability_claims(), "random-effects", method="DL")
    a = R / SE**2
    mu = np.sum(a * Y) / a.sum()
    q_a = np.sum(a * (Y - mu) ** 2)
    tau2 = (q_a - (R.sum() - np.sum(R * a) / a.sum())) / (a.sum() - np.sum(a * a) / a.sum())
    assert tau2 > 0
    assert e.diagnostics["tau2"] == pytest.approx(tau2, rel=1e-12)
    check_pooling(e, float(tau2))


def test_reliability_weighted_paule_mandel_solves_its_moment_equation() -> None:
    e = cr.reconcile(reliability_claims(), "random-effects", method="PM")
    tau2 = e.diagnostics["tau2"]
    b = R / (SE**2 + tau2)
    mu = np.sum(b * Y) / b.sum()
    assert tau2 > 0
    assert np.sum(b * (Y - mu) ** 2) == pytest.approx(R.sum() - np.sum(R * b) / b.sum(),
                                                      rel=1e-10)
    check_pooling(e, tau2)


def weighted_restricted_loglik(tau2: float) -> float:
    s2 = SE**2 + tau2
    b = R / s2
    mu = np.sum(b * Y) / b.sum()
    return -0.5 * float(np.sum(R * np.log(s2)) + R.mean() * np.log(b.sum())
                        + np.sum(b * (Y - mu) ** 2))


def test_reliability_weighted_reml_maximises_its_likelihood() -> None:
    e = cr.reconcile(reliability_claims(), "random-effects", method="REML")
    res = optimize.minimize_scalar(lambda t: -weighted_restricted_loglik(t), bounds=(0, 10),
                                   method="bounded", options={"xatol": 1e-12})
    assert e.diagnostics["tau2"] == pytest.approx(res.x, rel=1e-5)
    check_pooling(e, e.diagnostics["tau2"])


@pytest.mark.parametrize(("strategy", "options"), STRATEGIES)
def test_equal_reliabilities_are_the_textbook_estimators(
    strategy: str, options: dict[str, Any]
) -> None:
    base = [claim(f"s{i}", float(y), float(s)) for i, (y, s) in enumerate(zip(Y, SE, strict=True))]
    same = [claim(f"s{i}", float(y), float(s), reliability=0.3)
            for i, (y, s) in enumerate(zip(Y, SE, strict=True))]
    a = cr.reconcile(base, strategy, **options)
    b = cr.reconcile(same, strategy, **options)
    assert (a.value, a.lower, a.upper) == pytest.approx((b.value, b.lower, b.upper), rel=1e-12)


# -- many variables ---------------------------------------------------------------------------


@pytest.mark.parametrize(("strategy", "options"), STRATEGIES)
def test_many_variables_at_once_match_one_at_a_time(
    strategy: str, options: dict[str, Any]
) -> None:
    rng = np.random.default_rng(20250101)
    sources = [cr.Source(id=f"s{i}", reliability=float(r))
               for i, r in enumerate(rng.uniform(0.1, 1.0, 6))]
    claims: list[cr.Claim] = []
    for k in range(60):
        for j in range(int(rng.integers(1, 9))):
            y = float(rng.normal(k % 7, 2.0))
            half = float(rng.uniform(0.05, 3.0))
            level = float(rng.choice([0.9, 0.95]))
            src = sources[j % len(sources)]
            if rng.random() < 0.1:  # now and then a claim that gives no standard error
                q = cr.Quantity(value=y, lower=y - half)
            else:
                q = cr.Quantity(value=y, lower=y - half, upper=y + half, confidence=level)
            claims.append(cr.Claim(variable=f"x{k}", source=src, quantity=q))
    es = cr.reconcile_all(claims, strategy, on_error="collect", **options)
    by_var: dict[str, list[cr.Claim]] = {}
    for c in claims:
        by_var.setdefault(str(c.variable), []).append(c)
    for var, part in by_var.items():
        if var in es.errors:
            with pytest.raises(cr.NoUsableClaimsError):
                cr.reconcile(part, strategy, **options)
            continue
        one = cr.reconcile(part, strategy, **options)
        got = es[var]
        assert (got.value, got.lower, got.upper) == pytest.approx(
            (one.value, one.lower, one.upper), rel=1e-10, abs=1e-12)
        assert [c.weight for c in got.contributions] == pytest.approx(
            [c.weight for c in one.contributions], rel=1e-10)
        numbers = {k: v for k, v in one.diagnostics.items() if not isinstance(v, str)}
        assert got.diagnostics["method"] == one.diagnostics["method"]
        assert {k: got.diagnostics[k] for k in numbers} == pytest.approx(
            numbers, rel=1e-9, abs=1e-12, nan_ok=True)


# -- the distribution helpers ----------------------------------------------------------------


def test_chi_square_tail_matches_scipy() -> None:
    df = np.repeat(np.arange(1, 301), 5)
    x = np.concatenate([np.array([0.1, 0.5, 1.0, 2.0, 3.0]) * d for d in range(1, 301)])
    assert chi2_sf(x, df) == pytest.approx(stats.chi2.sf(x, df), rel=1e-10, abs=1e-300)
    assert np.isnan(chi2_sf(np.array([1.0]), np.array([0]))).all()
    assert chi2_sf(np.array([0.0, 0.0]), np.array([1, 2])) == pytest.approx([1.0, 1.0])


def test_normal_helpers() -> None:
    assert two_sided_z(np.array([0.95]))[0] == NormalDist().inv_cdf(0.975)
    assert normal_two_sided_p(np.array([1.959963984540054]))[0] == pytest.approx(0.05)
