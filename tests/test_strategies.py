"""The built-in strategies do exactly what DESIGN.md's table says."""

from __future__ import annotations

import datetime
import math

import attrs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import claimrecon as cr
from claimrecon.testing import claim_lists, quantities

D = datetime.date


def claim(src: str, *, rel: float = 1.0, as_of: D | None = None,
          published: D | None = None, doc: str | None = None, **q: float) -> cr.Claim:
    return cr.Claim(variable="v", source=cr.Source(id=src, reliability=rel),
                    quantity=cr.Quantity(**q), as_of=as_of, published=published, document=doc)


def test_range_is_the_envelope_with_no_value_when_values_differ() -> None:
    e = cr.reconcile([claim("a", value=12_000), claim("b", lower=12_000, upper=15_000),
                      claim("c", value=14_000)], "range")
    assert (e.lower, e.value, e.upper) == (12_000, None, 15_000)


def test_range_keeps_a_value_all_claims_share() -> None:
    e = cr.reconcile([claim("a", value=5, lower=1, upper=6), claim("b", value=5)], "range")
    assert (e.lower, e.value, e.upper) == (1, 5, 6)


_SMALL = st.sampled_from([1.0, 2.0, 3.0])


@given(st.lists(st.lists(st.tuples(_SMALL, _SMALL, _SMALL | st.none()), min_size=1,
                         max_size=4), min_size=2, max_size=8))
def test_range_keeps_a_shared_value_among_many_variables_some_in_conflict(
    groups: list[list[tuple[float, float, float | None]]],
) -> None:
    # Figures from a tiny set, so that values are often shared and ranges often
    # conflict; the value is kept exactly where every claim of a variable states it.
    claims = []
    for i, group in enumerate(groups):
        for j, (a, b, v) in enumerate(group):
            lo, up = min(a, b), max(a, b)
            q = cr.Quantity(lower=lo, upper=up, value=None if v is None else min(max(v, lo), up))
            claims.append(cr.Claim(variable=i, source=cr.Source(id=f"s{i}-{j}"), quantity=q))
    es = cr.reconcile_all(claims, "range")
    for i in range(len(groups)):
        mine = [c.quantity for c in claims if c.variable == i]
        values = {q.value for q in mine}
        expected = values.pop() if len(values) == 1 else None
        e = es[i]
        assert e.value == expected
        assert (e.lower, e.upper) == (min(q.lower for q in mine), max(q.upper for q in mine))
        assert e.conflict == (max(q.lower for q in mine) > min(q.upper for q in mine))


def test_range_with_an_open_side_stays_open() -> None:
    e = cr.reconcile([claim("a", value=12_000), claim("b", lower=12_000)], "range")
    assert (e.lower, e.upper) == (12_000, None)


def _marzullo_by_definition(
    ivs: list[tuple[float, float, int]],
) -> tuple[float, float, set[int]]:
    """Marzullo from DESIGN.md's words, by brute force over exact fractions: the lowest
    point of peak weighted coverage starts the result, the next interval end after it
    closes it; the claims holding it are members. No two agreeing: the envelope."""
    from fractions import Fraction

    total = sum(w for _, _, w in ivs)
    agree = any(a[0] <= b[1] and b[0] <= a[1]
                for i, a in enumerate(ivs) for b in ivs[i + 1:])
    if not agree:
        return min(lo for lo, _, _ in ivs), max(up for _, up, _ in ivs), set(range(len(ivs)))

    def cover(p: float) -> Fraction:
        return sum((Fraction(w, total) for lo, up, w in ivs if lo <= p <= up), Fraction(0))

    peak = max(cover(lo) for lo, _, _ in ivs)
    start = min(lo for lo, _, _ in ivs if cover(lo) == peak)
    end = min([up for _, up, _ in ivs if up >= start] + [lo for lo, _, _ in ivs if lo > start])
    return start, end, {i for i, (lo, up, _) in enumerate(ivs) if lo <= start and up >= end}


@given(st.lists(st.tuples(st.integers(-9, 9), st.integers(0, 4), st.integers(1, 4)),
                min_size=1, max_size=8),
       st.lists(st.integers(1, 3), min_size=1, max_size=4))
