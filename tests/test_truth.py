"""The truth-discovery strategies: crh, catd, truthfinder."""

from __future__ import annotations

import importlib.util
import math
import warnings
from pathlib import Path
from types import ModuleType

import numpy as np
import pluggy
import pytest

import claimrecon as cr
from claimrecon._strategies._truth import chi2_lower_quantile, relative_deviation
from claimrecon.testing import check_strategy

LEARNERS = ("crh", "catd", "truthfinder")
VANDAL = 6.6e18


def table_of(rows: list[tuple[object, str, float]]) -> cr.ClaimTable:
    """Point claims from (variable, source id, value) rows."""
    sources: dict[str, cr.Source] = {}
    claims = [
        cr.Claim(variable=v, source=sources.setdefault(s, cr.Source(id=s)),
                 quantity=cr.Quantity(value=x))
        for v, s, x in rows
    ]
    return cr.ClaimTable.from_claims(claims)


def noisy_rows(
    noise: dict[str, float], n_vars: int, seed: int, *, vandal: str | None = None,
    vandal_share: float = 0.0,
) -> tuple[list[tuple[object, str, float]], dict[int, float]]:
    """Every source claims every variable: truth x (1 + noise x N(0, 1)), rounded; a
    vandal source (if any) claims 6.6e18 for a share of the variables."""
    rng = np.random.default_rng(seed)
    truth = {k: float(rng.uniform(1e3, 1e6)) for k in range(n_vars)}
    rows: list[tuple[object, str, float]] = []
    for k, t in truth.items():
        for s, sd in noise.items():
            rows.append((k, s, float(round(t * (1 + sd * rng.standard_normal())))))
        if vandal is not None and rng.random() < vandal_share:
            rows.append((k, vandal, VANDAL))
    return rows, truth


# -- the contract --------------------------------------------------------------------------


@pytest.mark.parametrize("name", LEARNERS)
def test_keeps_its_declared_contract(name: str, pm: pluggy.PluginManager) -> None:
    check_strategy(name, plugin_manager=pm)


@pytest.mark.parametrize("name", LEARNERS)
def test_declares_the_core_properties(name: str, pm: pluggy.PluginManager) -> None:
    s = cr.get_strategy(name, plugin_manager=pm)
    assert s.properties == {"within_envelope", "accounts_for_all", "order_free",
                            "idempotent", "scale_free"}
    assert s.kernel is not None and s.grouped


@pytest.mark.parametrize("name", LEARNERS)
def test_one_ranged_claim_reconciles_to_itself(name: str, pm: pluggy.PluginManager) -> None:
    c = cr.Claim(variable="v", source=cr.Source(id="a"),
                 quantity=cr.Quantity(lower=5.0, upper=10.0))
    e = cr.reconcile([c], name, plugin_manager=pm)
    assert (e.lower, e.value, e.upper) == (5.0, 7.5, 10.0)  # the midpoint is its figure


@pytest.mark.parametrize("name", LEARNERS)
def test_claims_without_a_figure_count_for_the_range_only(
    name: str, pm: pluggy.PluginManager
) -> None:
    src = [cr.Source(id=i) for i in "abc"]
    claims = [
        cr.Claim(variable="v", source=src[0], quantity=cr.Quantity(value=100.0)),
        cr.Claim(variable="v", source=src[1], quantity=cr.Quantity(value=100.0)),
        cr.Claim(variable="v", source=src[2], quantity=cr.Quantity(lower=50.0)),
    ]
    e = cr.reconcile(claims, name, plugin_manager=pm)
    assert e.value == 100.0
    assert len(e.contributions) == 3 and not e.excluded
    assert all(c.weight > 0 for c in e.contributions)
    only_open = cr.reconcile(claims[2:], name, plugin_manager=pm)
    assert only_open.value is None and only_open.lower == 50.0 and only_open.upper is None


# -- learning reliability ------------------------------------------------------------------


