"""Source, Claim and Estimate."""

from __future__ import annotations

import datetime
import json
import math

import attrs
import numpy as np
import pytest

import claimrecon as cr


def test_a_source_without_reliability_counts_fully() -> None:
    assert cr.Source(id="x").reliability == 1.0


@pytest.mark.parametrize("reliability", [0, -0.5, 1.5, float("nan")])
def test_reliability_outside_zero_one_is_refused(reliability: float) -> None:
    with pytest.raises(cr.InvalidSourceError, match=r"reliability must lie in \(0, 1\]"):
        cr.Source(id="x", reliability=reliability)


def test_an_empty_source_id_is_refused() -> None:
    with pytest.raises(cr.InvalidSourceError, match="non-empty"):
        cr.Source(id=" ")


def test_claim_fields_of_the_wrong_type_are_refused() -> None:
    src = cr.Source(id="x")
    q = cr.Quantity(value=1)
    with pytest.raises(cr.InvalidClaimError, match="quantity must be a Quantity"):
        cr.Claim(variable="v", quantity=12, source=src)  # type: ignore[arg-type]
    with pytest.raises(cr.InvalidClaimError, match="source must be a Source"):
        cr.Claim(variable="v", quantity=q, source="x")  # type: ignore[arg-type]
    with pytest.raises(cr.InvalidClaimError, match=r"as_of must be a datetime.date"):
        cr.Claim(variable="v", quantity=q, source=src, as_of="2024-10-01")  # type: ignore[arg-type]
    with pytest.raises(cr.InvalidClaimError, match="variable must be a str or an int"):
        cr.Claim(variable=1.5, quantity=q, source=src)  # type: ignore[arg-type]


@pytest.mark.parametrize("variable", ["", "  "])
def test_a_blank_variable_is_refused_as_files_and_frames_refuse_it(variable: str) -> None:
    with pytest.raises(cr.InvalidClaimError, match="variable must be a non-empty string"):
        cr.Claim(variable=variable, quantity=cr.Quantity(value=1), source=cr.Source(id="x"))


def test_blank_texts_are_none_as_a_blank_cell_reads() -> None:
    c = cr.Claim(variable="v", quantity=cr.Quantity(value=1, unit=" "),
                 source=cr.Source(id="x", name="", kind=" "), document="", quote=" ",
                 phrase="\t")
    assert (c.document, c.quote, c.phrase) == (None, None, None)
    assert (c.source.name, c.source.kind, c.quantity.unit) == (None, None, None)
    kept = cr.Claim(variable="v", quantity=cr.Quantity(value=1, unit=" km"),
                    source=cr.Source(id="x"), document=" a.txt")
    assert (kept.document, kept.quantity.unit) == (" a.txt", " km")  # texts kept as given


def test_claim_keeps_the_type_of_its_variable() -> None:
    c = cr.Claim(variable=7, quantity=cr.Quantity(value=1), source=cr.Source(id="x"))
    assert c.variable == 7 and isinstance(c.variable, int)


def test_via_becomes_a_tuple() -> None:
    c = cr.Claim(variable="v", quantity=cr.Quantity(value=1), source=cr.Source(id="x"),
                 via=["Reuters", "BBC"])
    assert c.via == ("Reuters", "BBC")


def _estimate() -> cr.Estimate:
    ua = cr.Source(id="ua", name="Ukrainian officials", reliability=0.7)
    mod = cr.Source(id="mod", name="South Korea's Defense Ministry")
    claims = [
        cr.Claim(variable="troops", source=ua, phrase="around 14,000",
                 quantity=cr.Quantity(value=14_000, lower=12_600, upper=15_400),
                 as_of=datetime.date(2025, 4, 28), via=("Wyoming Star",), document="a.txt"),
        cr.Claim(variable="troops", source=ua, phrase="around 14,000",
                 quantity=cr.Quantity(value=14_000, lower=12_600, upper=15_400),
                 as_of=datetime.date(2025, 4, 28), document="b.txt"),
        cr.Claim(variable="troops", source=mod, quantity=cr.Quantity(value=12_000)),
    ]
    return cr.reconcile(claims, "weighted")


def test_estimate_explain_names_each_source_with_its_share_or_reason() -> None:
    text = _estimate().explain()
    assert "Ukrainian officials" in text and "South Korea's Defense Ministry" in text
    assert "41.2%" in text  # 0.7 / 1.7
    assert "58.8%" in text
    assert "repeats a.txt" in text
    assert "2 of 3 claims used, 1 excluded" in text


def test_estimate_to_dict_is_json_ready() -> None:
    d = _estimate().to_dict()
    back = json.loads(json.dumps(d))
    assert back["strategy"] == "weighted" and back["n_used"] == 2 and back["n_excluded"] == 1
    assert back["excluded"][0]["reason"] == "repeats a.txt"
    assert back["contributions"][0]["claim"]["as_of"] == "2025-04-28"


