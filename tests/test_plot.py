"""claimrecon.plot: the drawing plan of a forest plot (pure, tested exhaustively) and the
charts drawn from it (PNG and SVG, arrows, log scale, labels that do not collide)."""

from __future__ import annotations

import datetime
import io
import itertools
import math
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import given

import claimrecon as cr
from claimrecon import plot
from claimrecon.plot import _layout, _Plan, _short_reason, forest
from claimrecon.testing import claim_lists

if TYPE_CHECKING:
    from matplotlib.figure import Figure

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")  # no display; must precede any pyplot import (none here)

BUILTINS = ("range", "intersection", "weighted", "median", "recency")
D1, D2, D3 = datetime.date(2024, 10, 25), datetime.date(2024, 11, 1), datetime.date(2025, 4, 28)


def src(sid: str, name: str | None = None) -> cr.Source:
    return cr.Source(id=sid, name=name)


def claim(
    source: str, *, value: float | None = None, lower: float | None = None,
    upper: float | None = None, as_of: datetime.date | None = None, variable: str = "v",
    document: str | None = None, phrase: str | None = None, unit: str | None = "troops",
    via: Sequence[str] = (), published: datetime.date | None = None,
) -> cr.Claim:
    return cr.Claim(
        variable=variable, source=src(source),
        quantity=cr.Quantity(value=value, lower=lower, upper=upper, unit=unit),
        as_of=as_of, published=published, document=document, phrase=phrase, via=tuple(via),
    )


def estimates(claims: Sequence[cr.Claim], names: Sequence[str] = BUILTINS) -> list[cr.Estimate]:
    return [cr.reconcile(claims, s) for s in names]


@pytest.fixture(scope="module")
def seed_estimates() -> dict[cr.Variable, list[cr.Estimate]]:
    claims = cr.load_seed_claims()
    results = {s: cr.reconcile_all(claims, s) for s in BUILTINS}
    return {v: [results[s][v] for s in BUILTINS] for v in results["range"]}


# -- the plan -------------------------------------------------------------------------------

#: Every shape a claim's quantity can take: (value, lower, upper, open_left, open_right).
SHAPES = [
    pytest.param(10.0, None, None, False, False, id="point"),
    pytest.param(10.0, 8.0, 12.0, False, False, id="bounded-with-value"),
    pytest.param(None, 8.0, 12.0, False, False, id="bounded-without-value"),
    pytest.param(None, 8.0, None, False, True, id="lower-bound-only"),
    pytest.param(10.0, 8.0, None, False, True, id="open-right-with-value"),
    pytest.param(None, None, 12.0, True, False, id="upper-bound-only"),
    pytest.param(10.0, None, 12.0, True, False, id="open-left-with-value"),
    pytest.param(None, 9.0, 9.0, False, False, id="degenerate-range"),
]


@pytest.mark.parametrize(("value", "lower", "upper", "open_left", "open_right"), SHAPES)
def test_each_shape_of_claim_becomes_a_row_with_its_open_ends(
    value: float | None, lower: float | None, upper: float | None,
    open_left: bool, open_right: bool,
) -> None:
    c = claim("a", value=value, lower=lower, upper=upper, phrase="some figure")
    plan = _layout(cr.reconcile([c], "weighted"))
    (row,) = plan.claims
    q = c.quantity
    assert (row.lower, row.value, row.upper) == (q.lower, q.value, q.upper)
    assert (row.open_left, row.open_right) == (open_left, open_right)
    assert not row.excluded and row.weight == pytest.approx(1.0)
    lo, hi = plan.xlim
    assert lo < hi
    for x in (q.lower, q.value, q.upper):
        if x is not None:
            assert lo <= x <= hi
    span = row.span(plan.xlim)
    if q.lower is not None and q.lower == q.upper:
        assert span is None  # a single figure: a dot, no line
    else:
        assert span is not None
        assert span[0] == (lo if open_left else q.lower)  # open ends run to the edge
        assert span[1] == (hi if open_right else q.upper)
    (est,) = plan.estimates
    assert est.kind == "estimate" and est.label == "weighted"
    assert (est.open_left, est.open_right) == (open_left, open_right)