@pytest.mark.parametrize("name", LEARNERS)
def test_recovers_the_order_of_known_noise_levels(name: str, pm: pluggy.PluginManager) -> None:
    noise = {"s0.1%": 0.001, "s1%": 0.01, "s5%": 0.05, "s20%": 0.2, "s60%": 0.6}
    rows, truth = noisy_rows(noise, 300, seed=1)
    es = cr.reconcile_all(table_of(rows), strategy=name, plugin_manager=pm)
    rel = es.source_reliability
    assert rel is not None
    learned = [rel[s] for s in noise]  # from the least to the most noisy
    assert learned == sorted(learned, reverse=True), learned
    assert len(set(learned)) == len(learned)
    assert all(0 < r <= 1 for r in learned)
    errors = [abs(es[k].value - t) / t for k, t in truth.items()]  # type: ignore[operator]
    assert float(np.median(errors)) < 0.01


def test_catd_does_not_over_trust_sources_of_few_claims(pm: pluggy.PluginManager) -> None:
    # One prolific source and, for every variable, a one-off source, all equally
    # accurate: CATD's confidence bound trusts the prolific one most; the paper's CRH
    # (summed loss) does the opposite, the long-tail weakness CATD was designed
    # against; CRH's default per-claim loss weighs the prolific source like the rest.
    rng = np.random.default_rng(2)
    rows: list[tuple[object, str, float]] = []
    for k in range(100):
        t = float(rng.uniform(1e3, 1e6))
        rows.append((k, "prolific", round(t * (1 + 0.01 * rng.standard_normal()))))
        rows.append((k, f"once-{k}", round(t * (1 + 0.01 * rng.standard_normal()))))
    table = table_of(rows)
    catd = cr.reconcile_all(table, strategy="catd", plugin_manager=pm).source_reliability
    crh = cr.reconcile_all(table, strategy="crh", plugin_manager=pm).source_reliability
    summed = cr.reconcile_all(table, strategy="crh", plugin_manager=pm,
                              aggregate="sum").source_reliability
    assert catd is not None and crh is not None and summed is not None
    once = [s for s in catd if s != "prolific"]
    assert catd["prolific"] == 1.0
    assert max(catd[s] for s in once) < 0.1
    assert summed["prolific"] < 0.2 * float(np.median([summed[s] for s in once]))
    assert crh["prolific"] > 0.5 * float(np.median([crh[s] for s in once]))


def test_laplace_catd_weights_are_gentler(pm: pluggy.PluginManager) -> None:
    # Ten times the noise: about a hundredth of the weight under normal errors (the
    # paper's), about a tenth under Laplace errors; both keep the order.
    rows, _ = noisy_rows({"a": 0.01, "b": 0.01, "c": 0.1}, 300, seed=7)
    table = table_of(rows)
    ratio = {}
    for errors in ("normal", "laplace"):
        rel = cr.reconcile_all(table, strategy="catd", plugin_manager=pm, errors=errors,
                               deviation="relative").source_reliability
        assert rel is not None
        ratio[errors] = rel["c"] / min(rel["a"], rel["b"])
    assert 0 < ratio["normal"] < 0.03
    assert 0.05 < ratio["laplace"] < 0.2