def test_intersection_matches_marzullo_by_definition(
    ivs: list[tuple[int, int, int]], others: list[int]
) -> None:
    # The same variable alone, among a few others (each variable a row of a padded
    # matrix) and among one wide and forty one-claim variables (all laid end to end)
    # gives the brute-force answer.
    ivs_f = [(float(lo), float(lo + span), w) for lo, span, w in ivs]
    expect_lo, expect_up, members = _marzullo_by_definition(ivs_f)
    claims = [cr.Claim(variable="v", source=cr.Source(id=f"s{i}", reliability=w / 4),
                       quantity=cr.Quantity(lower=lo, upper=up))
              for i, (lo, up, w) in enumerate(ivs_f)]

    def filler(sizes: list[int]) -> list[cr.Claim]:
        return [cr.Claim(variable=f"o{k}", source=cr.Source(id=f"t{j}"),
                         quantity=cr.Quantity(lower=j, upper=j + 1))
                for k, size in enumerate(sizes) for j in range(size)]

    for e in (cr.reconcile(claims, "intersection"),
              cr.reconcile_all(filler(others) + claims, "intersection")["v"],
              cr.reconcile_all(filler([20] + [1] * 40) + claims, "intersection")["v"]):
        assert (e.lower, e.upper) == (expect_lo, expect_up)
        used = {int(c.claim.source.id[1:]) for c in e.contributions}
        assert used == members


def test_intersection_of_agreeing_claims_is_their_common_range() -> None:
    e = cr.reconcile([claim("a", lower=10, upper=20), claim("b", lower=15, upper=30),
                      claim("c", lower=12)], "intersection")
    assert (e.lower, e.value, e.upper) == (15, 17.5, 20)
    assert not e.conflict and not e.excluded


def test_intersection_keeps_the_largest_agreeing_group_by_weight() -> None:
    e = cr.reconcile([
        claim("a", lower=10, upper=20), claim("b", lower=15, upper=25),
        claim("c", lower=100, upper=110, rel=0.9),
    ], "intersection")
    assert (e.lower, e.upper) == (15, 20) and e.conflict
    assert [x.claim.source.id for x in e.excluded] == ["c"]
    assert "largest agreeing group" in e.excluded[0].reason


def test_intersection_weight_beats_count() -> None:
    def run(rel_a: float) -> tuple[float | None, float | None]:
        e = cr.reconcile([
            claim("a", lower=0, upper=1, rel=rel_a), claim("b", lower=5, upper=6, rel=0.4),
            claim("c", lower=5.5, upper=7, rel=0.4),
        ], "intersection")
        return e.lower, e.upper

    assert run(0.9) == (0, 1)  # 0.9 alone outweighs 0.4 + 0.4
    assert run(0.5) == (5.5, 6)


def test_intersection_ties_go_to_the_lower_interval() -> None:
    e = cr.reconcile([claim("a", lower=1, upper=2), claim("b", lower=1.5, upper=3),
                      claim("c", lower=10, upper=12), claim("d", lower=11, upper=13)],
                     "intersection")
    assert (e.lower, e.upper) == (1.5, 2)


def test_intersection_without_two_agreeing_claims_is_the_envelope() -> None:
    e = cr.reconcile([claim("a", value=1), claim("b", value=5), claim("c", value=9)],
                     "intersection")
    assert (e.lower, e.value, e.upper) == (1, 5, 9) and e.conflict and not e.excluded


def test_intersection_counts_touching_ranges_as_agreeing() -> None:
    e = cr.reconcile([claim("a", lower=1, upper=2), claim("b", lower=2, upper=3)],
                     "intersection")
    assert (e.lower, e.upper) == (2, 2) and not e.conflict


def test_weighted_means_of_bounds_and_values() -> None:
    e = cr.reconcile([claim("a", value=10, lower=8, upper=12, rel=1.0),
                      claim("b", value=20, rel=0.5)], "weighted")
    assert e.lower == pytest.approx((8 + 0.5 * 20) / 1.5)
    assert e.upper == pytest.approx((12 + 0.5 * 20) / 1.5)
    assert e.value == pytest.approx((10 + 0.5 * 20) / 1.5)


def test_weighted_uses_the_midpoint_of_a_range_without_value() -> None:
    e = cr.reconcile([claim("a", lower=0, upper=10), claim("b", value=20)], "weighted")
    assert e.value == pytest.approx(12.5)


def test_weighted_with_an_unbounded_side_stays_unbounded_and_never_nan() -> None:
    e = cr.reconcile([claim("a", upper=15_000), claim("b", value=12_000),
                      claim("c", lower=11_000)], "weighted")
    assert e.lower is None and e.upper is None
    assert e.value == 12_000


