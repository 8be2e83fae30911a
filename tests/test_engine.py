"""reconcile and reconcile_all: inputs, errors and the account of every claim."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pluggy
import pytest

import claimrecon as cr


def claim(src: str = "a", variable: str = "v", unit: str | None = None, rel: float = 1.0,
          **q: float) -> cr.Claim:
    return cr.Claim(variable=variable, source=cr.Source(id=src, reliability=rel),
                    quantity=cr.Quantity(unit=unit, **(q or {"value": 1.0})))


def _serving(*strategies: cr.Strategy) -> pluggy.PluginManager:
    """A plugin manager where one plugin provides ``strategies``."""
    class Plugin:
        @cr.hookimpl
        def claimrecon_strategies(self) -> list[cr.Strategy]:
            return list(strategies)

    pm = cr.make_plugin_manager()
    cr.register(Plugin(), name="test-strategies", plugin_manager=pm)
    return pm


def test_no_claims_is_an_empty_input_error() -> None:
    with pytest.raises(cr.EmptyInputError, match="at least one claim"):
        cr.reconcile([])
    with pytest.raises(cr.EmptyInputError):
        cr.reconcile_all([])


def test_reconcile_refuses_claims_of_several_variables() -> None:
    with pytest.raises(cr.MixedVariablesError, match=r"one variable; got 2: 'x', 'y'") as info:
        cr.reconcile([claim(variable="x"), claim("b", variable="y")])
    assert info.value.variables == ("x", "y")


def test_one_source_id_defined_two_ways_is_refused() -> None:
    with pytest.raises(cr.InconsistentSourceError, match="'a' is defined two ways") as info:
        cr.reconcile([claim("a", rel=1.0), claim("a", rel=0.5)])
    assert info.value.source_id == "a"


def test_equal_sources_are_one_source() -> None:
    e = cr.reconcile([claim("a", value=1), claim("a", value=3)], "weighted")
    assert e.value == 2


def test_units_that_disagree_are_an_error_never_a_number() -> None:
    with pytest.raises(cr.UnitMismatchError, match="'EUR', 'USD'") as info:
        cr.reconcile([claim("a", unit="USD"), claim("b", unit="EUR")])
    assert info.value.variable == "v"


def test_a_missing_unit_goes_with_any() -> None:
    e = cr.reconcile([claim("a", unit="troops"), claim("b")], "range")
    assert e.unit == "troops"


def test_a_non_claim_in_the_list_is_named_by_position() -> None:
    with pytest.raises(cr.InvalidClaimError, match=r"Claim at position 1 .*'12000'"):
        cr.reconcile([claim(), "12000"])  # type: ignore[list-item]


def test_an_unknown_strategy_lists_the_available_ones() -> None:
    with pytest.raises(cr.UnknownStrategyError, match=r"unknown strategy 'avg'; available") as info:
        cr.reconcile([claim()], "avg")
    assert {"weighted", "median", "range"} <= set(info.value.available)
    assert ", ".join(sorted(info.value.available)) in str(info.value)


def test_an_unknown_option_is_refused() -> None:
    with pytest.raises(TypeError, match="takes no option 'alpha'"):
        cr.reconcile([claim()], "median", alpha=3)


def test_reconcile_all_gives_one_estimate_per_variable_in_input_order() -> None:
    es = cr.reconcile_all([claim(variable="y"), claim("b", variable="x", value=3),
                           claim("c", variable="y", value=5)], "weighted")
    assert list(es) == ["y", "x"]
    assert es["y"].value == 3 and es["x"].value == 3


def test_a_strategy_per_variable() -> None:
    cs = [claim(variable="x", value=1), claim("b", variable="x", value=9),
          claim(variable="y", value=1), claim("b", variable="y", value=9)]
    es = cr.reconcile_all(cs, {"x": "median", "y": "range"})
    assert (es["x"].strategy, es["x"].value) == ("median", 1)
    assert (es["y"].strategy, es["y"].lower, es["y"].upper) == ("range", 1, 9)
    with pytest.raises(ValueError, match="no strategy for variable 'y'"):
        cr.reconcile_all(cs, {"x": "median"})


def test_on_error_collect_records_the_failing_variable_and_carries_on() -> None:
    cs = [claim(variable="ok"), claim("a", variable="bad", unit="USD"),
          claim("b", variable="bad", unit="EUR")]
    with pytest.raises(cr.UnitMismatchError):
        cr.reconcile_all(cs)
    es = cr.reconcile_all(cs, on_error="collect")
    assert list(es) == ["ok"] and len(es) == 1  # a failed variable is not counted
    assert isinstance(es.errors["bad"], cr.UnitMismatchError)
    with pytest.raises(KeyError, match="'bad' failed"):
        es["bad"]


def test_estimates_tables_for_pandas() -> None:
    pytest.importorskip("pandas")
    cs = [claim(variable="x", value=1), claim("b", variable="x", value=1),
          claim(variable="y", value=2)]
    es = cr.reconcile_all(cs, "weighted")
    df = es.to_pandas()
    assert list(df.columns) == ["variable", "strategy", "lower", "value", "upper", "unit",
                                "n_used", "n_excluded", "conflict"]
    assert df["n_used"].tolist() == [2, 1]
    rows = es.claims_to_pandas()
    assert list(rows.columns) == ["variable", "source", "weight", "excluded", "reason"]
    assert rows["weight"].tolist() == [0.5, 0.5, 1.0]


@pytest.mark.parametrize("case", ["one strategy", "mapping", "failure", "unused variable",
                                  "one unit", "units"])
def test_the_estimates_columns_are_the_estimates(case: str) -> None:
    """Estimates.columns builds its object columns without a gather where it can (every
    variable estimated, one strategy, one unit): each column must still be what the
    Estimate objects say, in their order, and fresh (a write leaves the results be)."""
    unit = {"one unit": "kg", "units": "kg"}.get(case)
    cs = [claim("a", variable="x", unit=unit, value=1),
          claim("b", variable="x", unit=unit, value=3),
          claim("a", variable="y", unit=unit, lower=2, upper=5),
          claim("c", variable="z", unit={"units": "m", "failure": "USD"}.get(case, unit),
                value=7)]
    if case == "failure":
        cs.append(claim("d", variable="z", unit="EUR", value=8))
    strategy: str | dict[str, str] = "weighted"
    if case == "mapping":
        strategy = {"x": "median", "y": "range", "z": "weighted"}
    data: object = cs
    if case == "unused variable":
        table = cr.ClaimTable.from_claims(cs)
        data = cr.ClaimTable(variable=table.variable, variables=[*table.variables, "unused"],
                             source=table.source, sources=table.sources, lower=table.lower,
                             value=table.value, upper=table.upper)
    es = cr.reconcile_all(data, strategy, on_error="collect")
    if case == "failure":
        assert list(es.errors) == ["z"]
    cols = es.columns()
    expected = list(es.values())
    assert len(expected) == (2 if case == "failure" else 3)
    assert cols["variable"].tolist() == [e.variable for e in expected]
    assert cols["strategy"].tolist() == [e.strategy for e in expected]
    assert cols["unit"].tolist() == [e.unit for e in expected]
    for side in ("lower", "value", "upper"):
        assert [None if not math.isfinite(x) else x for x in cols[side].tolist()] == [
            getattr(e, side) for e in expected]
    assert cols["n_used"].tolist() == [e.n_used for e in expected]
    assert cols["n_excluded"].tolist() == [e.n_excluded for e in expected]
    assert cols["conflict"].tolist() == [e.conflict for e in expected]
    for col in cols.values():
        col[:] = col[::-1]  # fresh arrays: the next call is as before
    assert es.columns()["variable"].tolist() == [e.variable for e in expected]
    assert es.columns()["lower"].tolist() == cols["lower"].tolist()[::-1]


def test_every_claim_excluded_is_an_error_not_an_empty_range() -> None:
    class ZeroWeights:
        @cr.hookimpl
        def claimrecon_claim_weights(self, table: cr.ClaimTable) -> object:
            import numpy as np

            return np.zeros(len(table))

    pm = cr.make_plugin_manager()
    cr.register(ZeroWeights(), name="zeroes", plugin_manager=pm)
    with pytest.raises(cr.NoUsableClaimsError, match="every claim of variable 'v' was excluded"
                       ) as info:
        cr.reconcile([claim(), claim("b")], plugin_manager=pm)
    assert info.value.reasons == ("weight 0 from plugin zeroes",) * 2


def test_a_weight_hook_multiplies_and_zero_excludes_with_the_plugin_name() -> None:
    import numpy as np

    class Halve:
        @cr.hookimpl
        def claimrecon_claim_weights(self, table: cr.ClaimTable) -> object:
            return np.array([0.0, 1.0, 0.5])

    pm = cr.make_plugin_manager()
    cr.register(Halve(), name="halve", plugin_manager=pm)
    e = cr.reconcile([claim("a", value=0), claim("b", value=10), claim("c", value=40)],
                     "weighted", plugin_manager=pm)
    assert e.value == pytest.approx(20)
    assert e.excluded[0].reason == "weight 0 from plugin halve"


def test_convertible_units_are_converted_with_the_units_extra() -> None:
    pytest.importorskip("pint")
    e = cr.reconcile([claim("a", unit="km", value=1.5), claim("b", unit="m", value=500)],
                     "range")
    assert (e.lower, e.upper, e.unit) == (0.5, 1.5, "km")
    assert [c.claim.quantity.unit for c in e.contributions] == ["km", "m"]  # as claimed
    with pytest.raises(cr.UnitMismatchError, match="'kg', 'km'"):
        cr.reconcile([claim("a", unit="km"), claim("b", unit="kg")])


@pytest.mark.parametrize(("units", "values"), [
    (("ft", "m", "m"), (3.0, 0.9144, 0.9144)),  # 3 ft is 0.9144 m exactly
    (("degC", "degF", "degF"), (10.0, 50.0, 50.0)),  # an offset loses more bits
    (("degF", "degC", "degC"), (30.2, -1.0, -1.0)),  # ... and more near 0
    (("K", "degC", "degC"), (872864.94, 872591.79, 872591.79)),  # (and far from it)
    (("dBm", "W", "W"), (-80.0, 1e-11, 1e-11)),  # a log unit: no offset
    (("km", "m", "m"), (1234567.891234, 1234567891.234, 1234567891.234)),  # 13 digits kept
])
def test_claims_equal_once_converted_agree_to_the_last_bit(
        units: tuple[str, ...], values: tuple[float, ...]) -> None:
    pytest.importorskip("pint")
    claims = [claim(s, unit=u, value=v) for s, u, v in zip("abc", units, values, strict=True)]
    for strategy in ("range", "intersection"):
        e = cr.reconcile(claims, strategy)
        assert (e.lower, e.upper, e.conflict, e.excluded) == (values[1], values[1], False, ())


@pytest.mark.parametrize(("stated", "other"), [
    ("mt", "tonnes"),  # pint: millitonnes
    ("bp", "pp"),  # pint: both a printer's point
    ("kt", "km/h"),  # pint: knots
    ("MT", "tonnes"),  # pint: megatesla
])
def test_units_that_reports_use_otherwise_than_pint_are_never_converted(
        stated: str, other: str) -> None:
    pytest.importorskip("pint")
    claims = [claim("a", unit=stated, value=5_000), claim("b", unit=other, value=5_000)]
    with pytest.raises(cr.UnitMismatchError, match=f"{stated!r} is not converted"):
        cr.reconcile(claims, "range")


def test_units_as_pint_reads_them_in_their_case_are_converted() -> None:
    pytest.importorskip("pint")
    kelvin = cr.reconcile([claim("a", unit="K", value=300), claim("b", unit="K", value=310),
                           claim("c", unit="degC", value=26.85)], "range")
    assert (kelvin.lower, kelvin.upper, kelvin.unit) == (300.0, 310.0, "K")
    mega = cr.reconcile([claim("a", unit="Mt", value=1_000), claim("b", unit="Mt", value=900),
                         claim("c", unit="Gt", value=1)], "range")
    assert (mega.lower, mega.upper, mega.unit) == (900.0, 1_000.0, "Mt")


def test_a_function_strategy_gets_the_claims_in_the_unit_computed_in() -> None:
    # The simple path's Claim objects carry the converted figures, as a kernel's columns
    # do, whether the input was Claim objects or a frame; the account shows them as stated.
    pytest.importorskip("pint")
    seen: list[tuple[float | None, str | None]] = []

    def lowest(claims: list[cr.Claim], weights: list[float]) -> cr.Outcome:
        seen.extend((c.quantity.value, c.quantity.unit) for c in claims)
        low = min(c.quantity.value or 0.0 for c in claims)
        return cr.Outcome(lower=low, value=low, upper=low)

    pm = _serving(cr.Strategy(name="lowest", summary="the lowest value", function=lowest))
    claims = [claim("a", unit="km", value=1.0), claim("b", unit="km", value=2.0),
              claim("c", unit="m", value=1500.0)]
    e = cr.reconcile(claims, "lowest", plugin_manager=pm)
    assert (e.value, e.unit) == (1.0, "km")  # not 1,500 "km"
    assert seen == [(1.0, "km"), (2.0, "km"), (1.5, "km")]
    assert [c.claim.quantity.unit for c in e.contributions] == ["km", "km", "m"]


def test_quantiles_are_converted_with_the_other_figures() -> None:
    # A strategy that reads quantiles (expert pooling) sees them in the unit it
    # computes in: 1 km's quantiles as 1000 m, not as 1 m.
    pytest.importorskip("pint")
    seen: list[object] = []

    def first_quantiles(segs: cr.Segments) -> cr.Reduction:
        assert segs.table.quantiles is not None
        seen.extend(segs.table.quantiles[i] for i in segs.rows.tolist())
        return cr.Reduction(lower=segs.min(segs.lower), value=segs.min(segs.value),
                            upper=segs.max(segs.upper), weight=segs.weight)

    pm = _serving(cr.Strategy(name="seen", summary="records quantiles",
                              kernel=first_quantiles))
    expert = [(0.05, 1.0), (0.5, 2.0), (0.95, 3.0)]
    claims = [cr.Claim(variable="d", source=cr.Source(id=s), quantity=cr.Quantity(
        lower=lo, value=v, upper=up, unit=unit, quantiles=[(p, x * f) for p, x in expert]))
        for s, unit, f, (lo, v, up) in [("a", "km", 1, (1, 2, 3)),
                                        ("b", "m", 1000, (1000, 2000, 3000)),
                                        ("c", "m", 1000, (1000, 2000, 3000))]]
    e = cr.reconcile(claims, "seen", plugin_manager=pm)
    assert (e.lower, e.value, e.upper, e.unit) == (1000, 2000, 3000, "m")
    assert seen == [((0.05, 1000.0), (0.5, 2000.0), (0.95, 3000.0))] * 3
    assert claims[0].quantity.quantiles == tuple(expert)  # the claim as stated


def test_a_conversion_that_reverses_the_order_turns_p_quantiles_into_1_minus_p(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from claimrecon import _units

    monkeypatch.setattr(_units, "_factor_convert", lambda x, unit, target: -x)
    got: list[object] = [((0.05, 1.0), (0.5, 2.0), (0.95, 3.0)), None, ((0.25, 7.0),)]
    _units._convert_quantiles(got, np.array([0, 1, 2]), "metre", "negative metre")
    assert got[1] is None
    assert [x for pair in got[0] for x in pair] == pytest.approx(  # type: ignore[attr-defined]
        [0.05, -3.0, 0.5, -2.0, 0.95, -1.0])
    assert got[2] == ((0.75, -7.0),)  # one pair too: the direction is the unit's


def test_quantiles_past_the_largest_float_after_conversion_are_a_unit_mismatch() -> None:
    pytest.importorskip("pint")
    claims = [cr.Claim(variable="d", source=cr.Source(id=s), quantity=cr.Quantity(
        value=v, unit=u, quantiles=[(0.5, v)])) for s, u, v in
        [("a", "km", 1e306), ("b", "m", 1.0), ("c", "m", 2.0)]]
    with pytest.raises(cr.UnitMismatchError, match=r"'km', 'm' \(in 'm' its quantiles would be "
                                                   r"invalid: quantile value must be a finite"):
        cr.reconcile(claims, "median")


def test_converted_claims_are_shown_as_stated_from_a_frame_too() -> None:
    pytest.importorskip("pint")
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"variable": ["d", "d", "z", "z"], "source": ["a", "b", "c", "e"],
                          "value": [1.5, 500.0, None, None], "lower": [None, None, -0.0, -0.0],
                          "upper": [None, None, 0.0, 0.0], "unit": ["km", "m", None, None]})
    es = cr.reconcile_all(frame, "range")
    e = es["d"]
    assert (e.lower, e.upper, e.unit) == (0.5, 1.5, "km")
    assert [(c.claim.quantity.value, c.claim.quantity.unit) for c in e.contributions] == [
        (1.5, "km"), (500.0, "m")]
    # a variable that needed no conversion keeps its figures bit for bit (-0.0 too)
    assert math.copysign(1.0, es["z"].lower) == -1.0  # type: ignore[arg-type]


def test_a_conversion_past_the_largest_float_is_an_error_for_that_variable() -> None:
    pytest.importorskip("pint")
    pd = pytest.importorskip("pandas")
    # (two claims in m, one in km: converted to m, the unit most of them state)
    frame = pd.DataFrame({"variable": ["d", "d", "d", "ok"], "source": ["a", "b", "e", "c"],
                          "lower": [1.0, -1e306, 2.0, 1.0], "value": [1.0, None, 2.0, 1.0],
                          "upper": [1.0, None, 2.0, 1.0], "unit": ["m", "km", "m", None]})
    with pytest.raises(cr.UnitMismatchError, match=r"'km', 'm' \(in 'm' a figure is past"):
        cr.reconcile_all(frame, "range")
    es = cr.reconcile_all(frame, "range", on_error="collect")
    assert list(es) == ["ok"] and isinstance(es.errors["d"], cr.UnitMismatchError)
    claims = cr.ClaimTable.from_pandas(frame).to_claims()
    with pytest.raises(cr.UnitMismatchError, match="past the largest float"):
        cr.reconcile([c for c in claims if c.variable == "d"], "range")


def test_repeats_are_found_exactly_in_a_large_table() -> None:
    """Above a few thousand rows the repeat search prefilters by hashing in rounds;
    it must miss no repeat and invent none (checked against a dictionary)."""
    rng = np.random.default_rng(7)
    n, n_var, n_src = 30_000, 3_000, 200
    var, src = rng.integers(0, n_var, n), rng.integers(0, n_src, n)
    value = rng.integers(0, 3, n).astype(float)  # equal pairs often differ in value
    table = cr.ClaimTable(
        variable=var, variables=list(range(n_var)), source=src,
        sources=[cr.Source(id=f"s{i}") for i in range(n_src)],
        lower=value, value=value, upper=value,
    )
    first: dict[tuple[int, int, float], int] = {}
    expected: dict[int, str] = {}
    for i, key in enumerate(zip(var.tolist(), src.tolist(), value.tolist(), strict=True)):
        if key in first:
            expected[i] = f"repeats the claim at input position {first[key]}"
        else:
            first[key] = i
    assert 100 < len(expected) < n // 10  # the data holds repeats and many near misses
    rows = cr.reconcile_all(table, "range").claims_to_pandas()
    got = {i: r for i, r in enumerate(rows["reason"]) if isinstance(r, str)}
    assert got == expected


@pytest.mark.parametrize("seed", range(6))
def test_each_estimates_counts_are_its_claims_that_count_and_those_set_aside(
        seed: int) -> None:
    """n_used and n_excluded of every estimate are the counts of its variable's claims
    that count and that were set aside, however they were (repeats, a plugin's 0, a
    strategy), one strategy or several, variables failing or not."""
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(seed)
    n, m, n_src = 3000, 200, 30
    var, src = rng.integers(0, m, n), rng.integers(0, n_src, n)
    value = rng.integers(0, 3, n) * 10.0
    unit = np.where(np.isin(var, [3, 7]) & (rng.random(n) < 0.5), 1, 0)  # two fail
    table = cr.ClaimTable(
        variable=var, variables=list(range(m)), source=src,
        sources=[cr.Source(id=f"s{i}") for i in range(n_src)],
        lower=value - 1.0, value=value, upper=value + 1.0, unit=unit, units=["kg", "km"],
        as_of=1_700_000_000_000_000 + rng.integers(0, 3, n) * 86_400_000_000)
    zero = rng.random(n) < 0.1

    class Zero:
        @cr.hookimpl
        def claimrecon_claim_weights(self, table: cr.ClaimTable) -> object:
            return np.where(zero, 0.0, 1.0)

    pm = cr.make_plugin_manager()
    cr.register(Zero(), name="zero", plugin_manager=pm)
    names = ["range", "intersection", "weighted", "median", "recency"]
    strategy = (names[seed % 5] if seed < 5
                else {v: names[int(k)] for v, k in zip(range(m), rng.integers(0, 5, m),
                                                       strict=True)})
    es = cr.reconcile_all(table, strategy, on_error="collect", plugin_manager=pm)
    assert set(es.errors) == {3, 7}
    got = es.to_pandas().set_index("variable")
    claims = es.claims_to_pandas()
    claims = claims[~claims["variable"].isin([3, 7])]
    counts = claims.groupby("variable")["excluded"].agg(["size", "sum"])
    got = got.sort_index()
    assert got.index.tolist() == counts.index.tolist() == [v for v in range(m) if v not in (3, 7)]
    pd.testing.assert_series_equal(got["n_used"],
                                   (counts["size"] - counts["sum"]).rename("n_used"),
                                   check_index=False, check_dtype=False)
    pd.testing.assert_series_equal(got["n_excluded"],
                                   counts["sum"].rename("n_excluded"),
                                   check_index=False, check_dtype=False)
    assert got["n_excluded"].sum() > 0


def test_reasons_of_rows_set_aside_by_strategies_that_share_a_run() -> None:
    """Repeats set aside first, then one strategy sets aside some rows of its variables
    and another (recency) most rows of its own: each row's reason is the one it gets
    when its strategy runs alone, and recency's are the latest-date rule itself."""
    rng = np.random.default_rng(3)
    n, m, n_src = 6000, 300, 40
    var, src = rng.integers(0, m, n), rng.integers(0, n_src, n)
    value = rng.integers(0, 2, n) * 10.0 + rng.integers(0, 2, n)  # claims repeat often
    day = rng.integers(0, 4, n)
    table = cr.ClaimTable(
        variable=var, variables=list(range(m)), source=src,
        sources=[cr.Source(id=f"s{i}") for i in range(n_src)],
        lower=value - 1.0, value=value, upper=value + 1.0,
        as_of=1_700_000_000_000_000 + day * 86_400_000_000)
    alone = {name: cr.reconcile_all(table, name).claims_to_pandas()
             for name in ("intersection", "recency")}
    mapped = cr.reconcile_all(table, {v: "intersection" if v % 2 == 0 else "recency"
                                      for v in range(m)}).claims_to_pandas()
    odd = var % 2 == 1
    for name, rows in (("intersection", ~odd), ("recency", odd)):
        for col in ("reason", "weight"):
            pd_testing = pytest.importorskip("pandas").testing
            pd_testing.assert_series_equal(mapped[col][rows], alone[name][col][rows])
    # recency alone, from the rule: repeats first, then every claim of a variable
    # older than its latest (among those not repeated) is superseded.
    first: dict[tuple[int, int, float, int], int] = {}
    repeat = {}
    for i, key in enumerate(zip(var.tolist(), src.tolist(), value.tolist(), day.tolist(),
                                strict=True)):
        if key in first:
            repeat[i] = f"repeats the claim at input position {first[key]}"
        else:
            first.setdefault(key, i)
    kept = np.ones(n, bool)
    kept[list(repeat)] = False
    latest = np.full(m, -1)
    np.maximum.at(latest, var[kept], day[kept])
    expected = [repeat.get(i) or (
        "superseded: another claim holds as of a later date" if day[i] < latest[var[i]]
        else None) for i in range(n)]
    assert [r if isinstance(r, str) else None
            for r in alone["recency"]["reason"].tolist()] == expected
    superseded = sum(r is not None and r.startswith("superseded") for r in expected)
    assert len(repeat) > 100 and superseded > n // 2  # both paths under test
    assert mapped["reason"][~odd].notna().any()  # intersection set rows aside as well