def test_open_ends_leave_room_for_the_arrow() -> None:
    closed = _layout(cr.reconcile([claim("a", lower=10, upper=20)], "range"))
    right = _layout(cr.reconcile([claim("a", lower=10, upper=20), claim("b", lower=15)],
                                 "weighted"))
    assert right.xlim[1] - 20 > closed.xlim[1] - 20
    assert right.xlim[0] == closed.xlim[0]


def test_an_unbounded_estimate_spans_the_whole_axis() -> None:
    cs = [claim("a", lower=10), claim("b", upper=5)]
    plan = _layout(cr.reconcile(cs, "range"))
    (est,) = plan.estimates
    assert est.lower is None and est.upper is None and est.value is None
    assert est.open_left and est.open_right
    assert est.span(plan.xlim) == plan.xlim


def test_rows_are_every_claim_by_date_then_source_with_repeats_kept() -> None:
    cs = [
        claim("zeta", value=14_000, as_of=D3, document="b.txt", published=D2),
        claim("zeta", value=14_000, as_of=D3, document="c.txt", published=D3),  # a repeat
        claim("alpha", value=12_000, as_of=D3, document="a.txt"),
        claim("mid", lower=2_000, upper=20_000, as_of=D1, document="a.txt"),
        claim("undated", value=13_000, document="d.txt"),
        claim("beta", lower=12_000, as_of=D2, document="a.txt"),
    ]
    plan = _layout(estimates(cs))
    assert [r.label for r in plan.claims] == ["mid", "beta", "alpha", "zeta", "zeta", "undated"]
    assert len(plan.claims) == len(cs)
    assert [r.label for r in plan.estimates] == list(BUILTINS)
    repeat = [r for r in plan.claims if r.excluded]
    assert len(repeat) == 1
    assert repeat[0].reason == "repeat of b.txt"
    assert repeat[0].weight is None
    # A repeat is set aside by every strategy, before the strategy runs.
    assert [s for s, _ in repeat[0].set_aside] == list(BUILTINS)
    assert math.fsum(r.weight or 0.0 for r in plan.claims) == pytest.approx(1.0)


def test_the_order_does_not_depend_on_the_input_order() -> None:
    cs = [claim("a", value=1, as_of=D1), claim("b", value=2, as_of=D1),
          claim("c", value=3, as_of=D2), claim("d", value=4)]
    first = _layout(cr.reconcile(cs, "median"))
    for perm in itertools.permutations(cs):
        again = _layout(cr.reconcile(list(perm), "median"))
        assert [r.label for r in again.claims] == [r.label for r in first.claims]


def test_dates_and_datetimes_order_together() -> None:
    cs = [claim("late", value=1, as_of=datetime.datetime(2024, 11, 1, 9, 30)),
          claim("early", value=2, as_of=datetime.date(2024, 11, 1)),
          claim("published", value=3, published=datetime.date(2024, 10, 1))]
    plan = _layout(cr.reconcile(cs, "range"))
    assert [r.label for r in plan.claims] == ["published", "early", "late"]
    assert "as of 2024-11-01 09:30" in plan.claims[2].detail
    assert "published 2024-10-01" in plan.claims[0].detail


def test_claims_set_aside_by_a_strategy_are_marked_under_that_strategy() -> None:
    cs = [claim("a", lower=10, upper=20), claim("b", lower=12, upper=18),
          claim("c", lower=40, upper=50)]
    inter = cr.reconcile(cs, "intersection")
    assert inter.n_excluded == 1
    plan = _layout([cr.reconcile(cs, "range"), inter])
    by = {r.label: r for r in plan.claims}
    assert not by["c"].excluded  # the first estimate (range) used it
    assert by["c"].set_aside == (("intersection", "outside the agreeing group"),)
    assert by["c"].note == "set aside by intersection"
    plan = _layout([inter, cr.reconcile(cs, "range")])
    by = {r.label: r for r in plan.claims}
    assert by["c"].excluded and by["c"].reason == "outside the agreeing group"
    assert by["c"].weight is None and by["c"].note == "outside the agreeing group"
    assert plan.conflict