@pytest.mark.parametrize("name", ["crh", "catd"])
@pytest.mark.parametrize("deviation", ["spread", "relative"])
def test_deviations_never_overflow(name: str, deviation: str, pm: pluggy.PluginManager) -> None:
    rows: list[tuple[object, str, float]] = [
        ("a", "x", 1.5e308), ("a", "y", -1.5e308), ("a", "z", 1e308),
        ("b", "x", 3.0), ("b", "y", 3.0), ("c", "x", 0.0), ("c", "z", 0.0),
        ("d", "x", 100.0), ("d", "y", 101.0), ("d", "z", VANDAL)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        es = cr.reconcile_all(table_of(rows), strategy=name, plugin_manager=pm,
                              deviation=deviation)
    rel = es.source_reliability
    assert rel is not None and all(0 < r <= 1 for r in rel.values())
    assert es["a"].value in (1.5e308, -1.5e308, 1e308)
    assert es["d"].value in (100.0, 101.0)


def test_truthfinder_keeps_the_initial_trust_of_sources_it_cannot_judge(
    pm: pluggy.PluginManager,
) -> None:
    rows = [("a", "x", 10.0), ("a", "y", 10.0), ("a", "z", 30.0), ("b", "alone", 5.0)]
    es = cr.reconcile_all(table_of(rows), strategy="truthfinder", plugin_manager=pm,
                          initial_trust=0.8)
    rel = es.source_reliability
    assert rel is not None
    assert rel["alone"] == 0.8
    assert rel["x"] == rel["y"] > rel["z"]
    assert es["a"].value == 10.0
    assert 0.5 < es["a"].diagnostics["confidence"] < 1


@pytest.mark.parametrize("name", LEARNERS)
def test_sources_absent_from_the_batch_have_no_reliability(
    name: str, pm: pluggy.PluginManager
) -> None:
    rows = [("a", "x", 10.0), ("a", "y", 12.0), ("b", "z", 5.0), ("b", "x", 6.0)]
    es = cr.reconcile_all(table_of(rows), strategy={"a": name, "b": "median"},
                          plugin_manager=pm)
    rel = es.source_reliability
    assert rel is not None
    assert math.isnan(rel["z"])
    assert not math.isnan(rel["x"]) and not math.isnan(rel["y"])


# -- robustness ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", LEARNERS)
def test_one_vandal_value_cannot_move_the_estimate(name: str, pm: pluggy.PluginManager) -> None:
    src = [cr.Source(id=i) for i in "abc"]
    claims = [cr.Claim(variable="v", source=s, quantity=cr.Quantity(value=x))
              for s, x in zip(src, (10_000.0, 12_000.0, VANDAL), strict=True)]
    e = cr.reconcile(claims, name, plugin_manager=pm)
    assert e.value in (10_000.0, 12_000.0)


@pytest.mark.parametrize("name", LEARNERS)
def test_vandal_source_is_learned_and_kept_out_of_the_range(
    name: str, pm: pluggy.PluginManager
) -> None:
    noise = {"a": 0.002, "b": 0.01, "c": 0.03}
    rows, truth = noisy_rows(noise, 200, seed=3, vandal="vandal", vandal_share=0.4)
    # Honest sources slip too, now and then.
    rows += [(0, "d", VANDAL), (1, "d", 1.0), (2, "d", truth[2])]
    es = cr.reconcile_all(table_of(rows), strategy=name, plugin_manager=pm)
    for k, t in truth.items():
        e = es[k]
        assert e.value is not None and abs(e.value - t) / t < 0.1
        assert e.upper is not None and e.upper < 1e7
        vandal_share = sum(c.weight for c in e.contributions if c.claim.source.id == "vandal")
        assert vandal_share < 0.3
    rel = es.source_reliability
    assert rel is not None
    assert rel["vandal"] < min(rel[s] for s in noise)


def test_relative_deviation_is_bounded_and_never_overflows() -> None:
    a = np.array([1e308, 1e308, -1e308, 0.0, 5.0, 100.0, 1e3])
    b = np.array([1.5e308, 1e308, 1e308, 0.0, -5.0, 110.0, VANDAL])
    d = relative_deviation(a, b)
    assert np.allclose(d, [0.2, 0.0, 1.0, 0.0, 1.0, 10 / 210, 1.0])
    assert ((d >= 0) & (d <= 1)).all()


# -- batches -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", LEARNERS)
def test_a_batch_of_many_variables(name: str, pm: pluggy.PluginManager) -> None:
    noise = {"a": 0.001, "b": 0.02, "c": 0.1, "d": 0.3}
    rows, truth = noisy_rows(noise, 1000, seed=4, vandal="v", vandal_share=0.05)
    table = table_of(rows)
    es = cr.reconcile_all(table, strategy=name, plugin_manager=pm)
    assert len(es) == len(truth) and not es.errors
    frame = es.to_pandas()
    assert (frame["lower"] <= frame["value"]).all() and (frame["value"] <= frame["upper"]).all()
    claims = es.claims_to_pandas()
    assert len(claims) == len(rows) and not claims["excluded"].any()
    sums = claims.groupby("variable")["weight"].sum()
    assert np.allclose(sums.to_numpy(), 1.0)
    # Every estimate is one of its claimed figures (weighted medians, most confident
    # figure), and the row order of the batch does not matter.
    by_var: dict[object, set[float]] = {}
    for v, _, x in rows:
        by_var.setdefault(v, set()).add(x)
    assert all(es[k].value in by_var[k] for k in truth)
    perm = np.random.default_rng(5).permutation(len(rows))
    shuffled = cr.reconcile_all(table_of([rows[i] for i in perm]), strategy=name,
                                plugin_manager=pm)
    assert all(shuffled[k].value == es[k].value for k in truth)
    assert all(shuffled[k].lower == es[k].lower and shuffled[k].upper == es[k].upper
               for k in truth)


@pytest.mark.parametrize("name", LEARNERS)
def test_one_variable_alone_matches_reconcile(name: str, pm: pluggy.PluginManager) -> None:
    rows = [("v", "a", 10.0), ("v", "b", 11.0), ("v", "c", 30.0)]
    table = table_of(rows)
    e1 = cr.reconcile(table.to_claims(), name, plugin_manager=pm)
    e2 = cr.reconcile_all(table, strategy=name, plugin_manager=pm)["v"]
    assert (e1.lower, e1.value, e1.upper) == (e2.lower, e2.value, e2.upper)


# -- diagnostics and options ---------------------------------------------------------------


@pytest.mark.parametrize("name", LEARNERS)
def test_convergence_is_reported(name: str, pm: pluggy.PluginManager) -> None:
    noise = {"a": 0.001, "b": 0.05, "c": 0.2}
    rows, _ = noisy_rows(noise, 50, seed=6)
    table = table_of(rows)
    es = cr.reconcile_all(table, strategy=name, plugin_manager=pm)
    d = es[0].diagnostics
    assert isinstance(d["iterations"], int) and d["iterations"] >= 1
    assert d["converged"] is True
    assert all(es[k].diagnostics["iterations"] == d["iterations"] for k in es)
    capped = cr.reconcile_all(table, strategy=name, plugin_manager=pm, max_iter=1)
    assert capped[0].diagnostics["iterations"] == 1
    assert capped[0].diagnostics["converged"] is False
    # Nothing contested: nothing to learn, so no iteration at all.
    alone = cr.reconcile_all(table_of([("x", "a", 1.0), ("y", "b", 2.0)]), strategy=name,
                             plugin_manager=pm)
    assert alone["x"].diagnostics["iterations"] == 0
    assert alone["x"].diagnostics["converged"] is True
    assert alone.source_reliability is not None


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("crh", {"loss": "cubic"}),
        ("crh", {"max_iter": -1}),
        ("crh", {"prior_claims": 0}),
        ("crh", {"aggregate": "median"}),
        ("crh", {"deviation": "absolute"}),
        ("catd", {"errors": "cauchy"}),
        ("catd", {"deviation": "std"}),
        ("catd", {"alpha": 1.5}),
        ("catd", {"estimate": "mode"}),
        ("catd", {"coverage": 2}),
        ("truthfinder", {"initial_trust": 1.0}),
        ("truthfinder", {"similarity_scale": 0}),
        ("truthfinder", {"tol": -1}),
        # not finite, or not a number at all
        ("crh", {"prior_claims": math.inf}),
        ("catd", {"prior_claims": math.inf}),
        ("truthfinder", {"rho": math.inf}),
        ("truthfinder", {"gamma": math.inf}),
        ("truthfinder", {"similarity_scale": math.inf}),
        ("crh", {"tol": math.nan}),
        ("crh", {"tol": True}),
    ],
)
def test_bad_options_are_refused(
    name: str, options: dict[str, object], pm: pluggy.PluginManager
) -> None:
    with pytest.raises(cr.PluginError, match=name):
        cr.reconcile_all(table_of([("v", "a", 1.0), ("v", "b", 2.0)]), strategy=name,
                         plugin_manager=pm, **options)