@pytest.mark.parametrize("copies", [255, 256, 257, 600])
def test_repeats_are_found_when_one_figure_is_repeated_hundreds_of_times(copies: int) -> None:
    """The repeat search counts rows per bucket in a byte; a bucket of 256 rows wraps
    it around, and the search must notice and count again, missing no repeat."""
    rng = np.random.default_rng(copies)
    n, n_var, n_src = 20_000, 4_000, 500
    var, src = rng.integers(0, n_var, n), rng.integers(0, n_src, n)
    value = rng.normal(0.0, 1.0, n)  # distinct figures: no repeat but the planted ones
    planted = rng.choice(n, copies, replace=False)
    var[planted], src[planted], value[planted] = 1, 2, 0.5
    table = cr.ClaimTable(
        variable=var, variables=list(range(n_var)), source=src,
        sources=[cr.Source(id=f"s{i}") for i in range(n_src)],
        lower=value, value=value, upper=value,
    )
    rows = cr.reconcile_all(table, "range").claims_to_pandas()
    first = int(planted.min())
    expected = {int(i): f"repeats the claim at input position {first}"
                for i in planted.tolist() if i != first}
    got = {i: r for i, r in enumerate(rows["reason"]) if isinstance(r, str)}
    assert got == expected


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_the_repeat_search_finds_exactly_the_rows_whose_pair_occurs_twice(seed: int) -> None:
    from claimrecon._engine import _pairs_twice

    rng = np.random.default_rng(seed)
    n, n_var, n_src = 60_000, [20_000, 50, 200_000, 1][seed], [300, 7, 1, 100_000][seed]
    var, src = rng.integers(0, n_var, n), rng.integers(0, n_src, n)
    pair = var * n_src + src
    _, inverse, counts = np.unique(pair, return_inverse=True, return_counts=True)
    twice = np.flatnonzero(counts[inverse] > 1)
    assert len(twice) > 0
    np.testing.assert_array_equal(_pairs_twice(var, src, n_var, n_src), twice)