def test_the_same_claim_object_twice_is_two_rows() -> None:
    c = claim("a", value=5, document="x.txt")
    plan = _layout(cr.reconcile([c, c, c], "weighted"))
    assert len(plan.claims) == 3
    assert sum(not r.excluded for r in plan.claims) == 1


def test_marker_weights_are_the_first_estimates_shares() -> None:
    cs = [cr.Claim(variable="v", source=cr.Source(id="a", reliability=0.25),
                   quantity=cr.Quantity(value=10)),
          cr.Claim(variable="v", source=cr.Source(id="b", reliability=0.75),
                   quantity=cr.Quantity(value=20))]
    plan = _layout([cr.reconcile(cs, "weighted"), cr.reconcile(cs, "range")])
    assert {r.label: r.weight for r in plan.claims} == {
        "a": pytest.approx(0.25), "b": pytest.approx(0.75)}
    assert "25%" in plan.claims[0].figure


@pytest.mark.parametrize(("figures", "log"), [
    ([10, 10_000], True),
    ([100, 4_000], False),  # a factor of 40
    ([100, 5_000], False),  # exactly 50 is not "more than 50"
    ([100, 5_001], True),
    ([-5, 10_000], False),  # a figure at or below zero rules out a log scale
    ([0, 10_000], False),
    ([3, 3], False),
])
def test_a_log_scale_when_the_figures_span_orders_of_magnitude(
    figures: list[float], log: bool
) -> None:
    cs = [claim(str(i), value=x) for i, x in enumerate(figures)]
    plan = _layout(cr.reconcile(cs, "range"))
    assert plan.log is log
    if log:
        assert plan.xlim[0] > 0


def test_a_log_scale_counts_bounds_too() -> None:
    cs = [claim("a", lower=10, upper=20), claim("b", value=15), claim("c", lower=1_000)]
    assert _layout(cr.reconcile(cs, "median")).log


def test_counts_start_at_zero_not_below() -> None:
    plan = _layout(cr.reconcile([claim("a", value=1), claim("b", value=40)], "range"))
    assert plan.xlim[0] == 0.0 and not plan.log


def test_mixed_variables_are_refused() -> None:
    a = cr.reconcile([claim("a", value=1, variable="x")], "range")
    b = cr.reconcile([claim("a", value=1, variable="y")], "range")
    with pytest.raises(cr.MixedVariablesError, match="one variable") as info:
        _layout([a, b])
    assert info.value.variables == ("x", "y")
    with pytest.raises(cr.MixedVariablesError):
        forest([a, b])


