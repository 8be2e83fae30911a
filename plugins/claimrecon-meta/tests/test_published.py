"""Published results, reproduced through the public API (see data/PROVENANCE.md)."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from statistics import NormalDist

import pytest

import claimrecon as cr

DATA = Path(__file__).parent / "data"
Z95 = NormalDist().inv_cdf(0.975)


def interval_claim(
    variable: str, source: str, y: float, vi: float, level: float = 0.95
) -> cr.Claim:
    """A claim stating ``y`` with its ``level`` confidence interval ``y ± z·sqrt(vi)``."""
    half = NormalDist().inv_cdf((1 + level) / 2) * math.sqrt(vi)
    q = cr.Quantity(value=y, lower=y - half, upper=y + half, confidence=level)
    return cr.Claim(variable=variable, source=cr.Source(id=source), quantity=q)


def bcg_effects() -> list[tuple[str, float, float]]:
    """(trial, log risk ratio, its sampling variance) for the 13 BCG trials."""
    out = []
    with (DATA / "bcg.csv").open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            a, b, c, d = (int(row[k]) for k in ("tpos", "tneg", "cpos", "cneg"))
            yi = math.log((a / (a + b)) / (c / (c + d)))
            vi = 1 / a - 1 / (a + b) + 1 / c - 1 / (c + d)
            out.append((row["trial"], yi, vi))
    return out


def bcg_claims() -> list[cr.Claim]:
    return [interval_claim("bcg", f"trial-{t}", y, v) for t, y, v in bcg_effects()]


def test_the_data_are_the_thirteen_trials() -> None:
    effects = bcg_effects()
    assert len(effects) == 13
    # metafor's escalc(measure="RR") for trial 1: yi = -0.8893, vi = 0.3256
    assert round(effects[0][1], 4) == -0.8893 and round(effects[0][2], 4) == 0.3256


# strategy, options, {figure: published value}. Figures: value, lower, upper (the 95% CI)
# and diagnostics by name.
PUBLISHED = [
    ("inverse-variance", {}, {
        "value": -0.4303, "lower": -0.5097, "upper": -0.3509, "z": -10.6247,
        "Q": 152.2330, "df": 12,
    }),
    ("random-effects", {"method": "DL"}, {
        "value": -0.7141, "lower": -1.0644, "upper": -0.3638, "z": -3.9952,
        "tau2": 0.3088, "I2": 92.1173, "Q": 152.2330, "df": 12,
    }),
    ("random-effects", {"method": "REML"}, {"value": -0.7145, "tau2": 0.3132}),
    ("random-effects", {}, {"value": -0.7145, "tau2": 0.3132}),  # REML is the default
]


@pytest.mark.parametrize(("strategy", "options", "published"), PUBLISHED)
def test_bcg_matches_the_published_results(
    strategy: str, options: dict[str, str], published: dict[str, float]
) -> None:
    e = cr.reconcile(bcg_claims(), strategy, **options)
    assert e.confidence == 0.95
    assert e.n_used == 13 and not e.excluded
    for name, expected in published.items():
        got = getattr(e, name) if name in ("value", "lower", "upper") else e.diagnostics[name]
        assert round(got, 4) == expected, (name, got, expected)


def test_bcg_random_effects_weights_are_the_normalised_inverse_variances() -> None:
    e = cr.reconcile(bcg_claims(), "random-effects", method="REML")
    tau2 = e.diagnostics["tau2"]
    w = {f"trial-{t}": 1 / (v + tau2) for t, _, v in bcg_effects()}
    total = sum(w.values())
    for c in e.contributions:
        assert c.weight == pytest.approx(w[c.claim.source.id] / total, rel=1e-12)
    pooled = sum(w[f"trial-{t}"] * y for t, y, _ in bcg_effects()) / total
    assert e.value == pytest.approx(pooled, rel=1e-12)
    assert e.diagnostics["se"] == pytest.approx(1 / math.sqrt(total), rel=1e-12)
    assert e.diagnostics["converged"] is True and e.diagnostics["iterations"] >= 1
    # The prediction interval: value ± z·sqrt(se² + tau²).
    half = Z95 * math.sqrt(e.diagnostics["se"] ** 2 + tau2)
    assert e.diagnostics["pi_lower"] == pytest.approx(e.value - half, rel=1e-12)
    assert e.diagnostics["pi_upper"] == pytest.approx(e.value + half, rel=1e-12)


def test_bcg_random_effects_interval_is_wider_than_the_fixed_effect_one() -> None:
    fe = cr.reconcile(bcg_claims(), "inverse-variance")
    re = cr.reconcile(bcg_claims(), "random-effects")
    assert fe.upper is not None and fe.lower is not None
    assert re.upper is not None and re.lower is not None
    assert re.upper - re.lower > fe.upper - fe.lower
    # The trials' intervals share no point: the engine says so, the pooling is unchanged.
    assert re.conflict and fe.conflict


# Kacker (2004), Paule-Mandel, metafor (see data/PROVENANCE.md).
KACKER_Y = (61.0, 61.4, 62.21, 62.3, 62.34, 62.6, 62.7, 62.84, 65.9)
KACKER_V = (0.2025, 1.2100, 0.0900, 0.2025, 0.3844, 0.5625, 0.0676, 0.0225, 1.8225)
KACKER_PM = {
    "value": 62.4076199113286, "lower": 61.7450921043947, "upper": 63.0701477182625,
    "se": 0.338030602684471, "z": 184.621213037276, "tau2": 0.705395309224248,
    "Q": 24.801897741835, "Q_pvalue": 0.00167935146372742, "I2": 83.7218626490482,
}


def kacker_claims() -> list[cr.Claim]:
    return [interval_claim("kacker", f"lab-{i}", y, v)
            for i, (y, v) in enumerate(zip(KACKER_Y, KACKER_V, strict=True))]


def test_kacker_paule_mandel_matches_metafor() -> None:
    e = cr.reconcile(kacker_claims(), "random-effects", method="PM")
    for name, expected in KACKER_PM.items():
        got = getattr(e, name) if name in ("value", "lower", "upper") else e.diagnostics[name]
        assert got == pytest.approx(expected, rel=1e-8), name


def test_many_variables_in_one_call_match_one_at_a_time() -> None:
    claims = bcg_claims() + kacker_claims()
    for method in ("REML", "DL", "PM"):
        es = cr.reconcile_all(claims, "random-effects", method=method)
        for variable, part in (("bcg", bcg_claims()), ("kacker", kacker_claims())):
            one = cr.reconcile(part, "random-effects", method=method)
            both = es[variable]
            assert (both.value, both.lower, both.upper) == pytest.approx(
                (one.value, one.lower, one.upper), rel=1e-12)
            assert both.diagnostics["tau2"] == pytest.approx(one.diagnostics["tau2"], rel=1e-10)