def test_weighted_clamps_the_value_into_the_range() -> None:
    # values come only from the point; the bounds average below it
    e = cr.reconcile([claim("a", value=100), claim("b", upper=10)], "weighted")
    assert e.upper is not None and e.value == e.upper


def test_median_is_always_a_claimed_figure_and_ignores_a_vandal() -> None:
    e = cr.reconcile([claim("a", value=100), claim("b", value=101), claim("c", value=102),
                      claim("d", value=6.6e18)], "median")
    assert e.value == 101


def test_median_is_the_weighted_lower_median() -> None:
    e = cr.reconcile([claim("a", value=1, rel=0.2), claim("b", value=2, rel=0.2),
                      claim("c", value=3, rel=1.0)], "median")
    assert e.value == 3
    e = cr.reconcile([claim("a", value=1), claim("b", value=2)], "median")
    assert e.value == 1  # lower median on a tie


def _lower_median(figures: list[float]) -> float | None:
    """By definition, for claims of equal weight: the smallest figure whose running
    share reaches one half."""
    ordered = sorted(figures)
    for j, f in enumerate(ordered):
        if 2 * (j + 1) >= len(ordered):
            return f
    return None


@given(st.lists(st.lists(st.tuples(_SMALL | st.just(-math.inf), _SMALL | st.just(math.inf),
                                   _SMALL | st.none()), min_size=1, max_size=5),
                min_size=1, max_size=6),
       st.sampled_from([1.0, 0.5]), st.booleans())
def test_median_of_equal_weights_is_the_middle_figure(
    groups: list[list[tuple[float, float, float | None]]], reliability: float, full: bool,
) -> None:
    # Equal weights take a path of their own (no running shares); check it against the
    # definition, for variables of unequal sizes, with open sides and claims that state
    # no value, and ("full") of one size, every claim stating a value.
    if full:
        size = min(len(g) for g in groups)
        groups = [g[:size] for g in groups]
    claims = []
    for i, group in enumerate(groups):
        for j, (a, b, v) in enumerate(group):
            lo, up = min(a, b), max(a, b)
            if v is None and (full or (lo, up) == (-math.inf, math.inf)):
                v = 2.0  # a quantity states something
            q = cr.Quantity(lower=None if lo == -math.inf else lo,
                            upper=None if up == math.inf else up,
                            value=None if v is None else min(max(v, lo), up))
            claims.append(cr.Claim(variable=i, quantity=q,
                                   source=cr.Source(id=f"s{i}-{j}", reliability=reliability)))
    es = cr.reconcile_all(claims, "median", independent=False)
    for i in {c.variable for c in claims}:
        mine = [c.quantity for c in claims if c.variable == i]
        lo = _lower_median([-math.inf if q.lower is None else q.lower for q in mine])
        up = max(_lower_median([math.inf if q.upper is None else q.upper for q in mine]), lo)
        v = _lower_median([q.value for q in mine if q.value is not None])
        e = es[i]
        assert (e.lower, e.upper) == (None if lo == -math.inf else lo,
                                      None if up == math.inf else up)
        assert e.value == (None if v is None else min(max(v, lo), up))


def test_recency_keeps_the_latest_as_of() -> None:
    e = cr.reconcile([
        claim("mod", value=12_000, as_of=D(2024, 10, 18)),
        claim("nis", value=14_000, lower=13_000, upper=15_000, as_of=D(2025, 4, 28)),
        claim("kcna", lower=2_000, upper=10_000),
    ], "recency")
    assert (e.lower, e.value, e.upper) == (13_000, 14_000, 15_000)
    reasons = {x.claim.source.id: x.reason for x in e.excluded}
    assert set(reasons) == {"mod", "kcna"}
    assert e.diagnostics["recency_basis"] == "as_of"


def test_recency_falls_back_to_published_then_to_weighted() -> None:
    e = cr.reconcile([claim("a", value=1, published=D(2024, 1, 1)),
                      claim("b", value=2, published=D(2025, 1, 1))], "recency")
    assert e.value == 2 and e.diagnostics["recency_basis"] == "published"
    e = cr.reconcile([claim("a", value=1), claim("b", value=3)], "recency")
    assert e.value == 2 and e.diagnostics["recency_basis"] == "none (as weighted)"