def test_nothing_or_not_an_estimate_is_refused() -> None:
    with pytest.raises(cr.EmptyInputError):
        forest([])
    with pytest.raises(TypeError, match="position 1"):
        forest([cr.reconcile([claim("a", value=1)], "range"), "median"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="an Estimate"):
        forest("weighted")  # type: ignore[arg-type]


@pytest.mark.parametrize(("reason", "short"), [
    ("repeats 001_034b9654dd130859.txt", "repeat of 001_034b9654dd130859.txt"),
    ("outside the range where the largest agreeing group of claims (by weight) meets",
     "outside the agreeing group"),
    ("superseded: another claim holds as of a later date", "superseded"),
    ("superseded: another claim was published later (no claim states an as-of date)",
     "superseded"),
    ("weight 0 from plugin vandal-filter", "weight 0 (vandal-filter)"),
    ("weight 0 from strategy 'crh'", "weight 0 (crh)"),
    ("x" * 80, "x" * 39 + "…"),
    ("", "set aside"),
])
def test_reasons_are_shortened_for_the_chart(reason: str, short: str) -> None:
    assert _short_reason(reason) == short


@pytest.mark.parametrize(("tiny", "big"), [(2.225073858507e-311, 1.0), (1e-305, 1e-290),
                                           (1e-300, 1e300), (1.0, 3e307), (1.0, 1.5e308)])
def test_figures_at_the_ends_of_the_floats_lie_within_the_axis(tiny: float, big: float) -> None:
    """A log axis reaches from 1e-305 to 1e305 at most: figures beyond 1e-300 or 1e300
    get a linear axis (a subnormal figure beside 1.0 fell below a log axis's start,
    1.5e308 beyond its end); a linear axis ends at 4e307."""
    claims = [cr.Claim(variable="v", quantity=cr.Quantity(value=x), source=cr.Source(id=s))
              for s, x in (("a", tiny), ("b", big))]
    plan = _layout([cr.reconcile(claims, s) for s in ("range", "median")])
    lo, hi = plan.xlim
    assert lo < hi and math.isfinite(lo) and math.isfinite(hi)
    for row in plan.rows:
        for x in (row.lower, row.value, row.upper):
            if x is not None:
                assert lo <= min(x, 4e307) <= hi, (x, plan.xlim)
    assert plan.log is (tiny >= 1e-300 and big <= 1e300)


@given(claim_lists(min_size=1, max_size=8))
def test_the_plan_accounts_for_every_claim_and_fits_every_figure(
    claims: list[cr.Claim],
) -> None:
    try:
        ests = [cr.reconcile(claims, s) for s in ("range", "intersection", "median")]
    except cr.NoUsableClaimsError:
        return
    plan = _layout(ests)
    assert len(plan.claims) == len(claims)
    assert sorted(map(repr, (r.claim for r in plan.claims))) == sorted(map(repr, claims))
    lo, hi = plan.xlim
    assert lo < hi and math.isfinite(lo) and math.isfinite(hi)
    for row in plan.rows:
        assert row.open_left is (row.lower is None)
        assert row.open_right is (row.upper is None)
        for x in (row.lower, row.value, row.upper):
            if x is not None:
                assert lo <= x <= hi
    used = [r for r in plan.claims if not r.excluded]
    assert math.fsum(r.weight or 0.0 for r in used) == pytest.approx(1.0)
    assert len(used) == ests[0].n_used
    if plan.log:
        assert lo > 0


# -- the charts ------------------------------------------------------------------------------


def _save(fig: Figure, fmt: str) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt)
    return buf.getvalue()


def test_a_chart_for_every_seed_variable_in_png_and_svg(
    seed_estimates: dict[cr.Variable, list[cr.Estimate]],
) -> None:
    from PIL import Image

    assert set(seed_estimates) == {c.variable for c in cr.load_seed_claims()}
    heights = {}
    for variable, ests in seed_estimates.items():
        fig = forest(ests)
        png = _save(fig, "png")
        assert png.startswith(b"\x89PNG") and 20_000 < len(png) < 3_000_000, variable
        with Image.open(io.BytesIO(png)) as im:
            w, h = im.size
        assert 700 <= w <= 1600 and 300 <= h <= 1600, (variable, w, h)
        svg = _save(fig, "svg").decode("utf-8")
        assert "<svg" in svg and svg.rstrip().endswith("</svg>")
        assert 10_000 < len(svg) < 3_000_000
        heights[variable] = fig.get_figheight()
    # The figure grows with its rows: 11 claims make a taller chart than 2.
    assert heights["nk-troops-sent"] > heights["nk-casualties"] > heights[
        "nk-killed-sof-action-2025-04-24"]


def _texts(fig: Figure) -> list[tuple[str, object]]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    out = []
    for t in fig.findobj(Text):
        if isinstance(t, Text) and t.get_visible() and t.get_text().strip():
            out.append((t.get_text(), t.get_window_extent(renderer)))
    return out