def test_squared_crh_is_a_weighted_mean(pm: pluggy.PluginManager) -> None:
    rows = [("v", "a", 10.0), ("v", "b", 20.0)]
    e = cr.reconcile_all(table_of(rows), strategy="crh", plugin_manager=pm,
                         loss="squared")["v"]
    assert e.value is not None and 10.0 < e.value < 20.0


def test_coverage_widens_the_range(pm: pluggy.PluginManager) -> None:
    rows = [("v", s, x) for s, x in zip("abcde", (10.0, 11.0, 12.0, 13.0, 14.0), strict=True)]
    narrow = cr.reconcile_all(table_of(rows), strategy="crh", plugin_manager=pm,
                              coverage=0.0)["v"]
    wide = cr.reconcile_all(table_of(rows), strategy="crh", plugin_manager=pm,
                            coverage=1.0)["v"]
    assert narrow.lower == narrow.value == narrow.upper == 12.0
    assert (wide.lower, wide.upper) == (10.0, 14.0)


def test_chi2_quantile_matches_scipy() -> None:
    stats = pytest.importorskip("scipy.stats")
    df = np.array([1, 2, 3, 5, 10, 30, 100, 399, 400, 401, 1000, 25_000], float)
    for p in (0.001, 0.025):
        got = chi2_lower_quantile(p, df)
        want = stats.chi2.ppf(p, df)
        small = df <= 400
        assert np.allclose(got[small], want[small], rtol=1e-9)
        assert np.allclose(got[~small], want[~small], rtol=1e-4)
    with pytest.raises(ValueError, match=r"0 < p < 0\.5"):
        chi2_lower_quantile(0.5, df)
    # Far in the tail (a tiny alpha): the quantile is bisected on its logarithm, so
    # quantiles many orders of magnitude below the degrees of freedom come out right.
    for p in (1e-6, 1e-20, 5e-101):
        got = chi2_lower_quantile(p, df)
        assert np.allclose(got, stats.chi2.ppf(p, df), rtol=1e-9, atol=0)
    assert chi2_lower_quantile(1e-300, np.array([1.0]))[0] == pytest.approx(4.45e-308, rel=1e-3)