def test_recency_decides_each_variable_on_its_own_basis() -> None:
    def on(v: str, c: cr.Claim) -> cr.Claim:
        return cr.Claim(variable=v, source=c.source, quantity=c.quantity, as_of=c.as_of,
                        published=c.published)

    es = cr.reconcile_all([
        on("dated", claim("a", value=1, as_of=D(2024, 1, 1), published=D(2025, 6, 1))),
        on("dated", claim("b", value=2, as_of=D(2024, 6, 1), published=D(2024, 7, 1))),
        on("dated", claim("c", value=3, published=D(2026, 1, 1))),
        on("published", claim("a", value=5, published=D(2025, 1, 1))),
        on("published", claim("b", value=6, published=D(2024, 1, 1))),
        on("neither", claim("a", value=7)),
        on("neither", claim("b", value=9)),
    ], "recency")
    got = {v: (e.value, e.diagnostics["recency_basis"]) for v, e in es.items()}
    assert got == {"dated": (2, "as_of"), "published": (5, "published"),
                   "neither": (8, "none (as weighted)")}
    reasons = {x.claim.source.id: x.reason for x in es["dated"].excluded}
    assert set(reasons) == {"a", "c"} and "as of" in reasons["c"]
    assert "published later" in es["published"].excluded[0].reason


def test_a_repeat_counts_once_and_names_the_claim_it_repeats() -> None:
    claims = [
        claim("ua", value=14_000, as_of=D(2025, 4, 28), published=D(2025, 4, 29), doc="b.txt"),
        claim("ua", value=14_000, as_of=D(2025, 4, 28), published=D(2025, 4, 28), doc="c.txt"),
        claim("ua", value=14_000, as_of=D(2025, 4, 28), published=D(2025, 4, 28), doc="a.txt"),
        claim("mod", value=12_000),
    ]
    e = cr.reconcile(claims, "weighted")
    assert e.value == 13_000
    assert [x.claim.document for x in e.contributions] == ["a.txt", None]
    assert sorted(x.reason for x in e.excluded) == ["repeats a.txt", "repeats a.txt"]
    e = cr.reconcile(claims, "weighted", independent=False)
    assert e.value == pytest.approx(13_500) and not e.excluded


def test_a_figure_one_document_states_twice_counts_once_and_says_so() -> None:
    claims = [claim("blog", value=2_000, doc="a.txt"), claim("blog", value=2_000, doc="a.txt"),
              claim("blog", value=2_000, doc="b.txt")]
    e = cr.reconcile(claims, "range")
    assert [x.claim.document for x in e.contributions] == ["a.txt"]
    assert sorted(x.reason for x in e.excluded) == ["repeats a.txt",
                                                    "repeats an earlier mention in a.txt"]


def test_different_as_of_dates_are_not_repeats() -> None:
    e = cr.reconcile([claim("ua", value=1, as_of=D(2025, 1, 1)),
                      claim("ua", value=1, as_of=D(2025, 2, 1))], "weighted")
    assert not e.excluded


def test_conflict_means_no_common_point_before_exclusion() -> None:
    e = cr.reconcile([claim("a", value=1), claim("b", lower=0, upper=2)], "median")
    assert not e.conflict
    e = cr.reconcile([claim("a", value=1), claim("b", lower=3)], "median")
    assert e.conflict


@pytest.mark.parametrize("name", ["range", "intersection", "weighted", "median", "recency"])
@given(data=st.data())
def test_many_variables_at_once_match_one_variable_at_a_time(
    name: str, data: st.DataObject
) -> None:
    groups = [data.draw(claim_lists(variable=f"x{i}")) for i in range(data.draw(st.integers(1, 4)))]
    # one source pool per call: rename sources per variable to keep ids consistent
    flat = []
    for i, cs in enumerate(groups):
        for c in cs:
            src = cr.Source(id=f"{c.source.id}-{i}", reliability=c.source.reliability)
            flat.append(cr.Claim(variable=c.variable, quantity=c.quantity, source=src,
                                 as_of=c.as_of, published=c.published, document=c.document))
    shuffled = data.draw(st.permutations(flat))
    many = cr.reconcile_all(shuffled, name)
    for v in {c.variable for c in flat}:
        one = cr.reconcile([c for c in shuffled if c.variable == v], name)
        got = many[v]
        # the same figures and shares, bit for bit (sums run in the same order)
        assert (one.lower, one.value, one.upper) == (got.lower, got.value, got.upper)
        assert one.conflict == got.conflict
        assert [c.claim for c in one.contributions] == [c.claim for c in got.contributions]
        assert [c.weight for c in got.contributions] == [c.weight for c in one.contributions]
        # positions differ between the two inputs; the reasons otherwise agree
        def strip(reason: str) -> str:
            return reason.split(" at input position")[0]

        assert [strip(x.reason) for x in one.excluded] == [strip(x.reason) for x in got.excluded]