def test_diagnostics_in_to_dict_are_standard_json() -> None:
    # (standard JSON has no NaN nor Infinity, and numpy's bools are no JSON)
    e = attrs.evolve(_estimate(), diagnostics={
        "tau2": math.inf, "pi_lower": -math.inf, "Q": math.nan,
        "flags": np.array([True, False]), "n": np.int64(3)})
    d = json.loads(json.dumps(e.to_dict(), allow_nan=False))
    assert d["diagnostics"] == {"tau2": "inf", "pi_lower": "-inf", "Q": None,
                                "flags": [True, False], "n": 3}


def test_str_of_an_estimate_is_a_printable_phrase() -> None:
    e = _estimate()
    assert str(e).startswith("about 12,8")
    assert "(12,247 to 13,400)" in str(e)


def test_estimate_diagnostics_are_read_only() -> None:
    ua = cr.Source(id="ua")
    e = cr.reconcile([cr.Claim(variable="v", source=ua, quantity=cr.Quantity(value=1))],
                     "recency")
    with pytest.raises(TypeError):
        e.diagnostics["x"] = 1  # type: ignore[index]


def test_explain_shows_diagnostics_that_are_nan_or_infinite() -> None:
    # truthfinder states confidence NaN for a variable whose one claim has only a lower
    # bound (no figure to score).
    c = cr.Claim(variable="v", source=cr.Source(id="a"), quantity=cr.Quantity(lower=5.0))
    assert "confidence=NaN" in cr.reconcile([c], "truthfinder").explain()
    e = cr.Estimate(variable="v", strategy="s", value=1.0, lower=0.0, upper=2.0,
                    diagnostics={"q": float("nan"), "tau2": float("inf"), "x": -math.inf})
    assert e.explain().splitlines()[-1] == "Diagnostics: q=NaN, tau2=inf, x=-inf."


def _utc_offset(hours: int) -> datetime.timezone:
    return datetime.timezone(datetime.timedelta(hours=hours))


@pytest.mark.parametrize(("when", "message"), [
    (datetime.datetime(1, 1, 1, 1, tzinfo=_utc_offset(5)), "outside the years 1 to 9999 in UTC"),
    (datetime.datetime(9999, 12, 31, 23, tzinfo=_utc_offset(-5)), "outside the years 1 to 9999"),
    (None, "got NaT"),  # pandas.NaT, a datetime
])
@pytest.mark.parametrize("field", ["as_of", "published"])
def test_a_time_a_table_cannot_hold_is_refused_when_the_claim_is_made(
        when: datetime.datetime | None, message: str, field: str) -> None:
    if when is None:
        when = pytest.importorskip("pandas").NaT
    with pytest.raises(cr.InvalidClaimError, match=f"{field} .*{message}"):
        cr.Claim(variable="x", quantity=cr.Quantity(value=1), source=cr.Source(id="a"),
                 **{field: when})


def test_aware_times_at_the_ends_of_the_years_a_table_holds_are_kept() -> None:
    for when in (datetime.datetime(1, 1, 1, 5, tzinfo=_utc_offset(5)),
                 datetime.datetime(9999, 12, 31, 18, tzinfo=_utc_offset(-5))):
        c = cr.Claim(variable="x", quantity=cr.Quantity(value=1), source=cr.Source(id="a"),
                     as_of=when, published=when)
        assert cr.reconcile([c], "recency").value == 1.0


def test_an_estimate_is_a_quantity_unless_it_is_open_on_both_sides() -> None:
    a, b = cr.Source(id="a"), cr.Source(id="b")
    half_open = cr.reconcile([cr.Claim(variable="x", source=a, quantity=cr.Quantity(lower=5)),
                              cr.Claim(variable="x", source=b, quantity=cr.Quantity(value=7))],
                             "range")
    assert half_open.quantity == cr.Quantity(lower=5.0)
    # about 6, unbounded both ways: a Quantity of a value alone would be the point 6
    e = cr.reconcile([cr.Claim(variable="x", source=a, quantity=cr.Quantity(value=5, lower=0)),
                      cr.Claim(variable="x", source=b, quantity=cr.Quantity(value=7, upper=10))],
                     "weighted")
    assert (e.value, e.lower, e.upper) == (6.0, None, None)
    with pytest.raises(cr.InvalidQuantityError, match="unbounded on both sides"):
        _ = e.quantity


def test_numpy_integer_variables_are_ints_and_numpy_bools_are_refused() -> None:
    c = cr.Claim(variable=np.int64(5), quantity=cr.Quantity(value=1), source=cr.Source(id="x"))
    assert c.variable == 5 and type(c.variable) is int
    with pytest.raises(cr.InvalidClaimError, match="variable must be a str or an int"):
        cr.Claim(variable=np.bool_(True), quantity=cr.Quantity(value=1),  # type: ignore[arg-type]
                 source=cr.Source(id="x"))