@pytest.mark.parametrize("variable", ["nk-troops-sent", "nk-casualties", "nk-pay-per-soldier"])
def test_labels_do_not_overlap_and_stay_inside_the_figure(
    seed_estimates: dict[cr.Variable, list[cr.Estimate]], variable: str,
) -> None:
    fig = forest(seed_estimates[variable])
    texts = _texts(fig)
    width, height = fig.bbox.width, fig.bbox.height
    for text, box in texts:
        assert box.x0 >= -0.5 and box.x1 <= width + 0.5, f"{text!r} leaves the figure"
        assert box.y0 >= -0.5 and box.y1 <= height + 0.5, f"{text!r} leaves the figure"
    for (a, ba), (b, bb) in itertools.combinations(texts, 2):
        overlap_w = min(ba.x1, bb.x1) - max(ba.x0, bb.x0)
        overlap_h = min(ba.y1, bb.y1) - max(ba.y0, bb.y0)
        assert overlap_w <= 0.5 or overlap_h <= 0.5, f"{a!r} overlaps {b!r}"


def test_the_chart_shows_sources_phrases_and_estimates(
    seed_estimates: dict[cr.Variable, list[cr.Estimate]],
) -> None:
    ests = seed_estimates["nk-troops-sent"]
    shown = " | ".join(t for t, _ in _texts(forest(ests)))
    for needle in ("nk-troops-sent", "Ukrainian officials", "“around 14,000”",
                   "“UP TO ABOUT 15,000”", "repeat of 001_034b9654dd130859.txt",
                   "The claims conflict", "troops", *(str(e) for e in ests),
                   "9 used, 2 set aside", "3 used, 8 set aside"):
        assert needle in shown, needle


def _arrows(fig: Figure) -> dict[str, int]:
    from matplotlib.text import Annotation

    counts: dict[str, int] = {}
    for ax in fig.axes:
        for child in ax.get_children():
            if isinstance(child, Annotation) and child.get_gid():
                counts[str(child.get_gid())] = counts.get(str(child.get_gid()), 0) + 1
    return counts


def test_open_ranges_are_drawn_as_arrows_to_the_edge(
    seed_estimates: dict[cr.Variable, list[cr.Estimate]],
) -> None:
    ests = seed_estimates["nk-troops-sent"]
    plan = _layout(ests)
    fig = forest(ests)
    counts = _arrows(fig)
    both_with_value = [r for r in plan.rows if r.open_left and r.open_right
                       and r.value is not None]
    both_bare = [r for r in plan.rows if r.open_left and r.open_right and r.value is None]
    assert counts.get("open-left", 0) == sum(r.open_left for r in plan.rows) - len(both_bare)
    assert counts.get("open-right", 0) == sum(r.open_right for r in plan.rows) - len(both_bare)
    assert counts.get("open-both", 0) == len(both_bare) == 1  # range: unbounded
    assert len(both_with_value) == 1  # weighted: about 12,143, unbounded
    from matplotlib.text import Annotation

    xlim = fig.axes[0].get_xlim()
    for child in fig.axes[0].get_children():
        if isinstance(child, Annotation) and child.get_gid() == "open-right":
            assert child.xy[0] == pytest.approx(xlim[1])  # the head is at the edge
        if isinstance(child, Annotation) and child.get_gid() == "open-left":
            assert child.xy[0] == pytest.approx(xlim[0])


def test_a_closed_chart_has_no_arrows() -> None:
    cs = [claim("a", value=10, lower=8, upper=12), claim("b", value=11)]
    assert _arrows(forest(estimates(cs))) == {}


def test_the_axis_is_logarithmic_when_figures_span_orders_of_magnitude() -> None:
    cs = [claim("a", value=25, unit="soldiers"),
          claim("b", lower=1_000, upper=4_000, unit="soldiers"),
          claim("c", value=120_000, unit="soldiers")]
    fig = forest(estimates(cs))
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    assert ax.get_xlabel() == "soldiers"
    lo, hi = ax.get_xlim()
    assert 0 < lo < 25 and hi > 120_000
    assert len(_save(fig, "png")) > 10_000
    linear = forest(estimates([claim("a", value=25), claim("b", value=100)]))
    assert linear.axes[0].get_xscale() == "linear"