_HUGE = st.floats(-1.7e308, 1.7e308, allow_nan=False, allow_infinity=False)


@st.composite
def huge_quantities(draw: st.DrawFn) -> cr.Quantity:
    a, b = sorted((draw(_HUGE), draw(_HUGE)))
    shape = draw(st.sampled_from(["point", "range", "range+value", "lower", "upper"]))
    if shape == "point":
        return cr.Quantity(value=a)
    if shape == "range":
        return cr.Quantity(lower=a, upper=b)
    if shape == "range+value":
        return cr.Quantity(value=draw(st.floats(a, b)), lower=a, upper=b)
    return cr.Quantity(lower=a) if shape == "lower" else cr.Quantity(upper=b)


@pytest.mark.parametrize("name", ["range", "intersection", "weighted", "median", "recency"])
@given(cs=claim_lists(quantity=huge_quantities()))
def test_figures_near_the_largest_float_never_overflow_to_inf_or_nan(
    name: str, cs: list[cr.Claim]
) -> None:
    e = cr.reconcile(cs, name)
    for x in (e.lower, e.value, e.upper):
        assert x is None or math.isfinite(x)
    assert str(e)


@settings(max_examples=150)
@given(base=st.floats(-1e300, 1e300, allow_nan=False) | st.sampled_from([0.1, 1e-300, 3.0]),
       steps=st.lists(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2)), min_size=6,
                               max_size=16), min_size=2, max_size=5),
       rel=st.sampled_from([None, 1.0, 0.3]) | st.floats(0.01, 1.0))
def test_weighted_bounds_of_figures_ulps_apart_stay_in_the_envelope(
    base: float, steps: list[list[tuple[int, int]]], rel: float | None,
) -> None:
    # Figures a few ulps apart: a mean can round past them, and the test that spares
    # most variables the clip must not let it (every claim counts, many variables).
    claims = []
    for v, group in enumerate(steps):
        for i, (a, b) in enumerate(group):
            lo = base
            for _ in range(a):
                lo = math.nextafter(lo, math.inf)
            up = lo
            for _ in range(b):
                up = math.nextafter(up, math.inf)
            r = (i % 3 + 1) / 3 if rel is None else rel
            claims.append(cr.Claim(variable=v, quantity=cr.Quantity(lower=lo, upper=up),
                                   source=cr.Source(id=f"s{v}-{i}", reliability=r)))
    es = cr.reconcile_all(claims, "weighted")
    for v in range(len(steps)):
        qs = [c.quantity for c in claims if c.variable == v]
        e = es[v]
        assert e.lower is not None and e.upper is not None
        assert min(q.lower for q in qs) <= e.lower <= e.upper <= max(q.upper for q in qs)


_BIG = 1.7e308


@pytest.mark.parametrize("reliability", [1.0, 0.5])
@pytest.mark.parametrize(("figures", "mean"), [
    ((_BIG, _BIG, -_BIG), _BIG / 3),
    ((-_BIG, -_BIG, 1.0), -_BIG / 1.5),  # the largest magnitude is the lowest figure
])
def test_equal_weights_near_the_largest_float_average_without_overflow(
    reliability: float, figures: tuple[float, float, float], mean: float,
) -> None:
    # Equal weights average as a sum over a count, unless a sum could overflow: these
    # figures sum to infinity on the way, yet their mean is a float.
    cs = [cr.Claim(variable=v, quantity=cr.Quantity(value=x),
                   source=cr.Source(id=f"s{i}", reliability=reliability))
          for v in ("x", "y") for i, x in enumerate(figures)]
    many = cr.reconcile_all(cs, "weighted")
    for e in (cr.reconcile(cs[:3], "weighted"), many["x"], many["y"]):
        assert e.value == pytest.approx(mean, rel=1e-12)
        assert (e.lower, e.upper) == pytest.approx((mean, mean), rel=1e-12)