def test_the_repeat_search_finds_nothing_where_every_pair_is_once() -> None:
    from claimrecon._engine import _pairs_twice

    var = np.repeat(np.arange(1000), 10)
    src = np.tile(np.arange(10), 1000)
    assert len(_pairs_twice(var, src, 1000, 10)) == 0


def test_shares_where_most_claims_are_superseded_are_the_sums_over_every_row() -> None:
    """recency sets most claims aside; each variable's total weight is then summed over
    the claims that count only, which must give, bit for bit, the sums over every row
    (in row order, zeros included)."""
    rng = np.random.default_rng(5)
    n, m, n_src = 5000, 400, 50
    var, src = rng.integers(0, m, n), rng.integers(0, n_src, n)
    day = rng.integers(0, 6, n)
    rel = rng.uniform(0.05, 1.0, n_src)
    value = rng.normal(100.0, 10.0, n)
    table = cr.ClaimTable(
        variable=var, variables=list(range(m)), source=src,
        sources=[cr.Source(id=f"s{i}", reliability=float(r)) for i, r in enumerate(rel)],
        lower=value, value=value, upper=value,
        as_of=1_700_000_000_000_000 + day * 86_400_000_000)
    shares = cr.reconcile_all(table, "recency").claims_to_pandas()["weight"].to_numpy()
    latest = np.full(m, -1)
    np.maximum.at(latest, var, day)
    w = np.where(day == latest[var], rel[src], 0.0)
    assert 0 < np.count_nonzero(w) < n // 2  # most rows weigh 0: the path under test
    expected = w / np.bincount(var, weights=w, minlength=m)[var]
    assert shares.tobytes() == expected.tobytes()


@pytest.mark.parametrize("bound", [3, 1 << 16, (1 << 16) + 1, 1 << 31, 1 << 40])
def test_code_orderings_are_stable_argsorts(bound: int) -> None:
    from claimrecon._order import group_codes

    rng = np.random.default_rng(bound % 97)
    codes = rng.integers(0, min(bound, 50_000) if bound < 1 << 20 else bound, 20_000)
    codes[::7] = bound - 1  # the largest code, often
    np.testing.assert_array_equal(group_codes(codes, bound)[0],
                                  np.argsort(codes, kind="stable"))