def test_numpy_numbers_are_options_too(pm: pluggy.PluginManager) -> None:
    table = table_of([("v", "a", 1.0), ("v", "b", 2.0), ("w", "a", 1.0), ("w", "b", 9.0)])
    plain = cr.reconcile_all(table, "crh", plugin_manager=pm, tol=0.001)
    numpy = cr.reconcile_all(table, "crh", plugin_manager=pm, tol=np.float32(0.001))
    assert numpy.source_reliability == plain.source_reliability


@pytest.mark.parametrize("name", LEARNERS)
def test_a_range_as_wide_as_the_floats_has_a_finite_figure(name: str) -> None:
    # A claim without a value is judged by its midpoint: halves added, or the width
    # overflows and the figure became inf (alone, the claim was not its own estimate).
    wide = cr.Claim(variable="v", source=cr.Source(id="a"),
                    quantity=cr.Quantity(lower=-1e308, upper=1e308))
    e = cr.reconcile([wide], name)
    assert (e.lower, e.value, e.upper) == (-1e308, 0.0, 1e308)
    point = cr.Claim(variable="v", source=cr.Source(id="b"), quantity=cr.Quantity(value=5.0))
    e = cr.reconcile([wide, point], name)
    assert e.value is not None and math.isfinite(e.value)


def test_catd_keeps_its_weight_floor_when_every_claim_agrees(pm: pluggy.PluginManager) -> None:
    # a and c agree on 400 variables, b on one: with a tiny alpha, b's chi-square
    # bound falls below the floor, which must still hold.
    rows = [(v, s, 10.0) for v in range(400) for s in "ac"] + [(0, "b", 10.0)]
    es = cr.reconcile_all(table_of(rows), "catd", plugin_manager=pm, alpha=1e-11)
    assert es.source_reliability is not None
    assert min(es.source_reliability.values()) >= 1e-12


def test_truthfinder_trust_stays_below_one(pm: pluggy.PluginManager) -> None:
    # Thirty sources agree on three variables: their facts' confidence rounds to 1,
    # and trust is capped at 1 - 1e-12, as documented.
    rows = [(v, f"s{i}", 100.0 + v) for v in range(3) for i in range(30)]
    rows += [(3, "s0", 999.0), (3, "s1", 5.0)]
    es = cr.reconcile_all(table_of(rows), "truthfinder", plugin_manager=pm)
    assert es.source_reliability is not None
    assert max(es.source_reliability.values()) == 1.0 - 1e-12


# -- accuracy on a public benchmark --------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
POPULATION = ROOT.parent / "shared" / "datasets" / "population"


def _eval_population() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "eval_population", ROOT / "benchmarks" / "eval_population.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not (POPULATION / "population-new-new.txt").is_file(),
                    reason="the population data set is not next to the repository")
