"""The ``cooke`` strategy through claimrecon's public API."""

from __future__ import annotations

import datetime
import itertools
import math
from pathlib import Path

import numpy as np
import pytest
from claimrecon_cooke import CookeError, Panel, read_dtt, read_rls

import claimrecon as cr

DATA = Path(__file__).parent / "data"


def study(stem: str) -> tuple[list[cr.Claim], dict[str, float], dict[str, str]]:
    claims = read_dtt(DATA / f"{stem}.dtt")
    return claims, read_rls(DATA / f"{stem}.rls"), claims.scales


def q(*xs: float, levels: tuple[float, ...] = (0.05, 0.5, 0.95)) -> cr.Quantity:
    pairs = tuple(zip(levels, xs, strict=True))
    return cr.Quantity(lower=xs[0], upper=xs[-1], quantiles=pairs,
                       value=dict(pairs).get(0.5))


def test_the_entry_point_registers_the_plugin() -> None:
    infos = [i for i in cr.list_strategies() if i.name == "cooke"]
    assert [i.plugin for i in infos] == ["cooke"]
    assert cr.get_strategy("cooke").options == {
        "dm": "global", "alpha": None, "scale": None, "overshoot": 0.1}


@pytest.mark.parametrize("dm", ["global", "item", "equal"])
def test_the_strategy_agrees_with_the_model(dm: str) -> None:
    claims, truths, scales = study("daniela")
    es = cr.reconcile_all(claims, "cooke", truths=truths, scale=scales, dm=dm)
    panel = Panel.from_claims(claims, truths=truths, scale=scales)
    expected = panel.decision_maker(dm)  # type: ignore[arg-type]
    assert len(es) == 17 and not es.errors
    for k, variable in enumerate(panel.variables):
        e = es[variable]
        assert e.lower == pytest.approx(expected.quantiles[k, 0], rel=1e-12)
        assert e.upper == pytest.approx(expected.quantiles[k, -1], rel=1e-12)
        assert e.value == pytest.approx(expected.median[k], rel=1e-12)
        assert e.confidence == 0.9
        assert e.diagnostics["dm_calibration"] == pytest.approx(expected.calibration)
        assert e.diagnostics["dm_information"] == pytest.approx(expected.information)
        assert e.diagnostics["seed"] == (variable in truths)
        shares = {c.claim.source.id: c.weight for c in e.contributions}
        for x, expert in enumerate(panel.experts):
            assert shares.get(str(expert), 0.0) == pytest.approx(
                expected.shares()[x, k], abs=1e-12)


def test_every_claim_is_accounted_for_with_a_reason() -> None:
    claims, truths, scales = study("atcep")
    es = cr.reconcile_all(claims, "cooke", truths=truths, scale=scales)
    table = es.claims_to_pandas()
    assert len(table) == len(claims)
    assert math.isclose(table.groupby("variable")["weight"].sum().min(), 1.0)
    excluded = table[table.excluded]
    alpha = es["Airprox_rep"].diagnostics["alpha"]
    assert set(excluded.source) == {"D", "E"}
    assert all(r.startswith("calibration ") and f"optimised cut-off alpha={alpha:.3g}" in r
               for r in excluded.reason)


def test_learned_weights_are_reported_by_source() -> None:
    claims, truths, scales = study("atcep")
    es = cr.reconcile_all(claims, "cooke", truths=truths, scale=scales)
    rel = es.source_reliability
    assert rel is not None and set(rel) == {"A", "B", "C", "D", "E"}
    assert math.isclose(sum(rel.values()), 1.0) and rel["D"] == rel["E"] == 0.0
    d = es["Airprox_rep"].diagnostics
    assert set(d["calibration"]) == set(rel) and all(0 < c <= 1 for c in
                                                     d["calibration"].values())
    assert d["dm"] == "global" and d["alpha_optimised"] is True and d["n_seed"] == 10