@pytest.mark.parametrize("equal", [False, True])
@pytest.mark.parametrize("grouped", [False, True])
def test_the_weighted_rule_over_rows_of_weight_zero(grouped: bool, equal: bool) -> None:
    # The kernels' helper reads only the rows that count; a variable with none has no
    # figures (NaN), hash-style or grouped alike.
    from claimrecon import Segments
    from claimrecon._strategies._kernels import weighted_bounds

    table = cr.ClaimTable(variable=np.array([0, 1, 0, 1, 2]), variables=["a", "b", "c"],
                          source=np.zeros(5, np.int64), sources=[cr.Source(id="s")],
                          lower=np.array([1.0, 10.0, 3.0, 20.0, 5.0]),
                          value=np.array([2.0, 15.0, 4.0, 25.0, 6.0]),
                          upper=np.array([3.0, 20.0, 5.0, 30.0, 7.0]))
    w = np.array([1.0, 0.0, 1.0, 0.0, 1.0] if equal else [1.0, 0.0, 3.0, 0.0, 2.0])
    if grouped:
        order = np.array([0, 2, 1, 3, 4])
        segs = Segments(table=table, rows=order, segment=table.variable[order], m=3,
                        starts=np.array([0, 2, 4, 5]), weight=w[order],
                        variables=table.variables)
    else:
        segs = Segments(table=table, rows=None, segment=table.variable, m=3, weight=w,
                        variables=table.variables)
    lower, value, upper = weighted_bounds(segs, segs.weight)
    shift = 0.0 if equal else 0.5  # weights 1 and 3 pull towards the second claim
    np.testing.assert_allclose(lower, [2.0 + shift, np.nan, 5.0])
    np.testing.assert_allclose(value, [3.0 + shift, np.nan, 6.0])
    np.testing.assert_allclose(upper, [4.0 + shift, np.nan, 7.0])


def test_the_weighted_rule_over_a_lone_row_of_weight_is_that_rows_figures() -> None:
    # Hash-style rows of weight 0 (as recency leaves them): a variable where one row
    # counts takes that row's figures as they are; one where several count, their
    # weighted means; either as the rule over the rows that count alone. Rows that
    # are not every row of the table (a repeat set aside), values missing (the
    # midpoint, or none when a side is open) and open bounds included.
    from claimrecon import Segments
    from claimrecon._strategies._kernels import weighted_bounds

    rng = np.random.default_rng(11)
    n, m = 3000, 700
    value = rng.normal(0.0, 50.0, n)
    half = rng.uniform(0.0, 5.0, n)
    lower, upper = value - half, value + half
    lower[::26] = -np.inf
    upper[13::26] = np.inf
    value[::5] = np.nan
    table = cr.ClaimTable(variable=rng.integers(0, m, n), variables=list(range(m)),
                          source=np.zeros(n, np.int64), sources=[cr.Source(id="s")],
                          lower=lower, value=value, upper=upper)
    rows = np.flatnonzero(rng.random(n) > 0.05)  # not every row of the table
    w = np.where(rng.random(len(rows)) < 0.2, rng.uniform(0.5, 2.0, len(rows)), 0.0)
    segs = Segments(table=table, rows=rows, segment=table.variable[rows], m=m, weight=w,
                    variables=table.variables)
    live = w > 0
    counts = np.bincount(segs.segment[live], minlength=m)
    assert np.count_nonzero(counts == 1) > 100 and np.count_nonzero(counts > 1) > 50
    assert np.count_nonzero(counts == 0) > 50
    dense = Segments(table=table, rows=rows[live], segment=segs.segment[live], m=m,
                     weight=w[live], variables=table.variables)
    got = weighted_bounds(segs, w)
    want = weighted_bounds(dense, dense.weight)
    for g, x in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, x)
    one = np.flatnonzero(live)[counts[segs.segment[live]] == 1]
    at = segs.segment[one]
    np.testing.assert_array_equal(got[0][at], lower[rows[one]])
    np.testing.assert_array_equal(got[2][at], upper[rows[one]])


@pytest.mark.parametrize("point", [5e-324, 1.5e-323, 1e-310, -1.5e-323])
def test_a_lone_latest_claim_without_a_value_gives_a_value_within_its_range(
        point: float) -> None:
    # A claim with bounds but no value has its midpoint as value; half of an odd
    # subnormal rounds, so the midpoint of [x, x] can fall off x unless clipped.
    n = 3
    table = cr.ClaimTable(variable=np.array([0, 0, 1]), variables=["a", "b"],
                          source=np.array([0, 1, 0]),
                          sources=[cr.Source(id="s"), cr.Source(id="t")],
                          lower=np.full(n, point), value=np.full(n, np.nan),
                          upper=np.full(n, point),
                          as_of=1_700_000_000_000_000 + np.arange(n) * 86_400_000_000)
    es = cr.reconcile_all(table, "recency")
    for v in ("a", "b"):
        assert (es[v].lower, es[v].value, es[v].upper) == (point, point, point)


_PLAIN = ("range", "intersection", "weighted", "median", "recency")


def _weighted_frame(weights: list[float], reliability: list[float]) -> object:
    pd = pytest.importorskip("pandas")
    return pd.DataFrame({
        "variable": ["v"] * len(weights) + ["w"],
        "source": [f"s{i}" for i in range(len(weights))] + ["t"],
        "source_reliability": [*reliability, 1.0],
        "value": [1.0 + 2.0 * i for i in range(len(weights))] + [5.0],
        "weight": [*weights, 1.0],
    })


@pytest.mark.parametrize("name", _PLAIN)
@pytest.mark.parametrize(("weights", "reliability", "ratios"), [
    ([1e-300, 2e-300, 1e-300], [1e-300, 1e-300, 1e-300], [1, 2, 1]),  # products underflow
    ([1e308, 1e308, 5e307], [1.0, 1.0, 1.0], [2, 2, 1]),  # the sum overflows
    ([1e-300, 1e-300], [5e-324, 5e-324], [1, 1]),  # subnormal reliabilities
])
def test_weights_that_underflow_or_overflow_count_by_their_ratios(
    name: str, weights: list[float], reliability: list[float], ratios: list[float]
) -> None:
    # Only the ratios of weights within a variable count: the estimate is the one
    # with weights in those ratios, and the other variable is untouched.
    tiny = cr.reconcile_all(_weighted_frame(weights, reliability), name)
    plain = cr.reconcile_all(_weighted_frame(ratios, [1.0] * len(ratios)), name)
    _assert_same_estimates(tiny, plain)
    for v in ("v", "w"):
        assert math.isclose(math.fsum(c.weight for c in tiny[v].contributions), 1.0)


def _assert_same_estimates(got: cr.Estimates, want: cr.Estimates) -> None:
    """Variables v and w have the same figures and claim shares in both (to 1e-12)."""
    for v in ("v", "w"):
        a, b = got[v], want[v]
        figures = [math.nan if x is None else x for x in (a.lower, a.value, a.upper)]
        assert figures == pytest.approx(
            [math.nan if x is None else x for x in (b.lower, b.value, b.upper)],
            rel=1e-12, nan_ok=True)
        assert [c.weight for c in a.contributions] == pytest.approx(
            [c.weight for c in b.contributions], rel=1e-12)


@pytest.mark.parametrize("name", _PLAIN)
@pytest.mark.parametrize(("answer", "ratios"), [
    ([1e200, 1e200, 5e199], [4, 4, 1]),  # two hooks' product overflows
    ([1e-200, 2e-200, 1e-200], [1, 4, 1]),  # ... or underflows to 0
])
def test_weight_hooks_whose_product_overflows_or_underflows_count_by_their_ratios(
    name: str, answer: list[float], ratios: list[float]
) -> None:
    # Two hooks each answer ``answer`` for variable v's claims (1 for w's): the
    # product of their answers leaves the floats, yet only its ratios count.
    class Hook:
        @cr.hookimpl
        def claimrecon_claim_weights(self, table: cr.ClaimTable) -> object:
            return np.array([*answer, 1.0])

    pm = cr.make_plugin_manager()
    cr.register(Hook(), name="first", plugin_manager=pm)
    cr.register(Hook(), name="second", plugin_manager=pm)
    hooked = cr.reconcile_all(_weighted_frame([1.0] * len(answer), [1.0] * len(answer)),
                              name, plugin_manager=pm)
    plain = cr.reconcile_all(_weighted_frame(ratios, [1.0] * len(ratios)), name)
    _assert_same_estimates(hooked, plain)
    for v in ("v", "w"):
        assert not hooked[v].excluded


def test_a_variable_is_rescaled_by_its_own_claims_alone() -> None:
    frame = _weighted_frame([1e-300, 3e-300], [1e-300, 1e-300])
    many = cr.reconcile_all(frame, "weighted")
    one = cr.reconcile(cr.ClaimTable.from_pandas(frame[frame.variable == "v"]), "weighted")
    assert (many["v"].lower, many["v"].value, many["v"].upper) == (one.lower, one.value,
                                                                    one.upper)
    assert [c.weight for c in many["v"].contributions] == [c.weight for c in one.contributions]
    assert many["v"].value == pytest.approx(1.0 * 0.25 + 3.0 * 0.75)


def test_a_hook_zero_still_excludes_in_a_variable_whose_weights_underflow() -> None:
    class Zero:
        @cr.hookimpl
        def claimrecon_claim_weights(self, table: cr.ClaimTable) -> object:
            return np.array([0.0, 1.0, 1e-10, 1.0])

    pm = cr.make_plugin_manager()
    cr.register(Zero(), name="zero", plugin_manager=pm)
    frame = _weighted_frame([1e-300, 1e-300, 1e-300], [1e-300, 1e-300, 1e-300])
    e = cr.reconcile_all(frame, "weighted", plugin_manager=pm)["v"]
    assert [x.reason for x in e.excluded] == ["weight 0 from plugin zero"]
    assert [c.weight for c in e.contributions] == pytest.approx([1 / (1 + 1e-10),
                                                                 1e-10 / (1 + 1e-10)])