def test_population_best_learner_beats_the_references() -> None:
    # The small population file set (benchmarks/eval_population.py, default options):
    # the best learned strategy beats both the plain lower median and the published
    # TruthFinder on MAE, RMSE and error rate (docs/explanation/truth-discovery.rst).
    ev = _eval_population()
    gold = ev.load_gold(POPULATION, all_gold=False)
    table = ev.load_claims(POPULATION / "population-new-new.txt")
    scores = {name: ev.evaluate(cr.reconcile_all(table, strategy=name), gold)
              for name in ("median", *LEARNERS)}
    assert all(m["n"] == m["figs"] == 277 for m in scores.values())
    median = scores["median"]
    assert (round(median["mae"], 1), round(median["rmse"], 1),
            round(median["error_rate"], 4)) == (1593.2, 8501.0, 0.1552)
    published = {"mae": 1753.7, "rmse": 8944.3, "error_rate": 0.1733}
    best = min(LEARNERS, key=lambda n: scores[n]["error_rate"])
    assert best == "crh"
    for metric, ref in published.items():
        assert scores[best][metric] < min(ref, median[metric]), (metric, scores[best])
    # What default crh reaches (1415.8 / 8340.7 / 37 of 277 wrong).
    assert scores["crh"]["mae"] < 1416.0 and scores["crh"]["rmse"] < 8341.0
    assert scores["crh"]["error_rate"] <= 37 / 277


def test_the_per_iteration_shortcuts_give_the_plain_estimates() -> None:
    """Learning recomputes estimates from source weights with the sort and the scaled
    figures kept between iterations: the weighted lower median must still be the
    first figure (by value) whose cumulative weight reaches half, and the mean the
    weighted average of the figures."""
    from claimrecon._strategies._truth import Problem
    from claimrecon._strategy import Segments

    rng = np.random.default_rng(3)
    layouts = set()
    for i in range(60):
        m = int(rng.integers(1, 25))
        # The layouts: a padded matrix, a full one, and one wide variable among small
        # ones (a running sum over all rows); the matrices by rows (fewer variables
        # than the widest has claims) or by columns.
        counts = [rng.integers(1, 9, m), np.full(m, int(rng.integers(1, 9))),
                  np.r_[rng.integers(1, 3, m), 60], rng.integers(1, 12, 1 + m % 5)][i % 4]
        m = len(counts)
        n = int(counts.sum())
        value = rng.normal(100.0, 30.0, n).round(int(rng.integers(0, 2)))  # some ties
        value[rng.random(n) < 0.15] = np.nan  # no value: the midpoint, or no figure
        lower = np.where(rng.random(n) < 0.1, -np.inf, np.nan_to_num(value, nan=90.0) - 5)
        src = rng.integers(0, 6, n)
        table = cr.ClaimTable(
            variable=np.repeat(np.arange(m), counts), variables=list(range(m)),
            source=src, sources=[cr.Source(id=f"s{i}") for i in range(6)],
            lower=lower, value=value, upper=np.nan_to_num(value, nan=90.0) + 5,
        )
        starts = np.concatenate(([0], np.cumsum(counts)))
        segs = Segments(table=table, rows=None, segment=table.variable, m=m,
                        starts=starts, weight=rng.uniform(0.1, 2.0, n),
                        variables=table.variables)
        p = Problem(segs)
        sorted_ = p.by_value
        layouts.add("flat" if sorted_._width is None
                    else "columns" if sorted_._columns else "rows")
        w_src = rng.uniform(1e-3, 1.0, 6)
        w = segs.weight * w_src[src]
        median = p.estimate(w_src, "median")
        np.testing.assert_array_equal(sorted_.quantile(w, 0.5), median)
        mean = p.estimate(w_src, "mean")
        for k in range(m):
            x, wk = p.x[starts[k]:starts[k + 1]], w[starts[k]:starts[k + 1]]
            keep = ~np.isnan(x)
            if not keep.any():
                assert np.isnan(median[k]) and np.isnan(mean[k])
                continue
            o = np.argsort(x[keep], kind="stable")
            share = np.cumsum(wk[keep][o]) / wk[keep].sum()
            assert median[k] == x[keep][o][np.argmax(share >= 0.5 - 1e-9)]
            assert mean[k] == pytest.approx(np.average(x[keep], weights=wk[keep]),
                                            rel=1e-12)
    assert layouts == {"flat", "columns", "rows"}