def test_excluded_claims_are_hollow(
    seed_estimates: dict[cr.Variable, list[cr.Estimate]],
) -> None:
    from matplotlib.collections import PathCollection

    fig = forest(seed_estimates["nk-reinforcements"])
    dots = [c for c in fig.axes[0].collections if isinstance(c, PathCollection)]
    # Two claims (one a repeat, hollow) and five estimates (diamonds).
    faces = [tuple(round(x, 3) for x in c.get_facecolors()[0]) for c in dots]
    assert faces.count((1.0, 1.0, 1.0, 1.0)) == 1
    assert len(dots) == 7


def test_dollar_signs_are_text_not_mathematics() -> None:
    c = claim("a", value=2_000, phrase="$2,000 a month, $24,000 a year", unit="USD")
    fig = forest(cr.reconcile([c], "range"))
    shown = [t for t, _ in _texts(fig)]
    assert any("$2,000 a month, $24,000 a year" in t for t in shown)


def test_claims_in_another_unit_are_drawn_on_the_estimates_scale(tmp_path: Path) -> None:
    pytest.importorskip("pint")
    claims = [claim("a", value=1, lower=0.5, upper=2, unit="km"),
              claim("b", value=1500, unit="m"), claim("c", value=2000, unit="m")]
    plan = _layout(cr.reconcile(claims, "range"))
    assert plan.unit == "m"
    assert [(r.lower, r.value, r.upper) for r in plan.claims] == [
        (500.0, 1000.0, 2000.0), (1500.0, 1500.0, 1500.0), (2000.0, 2000.0, 2000.0)]
    assert plan.claims[0].detail.startswith("about 1 (0.5 to 2) km")  # as stated
    assert plan.claims[1].detail.startswith("1,500  ·")
    # the report's summary names the unit its figures are in
    from claimrecon._report import MARKDOWN_FILE, write_report

    write_report(claims, tmp_path, strategies=("range",))
    summary = (tmp_path / MARKDOWN_FILE).read_text(encoding="utf-8")
    assert "| m | 3 | 500 to 2,000 |" in summary


@pytest.mark.parametrize("unit", ["US$ (2020 US$)", "A$ # NZ$"])
def test_dollar_signs_in_the_unit_are_text_not_mathematics(unit: str) -> None:
    # (read as mathematics, the first loses its signs and the second cannot be drawn)
    fig = forest(cr.reconcile([claim("a", value=2_000, unit=unit)], "range"))
    (ax,) = fig.axes
    assert ax.xaxis.label.get_text() == unit and not ax.xaxis.label.get_parse_math()
    fig.savefig(io.BytesIO(), format="svg")


def test_drawing_into_given_axes() -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 6))
    fig.subplots_adjust(left=0.35, right=0.8)
    ax = fig.add_subplot()
    cs = [claim("a", value=10, lower=8, upper=12), claim("b", lower=9)]
    out = forest(estimates(cs, ("weighted", "median")), ax=ax, title="My title", legend=False)
    assert out is fig
    assert "My title" in [t for t, _ in _texts(fig)]
    sub = Figure().subfigures(1, 2)[0]
    assert forest(cr.reconcile(cs, "range"), ax=sub.add_subplot()) is sub.figure


def test_an_empty_title_leaves_the_title_out() -> None:
    cs = [claim("a", lower=1, upper=2), claim("b", lower=5, upper=6)]
    ests = estimates(cs, ("range", "intersection"))
    with_title = forest(ests)
    without = forest(ests, title="")
    assert "v" in [t for t, _ in _texts(with_title)]
    shown = [t for t, _ in _texts(without)]
    assert "v" not in shown and not any("conflict" in t for t in shown)
    assert without.get_figheight() < with_title.get_figheight()


def test_without_matplotlib_the_error_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in list(sys.modules):
        if name == "matplotlib" or name.startswith("matplotlib."):
            monkeypatch.setitem(sys.modules, name, None)
    est = cr.reconcile([claim("a", value=1)], "range")
    with pytest.raises(ImportError, match=r"pip install 'claimrecon\[plot\]'"):
        forest(est)
    assert isinstance(_layout(est), _Plan)  # the plan needs no matplotlib