def test_the_latest_claim_carries_recency_however_small_its_weight() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({
        "variable": ["v", "v"], "source": ["a", "b"], "value": [1.0, 2.0],
        "weight": [1e-300, 1.0], "source_reliability": [1e-300, 1.0],
        "as_of": pd.to_datetime(["2025-01-02", "2025-01-01"])})
    e = cr.reconcile_all(frame, "recency")["v"]
    assert e.value == 1.0 and [c.weight for c in e.contributions] == [1.0]
    assert [x.reason for x in e.excluded] == ["superseded: another claim holds as of a later date"]
    # among the claims that count, it weighs as the smallest normal float
    shares = [c.weight for c in cr.reconcile_all(frame, "weighted")["v"].contributions]
    assert shares == [np.finfo(np.float64).tiny, 1.0]


def test_the_unit_claims_are_converted_to_does_not_depend_on_their_order() -> None:
    # The unit most claims state (ties: the first by name), not the first claim's.
    pytest.importorskip("pint")
    claims = [claim("a", unit="km", value=1.2), claim("b", unit="cm", value=150_000.0),
              claim("c", unit="m", value=1300.0), claim("d", unit="m", value=1400.0)]
    got = {(e.unit, e.value) for order in itertools.permutations(claims)
           for e in [cr.reconcile(list(order), "median")]}
    assert got == {("m", 1300.0)}
    tied = [claim("a", unit="km", value=1.2), claim("b", unit="m", value=1500.0)]
    assert {cr.reconcile(order, "range").unit for order in (tied, tied[::-1])} == {"km"}


def test_which_of_two_repeats_counts_does_not_depend_on_their_order() -> None:
    # One figure of one source carried by two outlets, the rows weighted differently:
    # the heavier row counts, whichever comes first.
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"variable": ["v"] * 3, "source": ["a", "a", "b"],
                       "value": [10.0, 10.0, 20.0], "weight": [2.0, 0.5, 1.0],
                       "via": ["outlet-1", "outlet-2", None]})
    for order in ([0, 1, 2], [1, 0, 2], [2, 1, 0]):
        e = cr.reconcile_all(df.iloc[order].reset_index(drop=True), "median")["v"]
        assert e.value == 10.0
        (kept,) = [c for c in e.contributions if c.claim.source.id == "a"]
        assert kept.claim.via == ("outlet-1",)


def test_weights_near_the_sum_limit_are_judged_alike_alone_and_among_many() -> None:
    # 49 weights whose largest times 49 is just under 2**1022: alone, nothing is
    # rescaled; beside a variable whose weight underflows (which sends the call down
    # the rescaling path) the variable must be judged by the same test, not by a
    # quotient that rounds the other way.
    pd = pytest.importorskip("pandas")
    n = 49
    top = 2.0**1022 / n
    assert top * n < 2.0**1022  # so alone nothing is rescaled
    values = [float(1 + (37 * i) % 997) for i in range(n)]
    a = pd.DataFrame({"variable": "a", "source": [f"s{i}" for i in range(n)],
                      "value": values, "weight": [top / (1 + i % 7) for i in range(n)]})
    b = pd.DataFrame({"variable": ["b"], "source": ["t"], "value": [1.0], "weight": [1e-310]})
    for name in _PLAIN:
        alone = cr.reconcile_all(a, name)["a"]
        among = cr.reconcile_all(pd.concat([a, b], ignore_index=True), name)["a"]
        assert (among.lower, among.value, among.upper) == (alone.lower, alone.value,
                                                           alone.upper), name
        assert [c.weight for c in among.contributions] == [c.weight for c in alone.contributions]


def test_integer_variable_keys_are_held_as_numbers_until_read() -> None:
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(4)
    n = 6000  # enough rows for the frame reader's direct coding of integer keys
    keys = rng.integers(-50, 900, n)
    frame = pd.DataFrame({"variable": keys, "source": [f"s{i}" for i in rng.integers(0, 40, n)],
                          "value": rng.normal(10.0, 2.0, n)})
    table = cr.ClaimTable.from_pandas(frame)
    assert table.variable_keys is not None and table.variable_keys.dtype == np.int64
    assert table.n_variables == len(np.unique(keys))
    es = cr.reconcile_all(table, "recency")
    got = es.to_pandas()
    claims = es.claims_to_pandas()
    assert table._variables is None  # no tuple of Python ints was made
    assert got["variable"].dtype == np.int64 and claims["variable"].dtype == np.int64
    assert claims["variable"].tolist() == keys.tolist()
    assert table.to_pandas()["variable"].tolist() == keys.tolist()
    # The same claims with text keys: the same estimates, key for key.
    text = cr.reconcile_all(frame.assign(variable=frame["variable"].map(str)), "recency")
    want = text.to_pandas().assign(variable=lambda d: d["variable"].map(int))
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    assert es[int(keys[0])].value == text[str(keys[0])].value
    assert table.variables == tuple(pd.unique(keys).tolist())  # made when read, in order


@pytest.mark.parametrize(("variables", "held"), [
    ([3, 1, 2], True),
    ((3, "a"), False),
    ([True, 2], False),  # a bool is no integer key
    ([2**63, 1], False),  # past int64
    (np.array([2**63, 1], dtype=np.uint64), False),
    (np.array([7, -2], dtype=np.int8), True),
])
def test_a_table_holds_its_variables_as_numbers_only_where_each_is_an_int64(
        variables: object, held: bool) -> None:
    n = len(variables)  # type: ignore[arg-type]
    table = cr.ClaimTable(variable=np.arange(n), variables=variables,  # type: ignore[arg-type]
                          source=np.zeros(n, np.int64), sources=[cr.Source(id="s")],
                          lower=np.ones(n), value=np.ones(n), upper=np.ones(n))
    assert (table.variable_keys is not None) == held
    assert table.variables == tuple(np.asarray(variables).tolist() if isinstance(
        variables, np.ndarray) else variables)
    assert table.n_variables == n
    assert [type(v) for v in table.variables] == [type(v) for v in (
        np.asarray(variables).tolist() if isinstance(variables, np.ndarray) else variables)]
    with pytest.raises(ValueError, match="twice"):
        cr.ClaimTable(variable=np.zeros(2, np.int64), variables=[*table.variables[:1]] * 2,
                      source=np.zeros(2, np.int64), sources=[cr.Source(id="s")],
                      lower=np.ones(2), value=np.ones(2), upper=np.ones(2))


def test_integer_keys_spread_wide_or_in_small_frames_are_held_as_numbers_too() -> None:
    pd = pytest.importorskip("pandas")
    for keys in (np.arange(6000) * 10**12, np.arange(50) % 7):  # hashed, not addressed
        frame = pd.DataFrame({"variable": keys, "source": "s", "value": 1.0})
        table = cr.ClaimTable.from_pandas(frame)
        assert table.variable_keys is not None and table._variables is None
        assert table.variables == tuple(pd.unique(keys).tolist())


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_a_pickled_table_keeps_its_integer_keys_read_only(protocol: int) -> None:
    import pickle

    table = cr.ClaimTable(variable=np.array([0, 1]), variables=[7, 3],
                          source=np.zeros(2, np.int64), sources=[cr.Source(id="s")],
                          lower=np.ones(2), value=np.ones(2), upper=np.ones(2))
    back = pickle.loads(pickle.dumps(table, protocol=protocol))
    assert back.variables == (7, 3) and back.variable_keys is not None
    assert not back.variable_keys.flags.writeable
    # The state of a table pickled when it held a tuple of variables reads back too.
    state = {k: v for k, v in table.__getstate__().items()
             if k not in ("_variable_keys", "_variables")}
    old = cr.ClaimTable.__new__(cr.ClaimTable)
    old.__setstate__({**state, "variables": (7, 3)})
    assert old.variables == (7, 3) and old.n_variables == 2


def test_segments_take_accepts_a_list_of_segments() -> None:
    from claimrecon import Segments

    for variables in (["a", "b", "c"], [5, 6, 7]):
        t = cr.ClaimTable(variable=np.array([0, 1, 2]), variables=variables,
                          source=np.zeros(3, np.int64), sources=[cr.Source(id="s")],
                          lower=np.ones(3), value=np.ones(3), upper=np.ones(3))
        keys = t.variable_keys
        segs = Segments(table=t, rows=None, segment=t.variable, m=3, weight=np.ones(3),
                        variables=t.variables if keys is None else keys)
        assert segs.take([2, 0]).variables == (variables[2], variables[0])  # type: ignore[arg-type]


@pytest.mark.parametrize("read_first", [False, True])
def test_segments_matrix_is_a_fresh_copy_of_the_columns_of_its_rows(read_first: bool) -> None:
    from claimrecon import Segments

    rng = np.random.default_rng(5)
    n = 40
    value = rng.normal(size=n)
    t = cr.ClaimTable(variable=rng.integers(0, 4, n), variables=["a", "b", "c", "d"],
                      source=np.zeros(n, np.int64), sources=[cr.Source(id="s")],
                      lower=value - 1, value=value, upper=value + 2)
    for rows in (None, np.argsort(t.variable, kind="stable")[5:]):  # every row; some
        at = np.arange(n) if rows is None else rows
        segs = Segments(table=t, rows=rows, segment=t.variable[at], m=4,
                        weight=np.ones(len(at)), variables=t.variables)
        if read_first:  # a column read before is copied, not taken again
            assert segs.lower.tolist() == t.lower[at].tolist()
        got = segs.matrix("upper", "lower", "value")
        np.testing.assert_array_equal(got, np.array([t.upper[at], t.lower[at], t.value[at]]))
        assert got.flags.writeable and got.dtype == np.float64
        got[:] = 0.0  # the kernel's own: the table and the segments are untouched
        assert segs.lower.tolist() == t.lower[at].tolist()
        assert t.value.tolist() == value.tolist()