@pytest.mark.parametrize("width", [255, 256, 300])
def test_weighted_medians_by_columns_of_any_height(width: int) -> None:
    """The weighted medians laid out by columns count each variable's entries short
    of half its weight in bytes when a column holds fewer than 256 entries, else in
    machine integers: both must pick the same figure as a plain sort per variable."""
    from claimrecon._strategies._truth import Problem
    from claimrecon._strategy import Segments

    rng = np.random.default_rng(width)
    m = width + 1  # at least as many variables as the widest holds claims: by columns
    n = m * width
    rank = np.concatenate([rng.permutation(width) for _ in range(m)])
    value = (rank // 2).astype(float)  # ties
    # The top 20 figures of each variable come from heavy sources (codes 4 to 7): the
    # median lies among them, past 255 entries of the column when it holds 300.
    src = np.where(rank >= width - 20, rng.integers(4, 8, n), rng.integers(0, 4, n))
    table = cr.ClaimTable(variable=np.repeat(np.arange(m), width), variables=list(range(m)),
                          source=src, sources=[cr.Source(id=f"s{i}") for i in range(8)],
                          lower=value, value=value, upper=value)
    segs = Segments(table=table, rows=None, segment=table.variable, m=m,
                    starts=np.arange(0, n + 1, width), weight=np.ones(n),
                    variables=table.variables)
    p = Problem(segs)
    assert p.by_value._columns
    w_src = np.r_[rng.uniform(1e-4, 1e-3, 4), rng.uniform(0.5, 1.0, 4)]
    got = p.estimate(w_src, "median")
    assert np.all(got >= (width - 20) // 2)
    x, w = value.reshape(m, width), w_src[src].reshape(m, width)
    o = np.argsort(x, axis=1, kind="stable")
    share = np.cumsum(np.take_along_axis(w, o, 1), axis=1) / w.sum(axis=1, keepdims=True)
    first = np.argmax(share >= 0.5 - 1e-9, axis=1)
    np.testing.assert_array_equal(got, np.take_along_axis(x, o, 1)[np.arange(m), first])


@pytest.mark.parametrize("shape", ["equal", "ragged", "one-large"])
def test_rows_are_ordered_by_segment_then_figure_with_nan_last(shape: str) -> None:
    """Each of the three layouts (a full matrix, a padded one, a global sort) orders
    the rows as a stable sort by (segment, figure) with NaN after +inf."""
    from claimrecon._strategies._truth import _order_within_segments
    from claimrecon._strategy import Segments

    rng = np.random.default_rng(11)
    m = 40
    counts = {"equal": np.full(m, 6), "ragged": rng.integers(1, 9, m),
              "one-large": np.r_[rng.integers(1, 3, m - 1), 500]}[shape]
    n = int(counts.sum())
    key = rng.integers(0, 5, n).astype(float)  # many ties
    key[rng.random(n) < 0.1] = np.nan
    key[rng.random(n) < 0.05] = np.inf
    seg = np.repeat(np.arange(m), counts)
    table = cr.ClaimTable(variable=seg, variables=list(range(m)), source=np.zeros(n, int),
                          sources=[cr.Source(id="s")], lower=np.zeros(n), value=np.zeros(n),
                          upper=np.zeros(n))
    segs = Segments(table=table, rows=None, segment=seg, m=m,
                    starts=np.concatenate(([0], np.cumsum(counts))), weight=np.ones(n),
                    variables=table.variables)
    nan = np.isnan(key)
    expected = np.lexsort((np.arange(n), np.where(nan, 0.0, key), nan, seg))
    np.testing.assert_array_equal(_order_within_segments(segs, key), expected)


def test_the_change_between_estimates_reads_only_those_that_moved() -> None:
    """A fit stops when no estimate moves by more than ``tol``: the largest relative
    change, over the estimates present on both sides, as the plain formula gives it
    (those that did not move, skipped, count 0)."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from claimrecon._strategies._truth import truth_change

    figures = st.sampled_from([0.0, -0.0, 1.0, -1.0, 2.5, 1e308, -1e308, 5e-324, math.nan])

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.tuples(figures, figures), min_size=1, max_size=12))
    def check(pairs: list[tuple[float, float]]) -> None:
        old, new = (np.array(x, np.float64) for x in zip(*pairs, strict=True))
        both = ~np.isnan(old) & ~np.isnan(new)
        want = float(relative_deviation(old[both], new[both]).max()) if both.any() else 0.0
        assert truth_change(old, new) == want

    check()


def _noisy_batch(seed: int, n_var: int = 400, n_src: int = 30) -> cr.ClaimTable:
    """Each variable claimed by 3 to 9 sources, each source with its own noise."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(3, 10, n_var)
    var = np.repeat(np.arange(n_var), sizes)
    src = rng.integers(0, n_src, len(var))
    noise = rng.uniform(0.01, 0.5, n_src)
    value = rng.uniform(1.0, 100.0, n_var)[var] * (1 + noise[src] * rng.standard_normal(len(var)))
    return cr.ClaimTable(
        variable=var, variables=list(range(n_var)), source=src,
        sources=[cr.Source(id=f"s{i}") for i in range(n_src)],
        lower=value, value=value, upper=value)


@pytest.mark.parametrize("options", [
    ("crh", {}), ("crh", {"deviation": "relative"}), ("crh", {"loss": "squared"}),
    ("crh", {"prior_claims": 1e-300}), ("catd", {}), ("catd", {"errors": "laplace"}),
    ("catd", {"prior_claims": 1e-300}),
])
@pytest.mark.parametrize("seed", range(3))
def test_a_step_measures_again_only_the_claims_whose_estimate_moved(
    monkeypatch: pytest.MonkeyPatch, options: tuple[str, dict[str, object]], seed: int,
) -> None:
    """As a fit settles, few estimates move between steps: a step then measures the
    losses of those variables' claims only. A claim's loss depends on its variable's
    estimate alone, so the fit is the one that measures every claim at every step, to
    the last bit (the sums by source are taken over every claim, in the same order:
    sums moved by the change of a few losses kept a rounding residue where a source's
    losses had all become 0, which a tiny ``prior_claims`` then made decisive)."""
    from claimrecon._strategies import _truth

    name, opts = options
    table = _noisy_batch(seed)
    partial: list[int] = []
    claims_of = _truth.Problem.claims_of

    def counted(self: _truth.Problem, variables: np.ndarray) -> np.ndarray | None:
        at = claims_of(self, variables)
        partial.append(-1 if at is None else len(at))
        return at

    monkeypatch.setattr(_truth.Problem, "claims_of", counted)
    got = cr.reconcile_all(table, name, max_iter=40, tol=0.0, **opts)
    monkeypatch.setattr(_truth.Problem, "claims_of", lambda self, variables: None)
    want = cr.reconcile_all(table, name, max_iter=40, tol=0.0, **opts)
    if opts.get("loss") != "squared":  # (weighted means: nearly every estimate moves)
        assert sum(1 for k in partial if k >= 0) >= 3, partial  # steps that measured a few
    pd = pytest.importorskip("pandas")
    pd.testing.assert_frame_equal(got.to_pandas(), want.to_pandas(), check_exact=True)
    assert [e.diagnostics for e in got.values()] == [e.diagnostics for e in want.values()]
    assert got.source_reliability == want.source_reliability


def test_the_claims_of_some_variables_are_found_by_their_runs() -> None:
    from claimrecon._strategies._truth import Problem

    rng = np.random.default_rng(5)
    table = _noisy_batch(5, n_var=60)
    segs = cr.Segments(table=table, rows=None, segment=table.variable, m=60,
                       weight=table.weight, variables=table.variables,
                       starts=np.searchsorted(table.variable, np.arange(61)),
                       counts=np.bincount(table.variable, minlength=60))
    p = Problem(segs)
    for _ in range(20):
        picked = np.flatnonzero(rng.random(60) < 0.1)
        want = np.flatnonzero(np.isin(p.seg_contested, picked))
        at = p.claims_of(picked)
        assert at is not None
        np.testing.assert_array_equal(at, want)
    assert p.claims_of(np.arange(60)) is None  # every claim: a full pass instead


def test_chi2_quantiles_found_in_the_cache_survive_its_clearing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The cache of quantiles is cleared when it grows past 100,000 entries: a call that
    found some of its quantiles there and computes the others (which clears it) still
    answers all of them (it read them back from the cache, and failed with a KeyError
    in a long sweep of ``alpha``; another thread may clear it too)."""
    from claimrecon._strategies import _truth

    want = chi2_lower_quantile(0.025, np.array([3.0, 5.0]))
    cache = {(0.5 + i, 1.0): 1.0 for i in range(100_001)}
    cache[0.025, 3.0] = float(want[0])
    monkeypatch.setattr(_truth, "_CHI2_CACHE", cache)
    got = chi2_lower_quantile(0.025, np.array([3.0, 5.0, 3.0]))
    assert got.tolist() == [want[0], want[1], want[0]]
    assert len(cache) == 1  # cleared, then holding what this call computed
