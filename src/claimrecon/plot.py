"""Charts of the disagreement: every claim's range next to each strategy's estimate.

:func:`forest` draws what meta-analysts call a forest plot: one row per claim, its
range as a horizontal line and its figure as a dot sized by its share of the weight,
then, below a rule, the reconciled estimate of each strategy. It needs matplotlib,
which the ``plot`` extra installs::

    pip install 'claimrecon[plot]'

The module imports without matplotlib; :func:`forest` raises :class:`ImportError`
with that advice when it is missing.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from ._errors import EmptyInputError, MixedVariablesError
from ._model import Claim, Contribution, Estimate, Exclusion, Variable
from ._quantity import _telling_apart, describe_range, format_number
from ._units import figures_in

if TYPE_CHECKING:
    import matplotlib.axes
    import matplotlib.figure
    from matplotlib.font_manager import FontProperties

__all__ = ["forest"]

# Above this ratio of the largest to the smallest positive figure the x axis is
# logarithmic.
_LOG_RATIO = 50.0
# ...if every figure lies within these: a log axis reaches past them with normal
# floats (a figure of 2.2e-311 fell below the axis, which started at 1e-307 at the
# lowest; one of 1.5e308 beyond its end at 1e308).
_LOG_MIN = 1e-300
_LOG_MAX = 1e300

_INSTALL = "pip install 'claimrecon[plot]'"

# Colours: claims in slate blue, estimates in rust, what was set aside in grey.
_CLAIM_COLOR = "#2f5d8a"
_ESTIMATE_COLOR = "#b4441c"
_EXCLUDED_COLOR = "#9aa3ad"
_TEXT_COLOR = "#1f2328"
_MUTED_COLOR = "#5f6b76"
_RULE_COLOR = "#c9d1d9"
_BAND_COLOR = "#f3f5f7"

# Sizes, in inches (figure) and points (type).
_ROW_H = 0.42
_CHART_W = 4.6
_TOP = 0.62
_TOP_CONFLICT = 0.84
_TOP_BARE = 0.3
_BOTTOM = 1.0
_GAP = 0.18
_LEFT_CAP = 4.3
_RIGHT_CAP = 2.4
_LABEL_PT = 9.5
_DETAIL_PT = 8.0
_TITLE_PT = 12.5


# -- the drawing plan (pure: no matplotlib) --------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Row:
    """One row of the chart: a claim, or the estimate of one strategy.

    ``lower``/``upper`` of ``None`` are open ends (``open_left``/``open_right``), drawn
    as arrows to the edge of the plot. ``excluded`` is set for a claim the first
    estimate set aside (drawn hollow and grey, ``reason`` says why, shortened);
    ``set_aside`` lists every estimate that set the claim aside, as
    ``(strategy, short reason)`` pairs. ``weight`` is the claim's share under the
    first estimate (``None`` if it was set aside, and for estimate rows).
    """

    kind: Literal["claim", "estimate"]
    label: str
    detail: str
    figure: str
    lower: float | None
    value: float | None
    upper: float | None
    open_left: bool
    open_right: bool
    excluded: bool = False
    reason: str | None = None
    weight: float | None = None
    set_aside: tuple[tuple[str, str], ...] = ()
    via: tuple[str, ...] = ()
    note: str = ""
    claim: Claim | None = dataclasses.field(default=None, compare=False, repr=False)

    def span(self, xlim: tuple[float, float]) -> tuple[float, float] | None:
        """Where the row's line runs: its bounds, an open end at the edge of ``xlim``.

        ``None`` for a row without a line (a single figure).
        """
        lo, up = self.lower, self.upper
        if lo is not None and lo == up:
            return None
        start = xlim[0] if self.open_left else lo
        end = xlim[1] if self.open_right else up
        if start is None:  # pragma: no cover - open_left is set exactly when lo is None
            start = xlim[0]
        if end is None:  # pragma: no cover
            end = xlim[1]
        return (start, end)


@dataclasses.dataclass(frozen=True)
class _Plan:
    """What :func:`forest` draws, computed without matplotlib."""

    variable: Variable
    unit: str | None
    strategies: tuple[str, ...]
    claims: tuple[_Row, ...]
    estimates: tuple[_Row, ...]
    log: bool
    xlim: tuple[float, float]
    conflict: bool

    @property
    def rows(self) -> tuple[_Row, ...]:
        """The claim rows, then the estimate rows."""
        return self.claims + self.estimates


def _as_estimates(estimates: object) -> tuple[Estimate, ...]:
    if isinstance(estimates, Estimate):
        return (estimates,)
    if isinstance(estimates, (str, bytes)) or not isinstance(estimates, Sequence):
        many = isinstance(estimates, Mapping)  # Estimates of many variables
        raise TypeError(
            "expected an Estimate or a sequence of Estimate objects "
            f"(got {type(estimates).__name__}"
            + ("; forest draws one variable: pass estimates[variable], and draw one "
               "chart per variable" if many else "") + ")"
        )
    items = tuple(estimates)
    if not items:
        raise EmptyInputError("forest needs at least one Estimate (got none)")
    for i, e in enumerate(items):
        if not isinstance(e, Estimate):
            raise TypeError(f"expected an Estimate at position {i} (got {type(e).__name__})")
    variables: list[Variable] = []
    for e in items:
        if e.variable not in variables:
            variables.append(e.variable)
    if len(variables) > 1:
        shown = ", ".join(repr(v) for v in variables[:5])
        raise MixedVariablesError(
            f"forest draws the estimates of one variable; got {len(variables)}: {shown}. "
            "Draw one chart per variable.",
            variables=variables,
        )
    return items


def _date_key(d: datetime.date | None) -> tuple[int, int, float]:
    if d is None:
        return (1, 0, 0.0)
    if isinstance(d, datetime.datetime):
        t = d.time()
        return (0, d.toordinal(), t.hour * 3600 + t.minute * 60 + t.second + t.microsecond / 1e6)
    return (0, d.toordinal(), 0.0)


def _claim_date(c: Claim) -> str:
    def show(d: datetime.date) -> str:
        if isinstance(d, datetime.datetime):
            return f"{d:%Y-%m-%d %H:%M}"
        return d.isoformat()

    if c.as_of is not None:
        return f"as of {show(c.as_of)}"
    if c.published is not None:
        return f"published {show(c.published)}"
    return "undated"


def _claim_order_key(c: Claim) -> tuple[Any, ...]:
    """The order of the rows: by date (``as_of``, else ``published``; undated last),
    then by source, document and phrase.

    :param c: a claim.
    :returns: a sort key.
    """
    d = c.as_of if c.as_of is not None else c.published
    return (_date_key(d), c.source.label.casefold(), c.source.id, c.document or "",
            c.phrase or "", c.quantity.lower is None, c.quantity.lower or 0.0)


def _short_reason(reason: str) -> str:
    """A short form of an exclusion reason, for a chart label.

    >>> _short_reason("repeats 001_034b9654dd130859.txt")
    'repeat of 001_034b9654dd130859.txt'
    >>> _short_reason("superseded: another claim holds as of a later date")
    'superseded'
    >>> _short_reason("weight 0 from plugin vandal-filter")
    'weight 0 (vandal-filter)'

    :param reason: the reason of an :class:`~claimrecon.Exclusion`.
    :returns: a phrase of a few words.
    """
    text = reason.strip()
    if text.startswith("repeats "):
        return "repeat of " + text.removeprefix("repeats ").strip()
    if text.startswith("outside the range where the largest agreeing group"):
        return "outside the agreeing group"
    for prefix in ("weight 0 from plugin ", "weight 0 from strategy "):
        if text.startswith(prefix):
            return f"weight 0 ({text.removeprefix(prefix).strip(chr(39))})"
    head = text.split(":", 1)[0].strip()
    if len(head) > 40:
        head = head[:39].rstrip() + "…"
    return head or "set aside"


def _range_text(lower: float | None, value: float | None, upper: float | None) -> str:
    """A compact range: ``12,600–15,400``, ``≥ 12,000``, ``≤ 15,000``, ``12,000``."""
    if lower is not None and lower == upper:
        return format_number(lower)
    if lower is None and upper is None:
        return "unbounded" if value is None else f"~{format_number(value)}, unbounded"
    if lower is None:
        assert upper is not None
        return f"≤ {format_number(upper)}"
    if upper is None:
        return f"≥ {format_number(lower)}"
    fmt = _telling_apart(lower, upper)  # "1,000.2–1,000.4", not "1,000–1,000"
    return f"{fmt(lower)}–{fmt(upper)}"


def _share_text(share: float) -> str:
    if share >= 0.995:
        return "100%"
    if share < 0.005:
        return "<1%"
    return f"{share:.0%}"


def _layout(estimates: Estimate | Sequence[Estimate]) -> _Plan:
    """The drawing plan of :func:`forest`: the rows, the scale and the x range.

    The claim rows are the union of the claims of every estimate (each estimate
    accounts for every claim it was given, used or excluded; equal claims keep their
    multiplicity), ordered by :func:`_claim_order_key`. The estimate rows follow, in the
    order given. The x axis is logarithmic when every finite figure lies within
    ``_LOG_MIN`` and ``_LOG_MAX`` (1e-300 to 1e300, where a log axis can reach past
    them) and the largest is more than ``_LOG_RATIO`` (50) times the smallest. ``xlim`` pads the
    figures and leaves room for the arrows of open ends.

    :raises MixedVariablesError: estimates of several variables.
    :raises EmptyInputError: an empty sequence.
    :raises TypeError: something that is not an Estimate.
    """
    ests = _as_estimates(estimates)
    first = ests[0]

    # The union of the claims, with each estimate's verdict on each of them.
    claims: list[Claim] = []
    verdicts: list[list[Contribution | Exclusion | None]] = []
    rows_of: dict[Claim, list[int]] = {}
    for k, e in enumerate(ests):
        seen: dict[Claim, int] = {}
        items: tuple[Contribution | Exclusion, ...] = (*e.contributions, *e.excluded)
        for item in items:
            c = item.claim
            j = seen.get(c, 0)
            seen[c] = j + 1
            idx = rows_of.setdefault(c, [])
            if j < len(idx):
                r = idx[j]
            else:
                r = len(claims)
                claims.append(c)
                verdicts.append([None] * len(ests))
                idx.append(r)
            verdicts[r][k] = item
    order = sorted(range(len(claims)), key=lambda r: (_claim_order_key(claims[r]), r))

    unit = next((e.unit for e in ests if e.unit), None)
    claim_rows: list[_Row] = []
    for r in order:
        c, verdict = claims[r], verdicts[r]
        q = c.quantity
        # every claim on the estimate's scale: one stated in another unit, converted as
        # the engine converted it (its phrase shows it as stated)
        lower, value, upper = q.lower, q.value, q.upper
        if unit is not None and q.unit is not None and q.unit != unit:
            lower, value, upper = figures_in(lower, value, upper, q.unit, unit)
        set_aside = tuple(
            (e.strategy, _short_reason(v.reason))
            for e, v in zip(ests, verdict, strict=True)
            if isinstance(v, Exclusion)
        )
        head = verdict[0]
        excluded = not isinstance(head, Contribution)
        reason: str | None = None
        if isinstance(head, Exclusion):
            reason = _short_reason(head.reason)
        elif head is None:
            reason = f"not given to {first.strategy}"
        weight = head.weight if isinstance(head, Contribution) else None
        figure = _range_text(lower, value, upper)
        if weight is not None:
            figure += f"  ·  {_share_text(weight)}"
        if excluded:
            note = reason or ""
        else:
            others = [s for s, why in set_aside]
            note = ("set aside by " + ", ".join(others)) if others else ""
        phrase = f"“{c.phrase}”" if c.phrase else describe_range(
            q.value, q.lower, q.upper, q.unit if q.unit != unit else None)
        claim_rows.append(_Row(
            kind="claim", label=c.source.label, detail=f"{phrase}  ·  {_claim_date(c)}",
            figure=figure, lower=lower, value=value, upper=upper,
            open_left=lower is None, open_right=upper is None, excluded=excluded,
            reason=reason, weight=weight, set_aside=set_aside, via=c.via, note=note,
            claim=c,
        ))

    estimate_rows = [
        _Row(
            kind="estimate", label=e.strategy, detail=str(e),
            figure=f"{e.n_used} used, {e.n_excluded} set aside",
            lower=e.lower, value=e.value, upper=e.upper,
            open_left=e.lower is None, open_right=e.upper is None,
            note="" if e.confidence is None else f"stated confidence {e.confidence:.0%}",
        )
        for e in ests
    ]

    rows = [*claim_rows, *estimate_rows]
    figures = [x for row in rows for x in (row.lower, row.value, row.upper) if x is not None]
    finite = [x for x in figures if math.isfinite(x)]
    positive = bool(finite) and all(x > 0 for x in finite)
    log = (positive and max(finite) / min(finite) > _LOG_RATIO
           and min(finite) >= _LOG_MIN and max(finite) <= _LOG_MAX)
    xlim = _xlim(finite, log=log,
                 open_left=any(r.open_left for r in rows),
                 open_right=any(r.open_right for r in rows))
    return _Plan(
        variable=first.variable, unit=unit, strategies=tuple(e.strategy for e in ests),
        claims=tuple(claim_rows), estimates=tuple(estimate_rows), log=log, xlim=xlim,
        conflict=any(e.conflict for e in ests),
    )


#: The largest limit of a linear axis: matplotlib's ticks take differences and sums
#: of the limits, which must stay floats. Figures beyond it run off the chart's edge.
_AXIS_MAX = 4e307


def _xlim(
    figures: Sequence[float], *, log: bool, open_left: bool, open_right: bool
) -> tuple[float, float]:
    """Padded limits around ``figures``; open ends get room for an arrow."""
    if not figures:
        return (0.0, 1.0)
    lo, hi = min(figures), max(figures)
    if log:
        a, b = math.log10(lo), math.log10(hi)
        span = b - a
        pad_l = span * (0.14 if open_left else 0.05)
        pad_r = span * (0.14 if open_right else 0.05)
        # keep the exponents inside the normal floats, with room for matplotlib's own
        # arithmetic on them (figures lie within 1e-300 to 1e300 here)
        return (10 ** max(a - pad_l, -305.0), 10 ** min(b + pad_r, 305.0))
    # Halves first: the span of figures near the largest float would overflow.
    span = 2 * (hi / 2 - lo / 2)
    if span == 0:
        span = abs(hi) * 0.5 if hi != 0 else 1.0
        lo, hi = lo - span / 2, hi + span / 2
    if not math.isfinite(span) or span < 1e-290:
        # Past what the axis can show in floats (a span past the largest float, or
        # figures so small that ticks underflow): centre on the figures, within bounds.
        mid = lo / 2 + hi / 2
        half = min(max(abs(hi / 2 - lo / 2) * 1.2, abs(mid) * 1e-3, 1e-300), _AXIS_MAX)
        return _within_axis(mid - half, mid + half)
    pad_l = span * (0.14 if open_left else 0.06)
    pad_r = span * (0.14 if open_right else 0.06)
    left = lo - pad_l
    if lo >= 0 and left < 0 and not open_left:
        left = 0.0 if lo > 0 else -pad_l  # counts start at zero, not below it
    return _within_axis(left, hi + pad_r)


def _within_axis(left: float, right: float) -> tuple[float, float]:
    """``(left, right)`` clipped to what a linear axis can draw (never reversed)."""
    left, right = max(left, -_AXIS_MAX), min(right, _AXIS_MAX)
    if left >= right:  # every figure beyond one end: the end of the axis there
        return (_AXIS_MAX / 2, _AXIS_MAX) if left > 0 else (-_AXIS_MAX, -_AXIS_MAX / 2)
    return (left, right)


# -- drawing ---------------------------------------------------------------------------------


def _import_matplotlib() -> Any:
    try:
        import matplotlib
        import matplotlib.figure
    except ImportError as exc:
        raise ImportError(
            f"claimrecon.plot needs matplotlib, which is not installed: {_INSTALL}"
        ) from exc
    return matplotlib


class _Measure:
    """Text widths in points, the same for every backend (with a safety margin)."""

    def __init__(self) -> None:
        from matplotlib.textpath import TextToPath

        self._ttp = TextToPath()

    def width(self, text: str, prop: FontProperties) -> float:
        if not text:
            return 0.0
        w, _, _ = self._ttp.get_text_width_height_descent(text, prop, ismath=False)
        return float(w) * 1.07 + 1.0

    def fit(self, variants: Sequence[str], prop: FontProperties, limit: float) -> str:
        """The first variant no wider than ``limit`` points, else the last one cut."""
        for text in variants:
            if self.width(text, prop) <= limit:
                return text
        text = variants[-1]
        # The longest prefix that fits with "…", by halving (a prefix is never wider
        # than a longer one): cutting a character at a time measured a long text
        # thousands of times.
        lo, hi = 1, len(text)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.width(text[:mid] + "…", prop) <= limit:
                lo = mid
            else:
                hi = mid - 1
        return text[:lo].rstrip() + "…"


def _via_variants(detail: str, via: Sequence[str]) -> list[str]:
    if not via:
        return [detail]
    out = [f"{detail}  ·  via {', '.join(via)}"]
    for keep in range(len(via) - 1, 0, -1):
        out.append(f"{detail}  ·  via {', '.join(via[:keep])} +{len(via) - keep}")
    out.append(detail)
    return out


def forest(
    estimates: Estimate | Sequence[Estimate],
    *,
    ax: matplotlib.axes.Axes | None = None,
    title: str | None = None,
    legend: bool = True,
) -> matplotlib.figure.Figure:
    """Draw the claims of one variable and the estimates reconciled from them.

    One row per claim (every claim of the estimates, used or set aside, ordered by
    date, then source): its range as a line, its figure as a dot whose area grows with
    the claim's share of the weight under the first estimate, and, in the text columns,
    the source, the hedged phrase, the date, the outlets that carried it, the range and
    the share. An open end ("over 12,000") is an arrow to the edge of the plot. A claim
    the first estimate set aside (a repeat, or by the strategy) is hollow and grey, with
    the reason; claims only other strategies set aside say which. Below the rule, each
    estimate as a bar with a diamond at its figure, labelled with ``str(estimate)`` and
    how many claims it used. The x axis is logarithmic when the figures are all
    positive, within 1e-300 to 1e300, and span more than a factor of 50. A linear axis
    cannot reach the end of the floats: figures past 4e307 fall beyond its edge.

    >>> import claimrecon as cr
    >>> from claimrecon.plot import forest
    >>> claims = [c for c in cr.load_seed_claims() if c.variable == "nk-troops-sent"]
    >>> fig = forest([cr.reconcile(claims, s) for s in ("range", "median")])
    >>> fig.savefig(tmp_path / "troops.svg")  # doctest: +SKIP

    :param estimates: an :class:`~claimrecon.Estimate`, or several estimates of one
        variable (one per strategy, from the same claims).
    :param ax: draw into these axes instead of a new figure. The text columns are
        drawn outside the axes, to their left and right: leave room for them (for
        instance with ``fig.subplots_adjust``). A new figure is sized to fit.
    :param title: the title; by default the variable, with a note when the claims
        conflict. An empty string leaves the title out (when the page around the chart
        has one).
    :param legend: add a one-line key to the marks under the axis.
    :returns: the figure (the one holding ``ax``, if given). Save it with
        :meth:`~matplotlib.figure.Figure.savefig` as PNG, SVG or PDF. It is not
        registered with pyplot: no need to close it.
    :raises ImportError: matplotlib is not installed (``pip install 'claimrecon[plot]'``).
    :raises MixedVariablesError: estimates of several variables.
    :raises EmptyInputError: an empty sequence.
    :raises TypeError: something that is not an Estimate.
    """
    plan = _layout(estimates)
    _import_matplotlib()
    return _draw(plan, ax=ax, title=title, legend=legend)


def _draw(
    plan: _Plan,
    *,
    ax: matplotlib.axes.Axes | None,
    title: str | None,
    legend: bool,
) -> matplotlib.figure.Figure:
    from matplotlib.figure import Figure, SubFigure
    from matplotlib.font_manager import FontProperties
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle
    from matplotlib.ticker import FuncFormatter, NullFormatter

    m = _Measure()
    label_font = FontProperties(size=_LABEL_PT, weight="bold")
    detail_font = FontProperties(size=_DETAIL_PT)
    figure_font = FontProperties(size=_DETAIL_PT + 0.5)
    est_detail_font = FontProperties(size=_DETAIL_PT + 0.5)

    # The text of the two columns, fitted to at most _LEFT_CAP / _RIGHT_CAP inches.
    left_cap, right_cap = _LEFT_CAP * 72, _RIGHT_CAP * 72
    left: list[tuple[str, str]] = []
    right: list[tuple[str, str]] = []
    for row in plan.rows:
        dfont = detail_font if row.kind == "claim" else est_detail_font
        label = m.fit([row.label], label_font, left_cap)
        detail = m.fit(_via_variants(row.detail, row.via), dfont, left_cap)
        left.append((label, detail))
        right.append((m.fit([row.figure], figure_font, right_cap),
                      m.fit([row.note], detail_font, right_cap) if row.note else ""))
    left_w = max(max(m.width(a, label_font), m.width(b, detail_font if r.kind == "claim"
                                                      else est_detail_font))
                 for (a, b), r in zip(left, plan.rows, strict=True))
    right_w = max(max(m.width(a, figure_font), m.width(b, detail_font))
                  for a, b in right)
    header_font = FontProperties(size=6.5, weight="bold")
    left_header = "CLAIMS  (source, phrase, date, outlets)"
    right_header = f"RANGE  ·  SHARE UNDER “{plan.strategies[0]}”"
    left_w = max(left_w, m.width(left_header, header_font), 110.0)
    right_w = max(right_w, m.width(right_header, header_font), 60.0)

    n_claims, n_est = len(plan.claims), len(plan.estimates)
    sep = n_claims - 0.5 + 0.45  # the rule between claims and estimates
    ys = [float(i) for i in range(n_claims)] + [n_claims + 0.9 + j for j in range(n_est)]
    y_top, y_bottom = -0.75, ys[-1] + 0.6

    conflict_line = plan.conflict and title is None
    top = _TOP_CONFLICT if conflict_line else _TOP if title != "" else _TOP_BARE
    if ax is None:
        pad = 0.25
        fig_w = pad + left_w / 72 + _GAP + _CHART_W + _GAP + right_w / 72 + pad
        ax_h = (y_bottom - y_top) * _ROW_H
        fig_h = top + ax_h + (_BOTTOM if legend else _BOTTOM - 0.35)
        fig = Figure(figsize=(fig_w, fig_h), dpi=100, facecolor="white")
        x0 = pad + left_w / 72 + _GAP
        ax = fig.add_axes((x0 / fig_w, (fig_h - top - ax_h) / fig_h, _CHART_W / fig_w,
                           ax_h / fig_h))
    owner = ax.figure
    root: matplotlib.figure.Figure = owner.figure if isinstance(owner, SubFigure) else owner

    ax.set_ylim(y_bottom, y_top)
    if plan.log:
        ax.set_xscale("log")
    ax.set_xlim(*plan.xlim)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color(_RULE_COLOR)
    ax.tick_params(axis="x", colors=_MUTED_COLOR, labelsize=8, length=3)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: format_number(float(x))))
    if plan.log:
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.grid(axis="x", color=_RULE_COLOR, linewidth=0.6, alpha=0.8)
    ax.set_axisbelow(True)
    if plan.unit:
        ax.set_xlabel(plan.unit, color=_MUTED_COLOR, fontsize=9, parse_math=False)

    ytrans = ax.get_yaxis_transform()  # x: axes fraction, y: data
    ax_w = ax.bbox.width * 72 / root.dpi  # the axes' width in points
    lx = -(left_w + _GAP * 72) / ax_w  # the label column's left edge, in axes fraction
    rx = 1 + (right_w + _GAP * 72) / ax_w  # the right column's right edge

    def text(x_pts: float, y: float, dy: float, s: str, *, anchor: str = "left",
             va: str = "center", color: str = _TEXT_COLOR, font: FontProperties,
             x_frac: float = 0.0) -> None:
        ax.annotate(s, xy=(x_frac, y), xycoords=ytrans, xytext=(x_pts, dy),
                    textcoords="offset points", ha=anchor, va=va, color=color,
                    fontproperties=font, annotation_clip=False, parse_math=False)

    # Zebra bands across the three columns, and the rule above the estimates. Artists,
    # not patches: a patch's extent is mapped into data units for autoscaling, which
    # overflows on a log axis that reaches 1e300 (the limits are set, not autoscaled).
    for i, y in enumerate(ys):
        if i % 2 == 0 and i < n_claims:
            ax.add_artist(Rectangle((lx, y - 0.5), rx - lx, 1.0, transform=ytrans,
                                   facecolor=_BAND_COLOR, edgecolor="none", zorder=0,
                                   clip_on=False))
    ax.add_artist(Line2D([lx, rx], [sep, sep], transform=ytrans, color=_MUTED_COLOR,
                       linewidth=0.8, clip_on=False))
    text(-(left_w + _GAP * 72), sep, -4, "RECONCILED ESTIMATES  (one per strategy)",
         va="top", color=_MUTED_COLOR, font=header_font)
    text(-(left_w + _GAP * 72), y_top, 0, left_header, va="center", color=_MUTED_COLOR,
         font=header_font)
    text(_GAP * 72, y_top, 0, right_header, va="center", color=_MUTED_COLOR,
         font=header_font, x_frac=1.0)

    xlim = plan.xlim
    for row, y, (label, detail), (fig_text, note) in zip(plan.rows, ys, left, right,
                                                         strict=True):
        is_claim = row.kind == "claim"
        grey = is_claim and row.excluded
        color = _EXCLUDED_COLOR if grey else (_CLAIM_COLOR if is_claim else _ESTIMATE_COLOR)
        tcolor = _MUTED_COLOR if grey else _TEXT_COLOR
        # The text columns.
        lx_pts = -(left_w + _GAP * 72)
        text(lx_pts, y, 1.5, label, va="bottom", color=tcolor, font=label_font)
        text(lx_pts, y, -1.5, detail, va="top",
             color=_MUTED_COLOR if is_claim else tcolor,
             font=detail_font if is_claim else est_detail_font)
        rfont = FontProperties(size=_DETAIL_PT + 0.5, weight="normal" if is_claim else "bold")
        if note:
            text(_GAP * 72, y, 1.5, fig_text, va="bottom", color=tcolor, font=rfont,
                 x_frac=1.0)
            text(_GAP * 72, y, -1.5, note, va="top", color=_MUTED_COLOR, font=detail_font,
                 x_frac=1.0)
        else:
            text(_GAP * 72, y, 0, fig_text, va="center", color=tcolor, font=rfont,
                 x_frac=1.0)

        # The marks.
        lw = 1.8 if is_claim else 4.5
        style = (0, (2.0, 1.6)) if grey else "solid"
        span = row.span(xlim)
        if span is not None:
            a, b = span
            if row.open_left and row.open_right:
                mid = row.value
                if mid is None:
                    _arrow(ax, y, a, b, color, lw, both=True, gid="open-both")
                else:
                    _arrow(ax, y, mid, a, color, lw, gid="open-left")
                    _arrow(ax, y, mid, b, color, lw, gid="open-right")
            elif row.open_left:
                _arrow(ax, y, b, a, color, lw, gid="open-left")
            elif row.open_right:
                _arrow(ax, y, a, b, color, lw, gid="open-right")
            else:
                ax.plot([a, b], [y, y], color=color, linewidth=lw, linestyle=style,
                        solid_capstyle="butt", zorder=2)
                if is_claim:
                    ax.plot([a, b], [y, y], linestyle="none", marker="|", markersize=7,
                            markeredgewidth=1.4, color=color, zorder=2)
        point = row.value if row.value is not None else (
            row.lower if row.lower is not None and row.lower == row.upper else None)
        if point is None:
            continue
        if is_claim:
            share = row.weight if row.weight is not None else 0.0
            size = 22.0 + 230.0 * share
            ax.scatter([point], [y], s=size, marker="o", zorder=4, linewidths=1.3,
                       facecolors="white" if grey else _CLAIM_COLOR,
                       edgecolors=_EXCLUDED_COLOR if grey else "white")
        else:
            ax.scatter([point], [y], s=110, marker="D", zorder=4, linewidths=1.2,
                       facecolors=_ESTIMATE_COLOR, edgecolors="white")

    # The title, flush with the label column.
    heading = title if title is not None else str(plan.variable)
    tx = -(left_w + _GAP * 72)
    if heading:
        ax.annotate(heading, xy=(0, 1), xycoords="axes fraction",
                    xytext=(tx, 30 if conflict_line else 14), textcoords="offset points",
                    ha="left", va="bottom", fontsize=_TITLE_PT, fontweight="bold",
                    color=_TEXT_COLOR, annotation_clip=False, parse_math=False)
    if conflict_line:
        ax.annotate("The claims conflict: no single figure lies within every claim's range.",
                    xy=(0, 1), xycoords="axes fraction", xytext=(tx, 14),
                    textcoords="offset points", ha="left", va="bottom", fontsize=8.5,
                    color=_ESTIMATE_COLOR, annotation_clip=False, parse_math=False)

    if legend:
        _legend(ax, root, tx)
    return root


def _arrow(
    ax: matplotlib.axes.Axes, y: float, start: float, end: float, color: str, lw: float,
    *, both: bool = False, gid: str,
) -> None:
    """A line from ``start`` to ``end`` with a head at ``end`` (both ends if ``both``)."""
    ann = ax.annotate(
        "", xy=(end, y), xytext=(start, y), xycoords="data", textcoords="data",
        arrowprops={
            "arrowstyle": "<|-|>" if both else "-|>", "color": color, "linewidth": lw,
            "shrinkA": 0, "shrinkB": 0, "mutation_scale": 9 + 1.6 * lw,
        },
        annotation_clip=False, zorder=2,
    )
    ann.set_gid(gid)


def _legend(ax: matplotlib.axes.Axes, root: matplotlib.figure.Figure, x_pts: float) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.transforms import offset_copy

    handles = [
        Line2D([], [], color=_CLAIM_COLOR, linewidth=1.8, marker="o", markersize=6,
               markerfacecolor=_CLAIM_COLOR, markeredgecolor="white"),
        Line2D([], [], color=_EXCLUDED_COLOR, linewidth=1.8, linestyle=(0, (2.0, 1.6)),
               marker="o", markersize=6, markerfacecolor="white",
               markeredgecolor=_EXCLUDED_COLOR),
        Line2D([], [], color=_CLAIM_COLOR, linewidth=1.8, marker=">", markersize=5,
               markevery=[1]),
        Line2D([], [], color=_ESTIMATE_COLOR, linewidth=4.5, marker="D", markersize=7,
               markerfacecolor=_ESTIMATE_COLOR, markeredgecolor="white"),
    ]
    labels = [
        "claim: range, figure (area = weight share)",
        "set aside (repeat or by the strategy)",
        "open-ended range",
        "reconciled estimate",
    ]
    anchor = offset_copy(ax.transAxes, fig=root, x=x_pts, y=-36, units="points")
    leg = ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(0, 0),
                    bbox_transform=anchor, ncols=2, frameon=False, fontsize=7.5,
                    handlelength=2.6, columnspacing=1.6, borderaxespad=0.0,
                    labelcolor=_MUTED_COLOR)
    leg.set_in_layout(False)