@pytest.mark.parametrize("name", ["weighted", "recency"])
@given(q=quantities(), rel=st.lists(st.floats(0.01, 1.0), min_size=2, max_size=9))
def test_many_sources_stating_one_figure_never_round_out_of_it(
    name: str, q: cr.Quantity, rel: list[float]
) -> None:
    """Means of equal figures can round an ulp past them; the bounds are clipped into
    the claims' envelope, so they never leave it, one variable or many at once."""
    cs = [cr.Claim(variable="x", quantity=q, source=cr.Source(id=f"s{i}", reliability=r))
          for i, r in enumerate(rel)]
    many = cr.reconcile_all([*cs, *(attrs.evolve(c, variable="y") for c in cs)], name)
    for e in (cr.reconcile(cs, name), many["x"], many["y"]):
        lo = -math.inf if e.lower is None else e.lower
        up = math.inf if e.upper is None else e.upper
        assert (-math.inf if q.lower is None else q.lower) <= lo <= up
        assert up <= (math.inf if q.upper is None else q.upper)
        if e.value is not None:
            assert lo <= e.value <= up


@pytest.mark.parametrize("name", ["median", "intersection"])
@settings(max_examples=30, deadline=None)
@given(sizes=st.lists(st.integers(1, 40), min_size=2, max_size=30),
       wide=st.integers(100, 300), seed=st.integers(0, 2**32 - 1))
def test_a_huge_variable_among_small_ones_gets_what_it_gets_alone(
    name: str, sizes: list[int], wide: int, seed: int
) -> None:
    # One wide variable among small ones: no single padded matrix; each variable's
    # estimate is still the one it has alone, bit for bit.
    rng = np.random.default_rng(seed)
    sources = [cr.Source(id=f"s{i}", reliability=float(r))
               for i, r in enumerate(rng.choice([0.2, 0.5, 0.499999999, 0.500000001, 1.0], 60))]

    def quantity() -> cr.Quantity:
        a, b = sorted(float(x) for x in rng.integers(-5, 5, 2))
        return cr.Quantity(value=a) if rng.random() < 0.5 else cr.Quantity(lower=a, upper=b)

    claims = [cr.Claim(variable=f"x{j}", source=sources[int(rng.integers(60))],
                       quantity=quantity())
              for j, size in enumerate([wide, *sizes]) for _ in range(size)]
    many = cr.reconcile_all(claims, name)
    for v in many:
        one = cr.reconcile([c for c in claims if c.variable == v], name)
        assert (one.lower, one.value, one.upper) == (many[v].lower, many[v].value,
                                                     many[v].upper)
        assert [c.weight for c in one.contributions] == [c.weight for c in
                                                         many[v].contributions]


def test_the_agreeing_range_ends_at_an_end_when_a_light_claim_opens_within_the_tolerance(
) -> None:
    heavy = cr.Source(id="heavy")
    light = cr.Source(id="light", reliability=1e-12)  # a share below the tolerance

    def on(source: cr.Source, **q: float) -> cr.Claim:
        return cr.Claim(variable="v", source=source, quantity=cr.Quantity(**q))

    e = cr.reconcile([on(heavy, lower=0, upper=10), on(light, lower=5, upper=20)],
                     "intersection")
    assert (e.lower, e.upper) == (0, 10)  # the next end, not the light claim's start
    e = cr.reconcile([on(heavy, upper=1.0), on(light, upper=3.0)], "intersection")
    assert (e.lower, e.upper) == (None, 1.0)  # it was -inf to -inf: a malformed result


def test_a_near_tie_in_the_median_falls_the_same_among_many_variables() -> None:
    a = cr.Source(id="a", reliability=0.499999999)
    b = cr.Source(id="b", reliability=0.500000001)
    one = cr.Source(id="one")
    tie = [cr.Claim(variable="v", source=a, quantity=cr.Quantity(value=0.0)),
           cr.Claim(variable="v", source=b, quantity=cr.Quantity(value=7.0))]
    wide = [cr.Claim(variable="w", source=one, quantity=cr.Quantity(value=float(k)))
            for k in range(10)]
    singles = [cr.Claim(variable=f"s{k}", source=one, quantity=cr.Quantity(value=1.0))
               for k in range(8)]
    alone = cr.reconcile(tie, "median").value
    assert cr.reconcile_all(tie + wide + singles, "median")["v"].value == alone == 0.0