def test_a_fixed_alpha_and_alpha_zero() -> None:
    claims, truths, scales = study("atcep")
    none_cut = cr.reconcile_all(claims, "cooke", truths=truths, scale=scales, alpha=0.0)
    assert all(not e.excluded for e in none_cut.values())
    strict = cr.reconcile_all(claims, "cooke", truths=truths, scale=scales, alpha=0.05)
    reasons = {x.reason for e in strict.values() for x in e.excluded}
    assert reasons and all("below the cut-off alpha=0.05" in r for r in reasons)
    assert strict["Airprox_rep"].diagnostics["alpha_optimised"] is False
    with pytest.raises(cr.NoUsableClaimsError, match=r"below the cut-off alpha=0\.5"):
        cr.reconcile_all(claims, "cooke", truths=truths, scale=scales, alpha=0.5)


def test_the_estimate_of_a_target_variable_is_the_pools_median_and_range() -> None:
    claims, truths, scales = study("daniela")
    es = cr.reconcile_all(claims, "cooke", truths=truths, scale=scales)
    e = es["Q7"]  # a target: no realisation; Exp2 did not answer it
    assert "Q7" not in truths and {c.claim.source.id for c in e.contributions} <= {
        "Exp1", "Exp3", "Exp4"}
    pool = e.diagnostics["quantiles"]
    assert [p for p, _ in pool] == [0.05, 0.5, 0.95]
    assert (e.lower, e.value, e.upper) == (pool[0][1], pool[1][1], pool[2][1])


def test_performance_weights_need_truths() -> None:
    claims, _, scales = study("daniela")
    with pytest.raises(CookeError, match="truths="):
        cr.reconcile_all(claims, "cooke", scale=scales)
    es = cr.reconcile_all(claims, "cooke", scale=scales, dm="equal")
    assert math.isnan(es["Q7"].diagnostics["dm_calibration"])
    assert all(not e.excluded for e in es.values())


@pytest.mark.parametrize(("options", "match"), [
    ({"dm": "best"}, "dm must be one of"),
    ({"alpha": 2.0}, "alpha must be None"),
    ({"dm": "equal", "alpha": 0.1}, "takes none"),
    ({"overshoot": 0.0}, "overshoot must be a positive"),
    ({"scale": "logarithmic"}, "a scale must be"),
    ({"scale": 5}, "scale must be None, 'uni', 'log' or a mapping"),
])
def test_bad_options_are_refused(options: dict[str, object], match: str) -> None:
    claims, truths, _ = study("atcep")
    with pytest.raises(CookeError, match=match):
        cr.reconcile_all(claims, "cooke", truths=truths, **options)


def test_claims_it_cannot_use_are_excluded_with_reasons() -> None:
    s = [cr.Source(id=x) for x in "abcdef"]
    claims = [
        cr.Claim(variable="v", source=s[0], quantity=q(1, 5, 9)),
        cr.Claim(variable="v", source=s[1], quantity=q(2, 4, 8)),
        cr.Claim(variable="v", source=s[2], quantity=cr.Quantity(value=5)),
        cr.Claim(variable="v", source=s[3], quantity=q(1, 5, 9, levels=(0.1, 0.5, 0.9))),
        cr.Claim(variable="v", source=s[4], quantity=q(1, 1, 9)),
        cr.Claim(variable="v", source=s[0], quantity=q(3, 5, 9)),
    ]
    e = cr.reconcile(claims, "cooke", dm="equal")
    assert {c.claim.source.id for c in e.contributions} == {"a", "b"}
    reasons = {x.claim.source.id + (":2" if x.claim is claims[5] else ""): x.reason
               for x in e.excluded}
    assert reasons["c"].startswith("states no quantiles")
    assert "10/50/90% differ from the panel's 5/50/95%" in reasons["d"]
    assert "do not increase strictly" in reasons["e"]
    assert reasons["a:2"] == "the same expert's other assessment of this variable counts"
    assert e.value is not None and e.lower is not None and e.upper is not None
    assert 1 <= e.lower <= e.value <= e.upper <= 9