def test_segments_matrix_takes_integer_columns_as_floats() -> None:
    # Times and codes go into the float matrix too, for rows in any order.
    from claimrecon import Segments

    t = cr.ClaimTable(variable=np.array([1, 0, 1]), variables=["a", "b"],
                      source=np.array([0, 1, 2]), sources=[cr.Source(id=s) for s in "xyz"],
                      lower=np.array([1.0, 2.0, 3.0]), value=np.array([1.0, 2.0, 3.0]),
                      upper=np.array([1.0, 2.0, 3.0]), as_of=np.array([5, 6, 7]))
    rows = np.array([1, 0, 2])
    segs = Segments(table=t, rows=rows, segment=np.array([0, 1, 1]), m=2,
                    weight=np.ones(3), variables=t.variables, starts=np.array([0, 1, 3]))
    assert segs.matrix("as_of", "source", "value").tolist() == [
        [6.0, 5.0, 7.0], [1.0, 0.0, 2.0], [2.0, 1.0, 3.0]]


def test_a_kernel_that_writes_its_reason_codes_again_keeps_earlier_reasons() -> None:
    # The engine reads each run's reason codes when the status is first read, after
    # later runs: it keeps a copy, not the kernel's buffer.
    buffer = np.zeros(8, np.int64)

    def kernel(segs: cr.Segments) -> cr.Reduction:
        reason = buffer[:segs.n]
        reason[:] = 0 if segs.variables[0] == "a" else 1
        return cr.Reduction(lower=segs.min(segs.lower), value=segs.min(segs.value),
                            upper=segs.max(segs.upper), reason=reason,
                            weight=np.where(segs.source == 0, 0.0, segs.weight),
                            reasons=("reason A", "reason B"))

    pm = _serving(*(cr.Strategy(name=name, summary="reuses a buffer", kernel=kernel)
                    for name in ("k", "k2")))
    t = cr.ClaimTable(variable=np.array([0, 0, 1, 1]), variables=["a", "b"],
                      source=np.array([0, 1, 0, 1]), sources=[cr.Source(id=s) for s in "xy"],
                      lower=np.array([1.0, 2, 3, 4]), value=np.array([1.0, 2, 3, 4]),
                      upper=np.array([1.0, 2, 3, 4]))
    es = cr.reconcile_all(t, {"a": "k", "b": "k2"}, plugin_manager=pm)
    frame = es.claims_to_pandas()
    assert frame["reason"][frame["excluded"]].tolist() == ["reason A", "reason B"]
    assert [x.reason for x in es["b"].excluded] == ["reason B"]


_STRATEGIES_ALL = ("range", "weighted", "recency", "median", "intersection", "crh", "catd",
                   "truthfinder")