def test_the_module_imports_without_matplotlib() -> None:
    code = (
        "import sys; sys.modules['matplotlib'] = None\n"
        "import claimrecon.plot, claimrecon._report\n"
        "assert claimrecon.plot.__all__ == ['forest']\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert plot.forest is forest


# -- the case study's charts -------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "docs" / "_scripts" / "case_study_charts.py"
PAGE = ROOT / "docs" / "explanation" / "case-study.rst"


def test_the_case_study_script_draws_every_chart_the_page_shows(tmp_path: Path) -> None:
    if not SCRIPT.exists() or not PAGE.exists():
        pytest.skip("the docs are not next to the tests (installed without the checkout)")
    done = subprocess.run([sys.executable, str(SCRIPT), "--out", str(tmp_path)],
                          capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0, done.stderr
    shown = re.findall(r"^\.\. (?:figure|image):: \.\./_static/case-study/(\S+)$",
                       PAGE.read_text(encoding="utf-8"), re.M)
    assert shown, "the case study shows no chart"
    drawn = {p.name for p in tmp_path.iterdir()}
    assert set(shown) == drawn
    for name in shown:
        svg = (tmp_path / name).read_text(encoding="utf-8")
        assert svg.lstrip().startswith("<?xml") and svg.rstrip().endswith("</svg>")
        assert "<dc:date>" not in svg  # reproducible: no time stamp
        committed = ROOT / "docs" / "_static" / "case-study" / name
        assert committed.is_file(), f"run {SCRIPT.relative_to(ROOT)} and commit {name}"
        assert committed.stat().st_size > 10_000


def test_log_limits_stay_positive_and_finite_for_figures_near_the_float_range() -> None:
    from claimrecon.plot import _layout

    claims = [
        cr.Claim(variable="v", quantity=cr.Quantity(value=v), source=cr.Source(id=f"s{i}"))
        for i, v in enumerate((1.0, 7.6e-299, 1e300))
    ]
    plan = _layout([cr.reconcile(claims, "range")])
    lo, hi = plan.xlim
    assert plan.log and 0 < lo < hi and math.isfinite(hi)


@pytest.mark.parametrize("figures", [(1.7e308, -1.7e308), (1e308, 1.5e308), (1e-300, 2e-300)])
def test_figures_at_the_ends_of_the_floats_still_draw(figures: tuple[float, float]) -> None:
    # The axis of figures near the largest float overflowed (matplotlib raised); it is
    # clipped to what matplotlib can draw, never reversed.
    e = cr.reconcile([claim("a", value=figures[0]), claim("b", value=figures[1])], "range")
    left, right = _layout(e).xlim
    assert math.isfinite(left) and math.isfinite(right) and left < right
    assert math.isfinite(right - left)
    fig = forest(e).figure
    fig.savefig(io.BytesIO(), format="png")


def test_a_long_label_is_cut_by_halving_not_letter_by_letter() -> None:
    # Cutting one character at a time measured a 4,000-character phrase thousands
    # of times (77 s a chart); halving measures it about a dozen times.
    from matplotlib.font_manager import FontProperties

    measure = plot._Measure()
    calls = 0
    width = measure.width

    def counted(text: str, prop: FontProperties) -> float:
        nonlocal calls
        calls += 1
        return width(text, prop)

    measure.width = counted  # type: ignore[method-assign]
    cut = measure.fit(["x" * 4000], FontProperties(size=8), 200.0)
    assert cut.endswith("…") and 1 < len(cut) < 4000
    assert width(cut, FontProperties(size=8)) <= 200.0
    assert width(cut[:-1] + "x…", FontProperties(size=8)) > 200.0  # the longest that fits
    assert calls <= 20


def test_the_estimates_of_many_variables_are_refused_with_the_way_to_draw_one() -> None:
    from claimrecon.plot import forest

    es = cr.reconcile_all(cr.load_seed_claims(), "median")
    with pytest.raises(TypeError, match=r"pass estimates\[variable\]"):
        forest(es)  # type: ignore[arg-type]