def test_which_of_an_experts_equal_assessments_counts_does_not_follow_input_order() -> None:
    # Equal quantiles: the bounds, then the dates decide (the first given won).
    a, b = cr.Source(id="a"), cr.Source(id="b")
    wide = cr.Quantity(lower=0, value=5, upper=10, quantiles=q(1, 5, 9).quantiles)
    claims = [
        cr.Claim(variable="v", source=a, quantity=q(1, 5, 9)),
        cr.Claim(variable="v", source=a, quantity=q(1, 5, 9), as_of=datetime.date(2024, 1, 1)),
        cr.Claim(variable="v", source=a, quantity=wide),
        cr.Claim(variable="v", source=b, quantity=q(2, 4, 8)),
    ]
    counted = {frozenset(c.claim for c in cr.reconcile(order, "cooke", dm="equal").contributions)
               for order in itertools.permutations(claims)}
    assert counted == {frozenset({claims[2], claims[3]})}


def test_log_scale_claims_must_be_positive() -> None:
    claims = [
        cr.Claim(variable="v", source=cr.Source(id="a"), quantity=q(1, 5, 9)),
        cr.Claim(variable="v", source=cr.Source(id="b"), quantity=q(-1, 4, 8)),
    ]
    e = cr.reconcile(claims, "cooke", dm="equal", scale="log")
    assert [x.reason for x in e.excluded] == [
        "the variable is on a log scale and its quantiles are not all positive"]
    with pytest.raises(CookeError, match=r"realisation -3\.0 is not positive"):
        cr.reconcile_all(claims[:1], "cooke", truths={"v": -3.0}, scale="log")


def test_a_variable_only_low_experts_answered_is_an_error_to_collect() -> None:
    good, bad = cr.Source(id="good"), cr.Source(id="bad")
    claims = [
        cr.Claim(variable=f"s{k}", source=good, quantity=q(0, 10, 20)) for k in range(4)
    ] + [
        cr.Claim(variable=f"s{k}", source=bad, quantity=q(100, 110, 120)) for k in range(4)
    ] + [cr.Claim(variable="target", source=bad, quantity=q(1, 2, 3))]
    truths = {f"s{k}": x for k, x in enumerate([3.0, 12.0, 9.0, 15.0])}
    es = cr.reconcile_all(claims, "cooke", truths=truths, on_error="collect")
    assert set(es.errors) == {"target"}
    assert isinstance(es.errors["target"], cr.NoUsableClaimsError)
    assert es.source_reliability == {"good": 1.0, "bad": 0.0}
    with pytest.raises(cr.NoUsableClaimsError, match="below the optimised cut-off"):
        cr.reconcile_all(claims, "cooke", truths=truths)


def test_a_collected_error_leaves_the_others_as_a_run_without_its_variable() -> None:
    # 'bad' cannot be scored (its quantiles are distinct floats whose logs coincide):
    # the other variables are pooled as if it were not there, the target among the
    # seeds (alone it has none to weigh the experts by), and what was learned is kept.
    experts = {"e1": 1.0, "e2": 1.3, "e3": 0.6}
    truths = {f"s{k}": x for k, x in enumerate([15.0, 120.0, 40.0, 900.0])}
    claims = [cr.Claim(variable=v, source=cr.Source(id=e), quantity=q(t * b / 2, t * b, t * b * 2))
              for v, t in [*truths.items(), ("target", 100.0)] for e, b in experts.items()]
    x1 = 1e300
    x2 = np.nextafter(x1, np.inf)
    x3 = np.nextafter(x2, np.inf)
    bad = [cr.Claim(variable="bad", source=cr.Source(id=e), quantity=q(x1, x2, x3))
           for e in experts]
    scale = "log"
    expected = cr.reconcile_all(claims, "cooke", truths=truths, scale=scale)
    with pytest.raises(CookeError, match="'bad' is a single point"):
        cr.reconcile_all(claims + bad, "cooke", truths=truths, scale=scale)
    es = cr.reconcile_all(claims + bad, "cooke", truths=truths, scale=scale, on_error="collect")
    assert list(es.errors) == ["bad"]
    assert list(es) == list(expected)
    for v in expected:
        assert es[v] == expected[v]
    assert es.source_reliability == expected.source_reliability is not None