@pytest.mark.parametrize("name", _STRATEGIES_ALL)
def test_a_frames_summary_found_beside_the_thread_gives_the_same_estimates(
        monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    # A large frame with integer keys counts each variable's rows and finds its
    # conflict flag while a second thread codes the source ids; the engine takes them.
    pd = pytest.importorskip("pandas")
    from claimrecon import _io

    monkeypatch.setattr(_io, "_THREAD_ROWS", 1)
    rng = np.random.default_rng(11)
    n = 6000  # integer keys this many are coded directly (factorize_ints)
    value = rng.normal(100.0, 5.0, n)
    half = rng.uniform(0.5, 8.0, n)
    frame = pd.DataFrame({"variable": rng.integers(0, 700, n) * 3,
                          "source": [f"s{i}" for i in rng.integers(0, 60, n)],
                          "value": value, "lower": value - half, "upper": value + half,
                          "as_of": pd.to_datetime("2024-01-01") + pd.to_timedelta(
                              rng.integers(0, 9, n), "D")})
    summary: dict[str, object] = {}
    _io.table_from_frame(frame, summary=summary)
    assert set(summary) == {"counts", "conflict"}  # the path under test runs
    got = cr.reconcile_all(frame, name, on_error="collect").to_pandas()
    want = cr.reconcile_all(cr.ClaimTable.from_pandas(frame), name,
                            on_error="collect").to_pandas()
    pd.testing.assert_frame_equal(got, want)
    assert 0 < got["conflict"].sum() < len(got)


def test_a_frames_conflict_flag_is_found_again_after_units_are_converted(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # 1 km and 1,000 m conflict as stated, not once converted: the flag the frame's
    # conversion found on the stated figures does not stand.
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pint")
    from claimrecon import _io

    monkeypatch.setattr(_io, "_THREAD_ROWS", 1)
    n = 5000
    variable = np.arange(n) // 2
    unit = np.where(np.arange(n) % 2 == 0, "km", "m")
    unit[2:] = "m"  # only variable 0 states two units
    frame = pd.DataFrame({"variable": variable, "source": [f"s{i % 2}" for i in range(n)],
                          "value": np.where(unit == "km", 1.0, 1000.0), "unit": unit})
    frame.loc[2:, "value"] = 5.0
    es = cr.reconcile_all(frame, "range")
    assert not es[0].conflict and (es[0].value, es[0].unit) == (pytest.approx(1.0), "km")
    assert not es[1].conflict


@pytest.mark.parametrize("name", ["recency", "crh"])
def test_estimates_with_diagnostics_pickle_and_stay_read_only(name: str) -> None:
    # Diagnostics and options are read-only mappings that pickle (a mappingproxy does
    # not): an Estimate, all the Estimates and a Strategy can go to another process.
    import pickle

    es = cr.reconcile_all(cr.load_seed_claims(), name)
    one = next(iter(es.values()))
    assert one.diagnostics  # the case under test: diagnostics to carry
    back = pickle.loads(pickle.dumps(one))
    assert back == one and dict(back.diagnostics) == dict(one.diagnostics)
    again = pickle.loads(pickle.dumps(es))
    assert [again[v] for v in again] == [es[v] for v in es]
    with pytest.raises(TypeError):
        one.diagnostics["iterations"] = 0  # type: ignore[index]
    strategy = cr.Strategy(name="s", summary="s.", kernel=lambda segs: None,
                           options={"k": 1})
    assert dict(pickle.loads(pickle.dumps(strategy.options))) == {"k": 1}


@pytest.mark.parametrize("error", [
    cr.PluginError("p failed", plugin="p", hook="h", strategy="s"),
    cr.ClaimFileError("bad", path="f.csv", location="line 3", column="value",
                      problems=[("line 3", "value", "bad")]),
    cr.NoUsableClaimsError("none", variable="v", reasons=["r"]),
    cr.UnknownStrategyError("nope", ["range", "median"]),
    cr.UnitMismatchError("units", variable=2, units=["km", "kg"]),
    cr.InvalidQuantityError("plain"),
])
def test_errors_pickle_with_their_message_attributes_and_notes(error: Exception) -> None:
    import pickle

    error.add_note("a note")
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is type(error) and str(back) == str(error)
    assert back.args == error.args and vars(back) == vars(error)
    assert back.__notes__ == ["a note"]


def test_estimates_holding_errors_pickle() -> None:
    import pickle

    claims = [cr.Claim(variable=v, source=cr.Source(id="s"),
                       quantity=cr.Quantity(value=1.0, unit=u))
              for v, u in (("a", "km"), ("a", "kg"), ("b", None))]
    es = cr.reconcile_all(claims, "range", on_error="collect")
    back = pickle.loads(pickle.dumps(es))
    assert list(back) == ["b"] and str(back.errors["a"]) == str(es.errors["a"])
    assert type(back.errors["a"]) is type(es.errors["a"])


class _VariableError(cr.ClaimreconError, ValueError):
    """An error that names the variable it concerns, as NoUsableClaimsError does."""

    def __init__(self, message: str, *, variable: object) -> None:
        super().__init__(message)
        self.variable = variable


def _learner(segs: cr.Segments, *, named: bool = True) -> cr.Reduction:
    """Learns one bias across variables from those with a known truth: each estimate is
    its variable's mean less the bias. Fails without a known truth (so a variable
    without one fails alone) and on a negative figure."""
    values = np.asarray(segs.value)
    if np.any(values < 0):
        bad = segs.variables[int(segs.segment[np.argmax(values < 0)])]
        if named:
            raise _VariableError(f"variable {bad!r} has a negative figure", variable=bad)
        raise ValueError("a negative figure")
    truths = segs.truths
    if truths is None or np.isnan(truths).all():
        raise cr.ClaimreconError("needs a variable with a known truth")
    mean = segs.sum(segs.weight * values) / segs.sum(segs.weight)
    bias = float(np.nanmean(mean - truths))
    value = mean - bias
    return cr.Reduction(lower=value - 1, value=value, upper=value + 1, weight=segs.weight,
                        source_reliability=np.full(len(segs.sources), 1 / (1 + abs(bias))))


def _independent(segs: cr.Segments) -> cr.Reduction:
    """Each variable's mean; fails on a negative figure (naming no variable)."""
    if np.any(np.asarray(segs.value) < 0):
        raise ValueError("a negative figure")
    mean = segs.sum(segs.weight * segs.value) / segs.sum(segs.weight)
    return cr.Reduction(lower=segs.min(segs.lower), value=mean, upper=segs.max(segs.upper),
                        weight=segs.weight)


@pytest.mark.parametrize("strategy", ["learner-named", "learner", "independent"])
def test_collected_errors_leave_the_other_variables_as_a_run_without_them(
        strategy: str) -> None:
    # The variables that do not fail are estimated in one run, as if the failing ones
    # were not there: a strategy that learns across variables keeps what it learned,
    # and a variable it estimates only among others (no truth of its own) is kept.
    pm = _serving(cr.Strategy(name="learner-named", summary="x", kernel=_learner),
                  cr.Strategy(name="learner", summary="x", kernel=_learner,
                              options={"named": False}),
                  cr.Strategy(name="independent", summary="x", kernel=_independent))
    figures = {"s1": (10.0, 12.0), "bad1": (-1.0, 3.0), "s2": (20.0, 23.0),
               "target": (30.0, 34.0), "bad2": (5.0, -2.0), "s3": (40.0, 41.0)}
    claims = [cr.Claim(variable=v, source=cr.Source(id=s), quantity=cr.Quantity(value=x))
              for v, xs in figures.items() for s, x in zip("ab", xs, strict=True)]
    truths = {"s1": 10.0, "s2": 21.0, "s3": 40.0}
    good = [c for c in claims if not c.variable.startswith("bad")]
    expected = cr.reconcile_all(good, strategy, truths=truths, plugin_manager=pm)
    with pytest.raises(cr.ClaimreconError):
        cr.reconcile_all(claims, strategy, truths=truths, plugin_manager=pm)
    es = cr.reconcile_all(claims, strategy, truths=truths, on_error="collect",
                          plugin_manager=pm)
    assert list(es.errors) == ["bad1", "bad2"]
    assert all("negative figure" in str(e) for e in es.errors.values())
    assert list(es) == list(expected) == ["s1", "s2", "target", "s3"]
    for v in expected:
        assert es[v] == expected[v]
    assert es.source_reliability == expected.source_reliability
    if strategy != "independent":
        assert es.source_reliability is not None


def test_many_collected_errors_that_name_their_variable_cost_a_run_each() -> None:
    # (setting each named variable aside and running all the rest again would take
    # m * m / 2 calls of the function: it does that a few times, then runs each alone)
    calls = [0]

    def odd_fails(claims: list[cr.Claim], weights: list[float]) -> cr.Outcome:
        calls[0] += 1
        v = claims[0].variable
        if int(str(v)[1:]) % 2:
            raise cr.NoUsableClaimsError(f"nothing usable for {v!r}", variable=v)
        x = claims[0].quantity.value
        return cr.Outcome(lower=x, value=x, upper=x)

    pm = _serving(cr.Strategy(name="odd-fails", summary="x", function=odd_fails))
    m = 400
    claims = [claim("a", variable=f"v{k}", value=float(k)) for k in range(m)]
    es = cr.reconcile_all(claims, "odd-fails", on_error="collect", plugin_manager=pm)
    assert len(es) == len(es.errors) == m // 2 and es["v2"].value == 2.0
    assert calls[0] < 3 * m


@pytest.mark.parametrize("named", [False, True])
def test_when_every_variable_fails_collect_mode_runs_each_about_twice(named: bool) -> None:
    calls = [0]

    def kernel(segs: cr.Segments) -> cr.Reduction:
        calls[0] += 1
        raise cr.NoUsableClaimsError("no", variable=segs.variables[0] if named else None)

    pm = _serving(cr.Strategy(name="fails", summary="x", kernel=kernel))
    m = 500
    claims = [claim("a", variable=f"v{k}", value=1.0) for k in range(m)]
    es = cr.reconcile_all(claims, "fails", on_error="collect", plugin_manager=pm)
    assert len(es) == 0 and len(es.errors) == m
    assert calls[0] < 2.2 * m  # alone once each, and joint runs of halving groups


def test_past_the_named_failures_a_learner_that_needs_others_keeps_its_variables() -> None:
    # After eight failures naming their variable, each variable runs alone; a learner
    # that needs two variables fails alone everywhere, and the good ones are taken
    # back in among each other.
    def kernel(segs: cr.Segments) -> cr.Reduction:
        for v in segs.variables:
            if str(v).startswith("bad"):
                raise cr.NoUsableClaimsError(f"variable {v!r} is bad", variable=v)
        if segs.m < 2:
            raise cr.UnsupportedStrategyError("needs two variables to learn from")
        lo, hi = segs.min(segs.lower), segs.max(segs.upper)
        return cr.Reduction(lower=lo, value=(lo + hi) / 2, upper=hi, weight=segs.weight,
                            source_reliability=np.ones(len(segs.sources)))

    pm = _serving(cr.Strategy(name="pairs", summary="x", kernel=kernel))
    names = [f"good{i}" for i in range(5)] + [f"bad{i}" for i in range(9)]
    claims = [claim(s, variable=v, value=x) for v in names for s, x in (("a", 1.0), ("b", 2.0))]
    es = cr.reconcile_all(claims, "pairs", on_error="collect", plugin_manager=pm)
    assert list(es) == names[:5] and sorted(es.errors) == sorted(names[5:])
    assert es.source_reliability == {"a": 1.0, "b": 1.0}


def test_a_kernel_that_writes_its_arrays_again_leaves_earlier_estimates_as_they_were() -> None:
    # Estimates are built when first read, after later runs: the engine keeps copies
    # of a kernel's figures, confidences and diagnostic arrays, not its buffers.
    buffers: dict[str, np.ndarray] = {}

    def kernel(segs: cr.Segments) -> cr.Reduction:
        arrays = {k: buffers.setdefault(k, np.empty(segs.m))
                  for k in ("lower", "value", "upper", "confidence", "spread")}
        arrays["lower"][...] = segs.min(segs.lower)
        arrays["upper"][...] = segs.max(segs.upper)
        arrays["value"][...] = arrays["lower"]
        arrays["confidence"][...] = 0.5
        arrays["spread"][...] = arrays["upper"] - arrays["lower"]
        return cr.Reduction(lower=arrays["lower"], value=arrays["value"],
                            upper=arrays["upper"], weight=segs.weight,
                            confidence=arrays["confidence"],
                            diagnostics={"spread": arrays["spread"]})

    pm = _serving(cr.Strategy(name="buffered", summary="reuses its buffers", kernel=kernel))

    def claims(x: float) -> list[cr.Claim]:
        return [cr.Claim(variable=v, source=cr.Source(id=s), quantity=cr.Quantity(value=x + i))
                for v in ("u", "w") for i, s in enumerate("ab")]

    first = cr.reconcile_all(claims(1.0), "buffered", plugin_manager=pm)
    buffers["confidence"][...] = 0.9  # written after the call, as in a next one
    cr.reconcile_all(claims(100.0), "buffered", plugin_manager=pm)
    e = first["u"]
    assert (e.lower, e.value, e.upper, e.confidence) == (1.0, 1.0, 2.0, 0.5)
    assert dict(e.diagnostics) == {"spread": 1.0}


def test_a_library_object_that_is_no_data_frame_is_refused_by_its_type() -> None:
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    pa = pytest.importorskip("pyarrow")
    frame = pd.DataFrame({"variable": ["x", "x"], "source": ["a", "b"], "value": [1.0, 3.0]})
    for frame_like in (frame, pl.from_pandas(frame), pa.Table.from_pandas(frame),
                       pa.RecordBatch.from_pandas(frame)):
        assert cr.reconcile_all(frame_like, "range")["x"].upper == 3.0
    for other, kind in ((frame["value"], "Series"), (pl.from_pandas(frame).lazy(), "LazyFrame"),
                        (frame.groupby("variable"), "DataFrameGroupBy"),
                        (pa.array([1.0]), "DoubleArray"), (42, "int")):
        with pytest.raises(cr.InvalidClaimError, match=r"(?s)expected Claim objects, a "
                           r"ClaimTable or a data frame \(a pandas or polars DataFrame, or "
                           rf"an Arrow Table or RecordBatch\) \(got .* of type {kind}\)"):
            cr.reconcile_all(other, "range")


def _table_with_repeats(seed: int, n: int = 400) -> cr.ClaimTable:
    """Claims of 30 variables by 6 sources, of few figures and dates: many repeats."""
    rng = np.random.default_rng(seed)
    value = rng.integers(0, 4, n).astype(float)
    return cr.ClaimTable(
        variable=rng.integers(0, 30, n), variables=[f"v{i}" for i in range(30)],
        source=rng.integers(0, 6, n), sources=[cr.Source(id=f"s{i}") for i in range(6)],
        lower=value - rng.integers(0, 2, n), value=value, upper=value + 1,
        as_of=rng.integers(0, 3, n) * 86_400_000_000,
    )


@pytest.fixture
def settle_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of repeats each run of the engine's second half was given."""
    from claimrecon import _engine

    calls: list[int] = []
    real = _engine._settle

    def settle(plan: object, rep: np.ndarray, of: np.ndarray) -> object:
        calls.append(len(rep))
        return real(plan, rep, of)  # type: ignore[arg-type]

    monkeypatch.setattr(_engine, "_settle", settle)
    return calls


def _runs(monkeypatch: pytest.MonkeyPatch, calls: list[int], beside: bool,
          run: object) -> tuple[object, list[int]]:
    """What ``run()`` gives (or raises), and the repeats each settle got, with the
    repeat search beside the strategies from the first row, or never."""
    from claimrecon import _engine

    monkeypatch.setattr(_engine, "_BESIDE_ROWS", 1 if beside else 1 << 62)
    calls.clear()
    try:
        out: object = run()  # type: ignore[operator]
    except cr.ClaimreconError as exc:
        out = exc
    return out, list(calls)


def _same_run(got: object, want: object) -> None:
    if isinstance(want, Exception):
        assert type(got) is type(want) and str(got) == str(want)
        return
    pd = pytest.importorskip("pandas")
    assert isinstance(got, cr.Estimates) and isinstance(want, cr.Estimates)
    pd.testing.assert_frame_equal(got.to_pandas(), want.to_pandas())
    pd.testing.assert_frame_equal(got.claims_to_pandas(), want.claims_to_pandas())
    assert {v: str(e) for v, e in got.errors.items()} == {
        v: str(e) for v, e in want.errors.items()}
    assert [e.diagnostics for e in got.values()] == [e.diagnostics for e in want.values()]


@pytest.mark.parametrize("strategy", ["range", "weighted", "recency"])
@pytest.mark.parametrize("seed", range(3))
def test_a_strategy_run_beside_the_repeat_search_is_run_again_when_repeats_turn_up(
    monkeypatch: pytest.MonkeyPatch, settle_calls: list[int], strategy: str, seed: int,
) -> None:
    """range, weighted and recency run on large tables while a second thread looks for
    repeats, as if there were none; where there are, they run again without them. The
    estimates and the account of every claim are those of a run after the search."""
    table = _table_with_repeats(seed)
    want, serial = _runs(monkeypatch, settle_calls, False,
                         lambda: cr.reconcile_all(table, strategy))
    got, beside = _runs(monkeypatch, settle_calls, True,
                        lambda: cr.reconcile_all(table, strategy))
    (n_rep,) = serial
    assert n_rep > 10  # the table holds repeats
    assert beside == [0, n_rep]  # a run as if none, then one without them
    _same_run(got, want)


@pytest.mark.parametrize("strategy", ["range", "weighted", "recency"])
def test_a_strategy_run_beside_the_repeat_search_stands_when_none_turn_up(
    monkeypatch: pytest.MonkeyPatch, settle_calls: list[int], strategy: str,
) -> None:
    rng = np.random.default_rng(3)
    n = 300
    value = rng.normal(100.0, 10.0, n)  # no two claims state one figure: no repeat
    table = cr.ClaimTable(
        variable=rng.integers(0, 20, n), variables=list(range(20)),
        source=rng.integers(0, 4, n), sources=[cr.Source(id=f"s{i}") for i in range(4)],
        lower=value - 1, value=value, upper=value + 1,
    )
    want, serial = _runs(monkeypatch, settle_calls, False,
                         lambda: cr.reconcile_all(table, strategy))
    got, beside = _runs(monkeypatch, settle_calls, True,
                        lambda: cr.reconcile_all(table, strategy))
    assert serial == beside == [0]  # one run each
    _same_run(got, want)


def test_strategies_of_more_than_a_few_passes_wait_for_the_repeat_search(
    monkeypatch: pytest.MonkeyPatch, settle_calls: list[int],
) -> None:
    """median (and plugins' strategies, whose cost and effects are unknown) run once,
    after the search: run again, one would cost far more than the overlap saves."""
    table = _table_with_repeats(0)
    mapping = {v: "median" if i % 2 else "weighted" for i, v in enumerate(table.variables)}
    for strategy in ("median", mapping):
        want, serial = _runs(monkeypatch, settle_calls, False,
                             lambda s=strategy: cr.reconcile_all(table, s))
        got, beside = _runs(monkeypatch, settle_calls, True,
                            lambda s=strategy: cr.reconcile_all(table, s))
        assert beside == serial and serial[0] > 10
        _same_run(got, want)


@pytest.mark.parametrize("on_error", ["raise", "collect"])
@pytest.mark.parametrize("repeated", [True, False])
def test_a_failure_beside_the_repeat_search_is_the_failure_after_it(
    monkeypatch: pytest.MonkeyPatch, settle_calls: list[int], on_error: str, repeated: bool,
) -> None:
    """A weight hook sets aside the first claim of v0, whose other claim repeats it
    (``repeated``) or not: as a repeat, the other one no longer counts and v0 has no
    usable claim; the run beside the search, which knows no repeat, finds one. Either
    way the error is the one of a run after the search."""
    claims = [claim("a", variable="v0", value=1), claim("a", variable="v0",
                                                      value=1 if repeated else 2),
              claim("b", variable="v1", value=3)]

    class DropFirst:
        @cr.hookimpl
        def claimrecon_claim_weights(self, table: cr.ClaimTable) -> object:
            return np.array([0.0, 1.0, 1.0] if repeated else [0.0, 0.0, 1.0])

    pm = cr.make_plugin_manager()
    cr.register(DropFirst(), name="drop-first", plugin_manager=pm)

    def run() -> cr.Estimates:
        return cr.reconcile_all(claims, "weighted", on_error=on_error,  # type: ignore[arg-type]
                                plugin_manager=pm)

    want, serial = _runs(monkeypatch, settle_calls, False, run)
    got, beside = _runs(monkeypatch, settle_calls, True, run)
    assert serial == [1 if repeated else 0]
    assert beside == ([0, 1] if repeated else [0])
    if on_error == "raise":
        assert isinstance(want, cr.NoUsableClaimsError)
    else:
        assert isinstance(want, cr.Estimates) and list(want.errors) == ["v0"]
    _same_run(got, want)


def test_with_no_thread_to_be_had_the_repeat_search_runs_first(
    monkeypatch: pytest.MonkeyPatch, settle_calls: list[int],
) -> None:
    """At interpreter shutdown (an atexit handler) no thread can start: the run then
    searches the repeats first, as on a small table, rather than fail."""
    from claimrecon import _engine

    class NoThreads:
        def __init__(self, *args: object) -> None:
            raise RuntimeError("can't register atexit after shutdown")

    table = _table_with_repeats(1)
    want, serial = _runs(monkeypatch, settle_calls, False,
                         lambda: cr.reconcile_all(table, "weighted"))
    monkeypatch.setattr(_engine.concurrent.futures, "ThreadPoolExecutor", NoThreads)
    got, beside = _runs(monkeypatch, settle_calls, True,
                        lambda: cr.reconcile_all(table, "weighted"))
    assert beside == serial  # one run, after the search
    _same_run(got, want)


def test_a_failing_variable_is_raised_before_truths_are_read() -> None:
    """A variable's own error (no usable claim, units that cannot be reconciled) comes
    before an unreadable truth, as the engine's steps go."""
    src = cr.Source(id="a")
    claims = [cr.Claim(variable="v0", source=src, quantity=cr.Quantity(value=1.0)),
              cr.Claim(variable="v1", source=src, quantity=cr.Quantity(value=2.0))]

    class DropV0:
        @cr.hookimpl
        def claimrecon_claim_weights(self, table: cr.ClaimTable) -> object:
            return np.where(table.variable == 0, 0.0, 1.0)

    pm = cr.make_plugin_manager()
    cr.register(DropV0(), name="drop-v0", plugin_manager=pm)
    with pytest.raises(cr.NoUsableClaimsError, match="'v0'"):
        cr.reconcile_all(claims, "weighted", truths={"v1": "n/a"}, plugin_manager=pm)
    mixed = [cr.Claim(variable="v0", source=src, quantity=cr.Quantity(value=1.0, unit="km")),
             cr.Claim(variable="v0", source=cr.Source(id="b"),
                      quantity=cr.Quantity(value=1.0, unit="kg")),
             cr.Claim(variable="v1", source=src, quantity=cr.Quantity(value=2.0))]
    with pytest.raises(cr.UnitMismatchError, match="'v0'"):
        cr.reconcile_all(mixed, "weighted", truths={"v1": None})


def test_a_unit_failure_raised_after_a_run_beside_the_search_has_one_runs_traceback(
    monkeypatch: pytest.MonkeyPatch, settle_calls: list[int],
) -> None:
    """The error of a variable whose units cannot be reconciled is made once, before
    the runs; raised by the run after the search, its traceback is that run's alone."""
    import traceback

    table = _table_with_repeats(2)
    unit = np.zeros(len(table), np.int64)  # kg, but one claim of v3 in km
    unit[np.flatnonzero(table.variable == 3)[0]] = 1
    table = cr.ClaimTable(
        variable=table.variable, variables=table.variables, source=table.source,
        sources=table.sources, lower=table.lower, value=table.value, upper=table.upper,
        unit=unit, units=["kg", "km"], as_of=table.as_of)
    got, beside = _runs(monkeypatch, settle_calls, True,
                        lambda: cr.reconcile_all(table, "weighted"))
    assert isinstance(got, cr.UnitMismatchError) and len(beside) == 2
    frames = [f.name for f in traceback.extract_tb(got.__traceback__)]
    assert frames.count("_settle") == 1, frames


def test_truths_that_are_not_a_mapping_of_numbers_are_refused_by_variable() -> None:
    claims = [claim("a", variable="v", value=1.0), claim("b", variable="w", value=2.0)]
    with pytest.raises(TypeError, match="truths must be a mapping"):
        cr.reconcile_all(claims, "weighted", truths=[("v", 1.0)])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"truths\['v'\] must be a number \(got 'n/a'"):
        cr.reconcile_all(claims, "weighted", truths={"v": "n/a"})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match=r"truths\['w'\] must be a number"):
        cr.reconcile_all(claims, "weighted", truths={"w": True})
    # None is no truth given; numbers of any numeric type are read
    from decimal import Decimal
    es = cr.reconcile_all(claims, "weighted", truths={"v": None, "w": Decimal("2.5")})
    assert es["w"].value == 2.0


def test_the_claims_frame_holds_none_where_a_claim_has_no_reason() -> None:
    """Object columns, as claimrecon.dask gives them (pandas 3 would make the ids and
    reasons its text type, and a claim that counts a NaN reason)."""
    pytest.importorskip("pandas")
    rows = cr.reconcile_all([claim("a", value=1), claim("a", value=1), claim("b", value=2)],
                            "weighted").claims_to_pandas()
    assert rows["reason"].tolist() == [None, "repeats the claim at input position 0", None]
    assert rows["source"].dtype == object and rows["reason"].dtype == object