def test_columnar_input_gives_the_same_result(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    claims, truths, scales = study("atcep")
    frame = pd.DataFrame([{"variable": c.variable, "source": c.source.id,
                           "lower": c.quantity.lower, "value": c.quantity.value,
                           "upper": c.quantity.upper} for c in claims])
    # A frame without a quantiles column: every claim is set aside, so every variable fails.
    es = cr.reconcile_all(frame, "cooke", truths=truths, scale=scales, on_error="collect")
    assert len(es) == 0 and len(es.errors) == 11
    b = cr.reconcile_all(claims, "cooke", truths=truths, scale=scales)
    table = cr.ClaimTable.from_claims(claims)
    table.write(tmp_path / "experts.csv")
    # The table, its frame (with the quantiles column) and a CSV file of it agree.
    for data in (table, table.to_pandas(), cr.read_claims(tmp_path / "experts.csv")):
        a = cr.reconcile_all(data, "cooke", truths=truths, scale=scales)
        assert np.allclose(a.to_pandas()[["lower", "value", "upper"]],
                           b.to_pandas()[["lower", "value", "upper"]], rtol=1e-12)


def test_experts_in_different_units_are_pooled_in_one() -> None:
    # One expert answers in km, two in m: the km expert's quantiles count as metres
    # x 1000, exactly as if it had answered in m.
    pytest.importorskip("pint")

    def claim(source: str, unit: str, factor: float, *xs: float) -> cr.Claim:
        pairs = [(p, x * factor) for p, x in zip((0.05, 0.5, 0.95), xs, strict=True)]
        return cr.Claim(variable="d", source=cr.Source(id=source), quantity=cr.Quantity(
            lower=pairs[0][1], value=pairs[1][1], upper=pairs[2][1], unit=unit,
            quantiles=pairs))

    mixed = [claim("a", "km", 1, 1, 2, 3), claim("b", "m", 1, 1000, 2000, 3000),
             claim("c", "m", 1, 1500, 2500, 3500)]
    metres = [claim("a", "m", 1000, 1, 2, 3), *mixed[1:]]
    got, want = (cr.reconcile(c, "cooke", dm="equal") for c in (mixed, metres))
    assert got.unit == want.unit == "m"
    assert (got.lower, got.value, got.upper) == (want.lower, want.value, want.upper)


def test_the_command_line_reads_expert_quantiles_and_truths_from_files(
        tmp_path: Path) -> None:
    import json

    from click.testing import CliRunner

    from claimrecon._cli import main

    claims, truths, scales = study("atcep")
    cr.ClaimTable.from_claims(claims).write(tmp_path / "experts.csv")
    (tmp_path / "truths.csv").write_text(
        "variable,value\n" + "".join(f"{v},{x!r}\n" for v, x in truths.items()), encoding="utf-8")
    result = CliRunner().invoke(main, [
        "reconcile", str(tmp_path / "experts.csv"), "-s", "cooke", "-f", "json",
        "--truths", str(tmp_path / "truths.csv"), "-o", f"scale={json.dumps(scales)}"])
    assert result.exit_code == 0, result.output
    got = {e["variable"]: e["value"] for e in json.loads(result.output)["estimates"]}
    want = cr.reconcile_all(claims, "cooke", truths=truths, scale=scales)
    assert got.keys() == set(want)
    assert all(got[v] == pytest.approx(want[v].value, rel=1e-12) for v in want)
