"""Shared machinery of the truth-discovery strategies (``crh``, ``catd``, ``truthfinder``).

Truth discovery learns how reliable each source is from how far its claims fall from
the current estimates, across every variable of a batch, and re-estimates with those
reliabilities until nothing changes. Everything here works on the columns of a
:class:`~claimrecon.Segments` at once: one sort per call, then each iteration is a
few cumulative sums, segment reductions (:func:`numpy.add.reduceat`) and sums over
source codes (:func:`numpy.bincount`). No Python loop runs per variable or per source.

The rules the three strategies share (the explanation page
``docs/explanation/truth-discovery.rst`` gives the reasoning):

- A claim's *figure* is its value, else the midpoint of its range if both bounds are
  given, else none. A claim without a figure (open on one side, no value) still
  counts towards the estimate's range, with its weight, but neither votes for the
  value nor tells anything about its source.
- A variable is *contested* when at least two of its claims state a figure. Only
  claims of contested variables teach the strategies anything about sources: a lone
  figure agrees with itself, which proves nothing.
- Deviations are unit-free and bounded, so a vandal's 6.6e18 costs its source at
  most what any flat contradiction costs and cannot swamp the other claims: either
  *relative differences* ``|a - b| / (|a| + |b|)`` (0 when both are 0; bounded by
  1; TruthFinder's similarity and every convergence test use them), or, the default
  of ``crh`` and ``catd`` as in the CRH paper, absolute differences divided by the
  standard deviation of the variable's figures (:meth:`Problem.deviations`).
- A claim's weight in the result is its prior weight (source reliability x row
  weight x weight hooks) times its source's learned weight.
- The range is the central ``coverage`` share of that weight: the weighted quantile
  at ``(1 - coverage) / 2`` of the lower bounds and the mirror-image quantile of the
  upper bounds, widened if need be to hold the value.
"""

from __future__ import annotations

import contextlib
import copy
import math
import numbers
import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from typing import Any, Protocol, TypeVar

import attrs
import numpy as np
import numpy.typing as npt

from .._strategy import Reduction, Segments
from ._kernels import _all, midpoint_or_value, padded, padded_at, padded_width

__all__ = [
    "DEVIATIONS",
    "METHODS",
    "TOLERANCE",
    "WEIGHT_FLOOR",
    "Counts",
    "Distributed",
    "Learned",
    "LocalShards",
    "Losses",
    "Method",
    "Problem",
    "ProblemShard",
    "Shard",
    "Shards",
    "Sorted",
    "central_range",
    "check_options",
    "chi2_lower_quantile",
    "distributed",
    "finish",
    "learn",
    "problem_counts",
    "relative_deviation",
    "reliability_by_code",
    "run_method",
    "shard_median",
    "weighted_quantile",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Learned weights never fall below this share of the largest: a claim always counts.
WEIGHT_FLOOR = 1e-12

#: Cumulative shares this close to a threshold count as reaching it, and learned
#: confidences this close (relatively) count as tied: float rounding must not decide.
TOLERANCE = 1e-9


def is_number(x: object) -> bool:
    """Whether an option value is a finite real number (``True`` is not one; numpy's
    numbers are)."""
    return type(x) is not bool and isinstance(x, numbers.Real) and math.isfinite(x)


def check_options(name: str, *, max_iter: object, tol: object, coverage: object) -> None:
    """Refuse option values that cannot work, naming the strategy."""
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 0:
        raise ValueError(f"{name}: max_iter must be an integer >= 0 (got {max_iter!r})")
    if not is_number(tol) or not tol >= 0:  # type: ignore[operator]
        raise ValueError(f"{name}: tol must be a finite number >= 0 (got {tol!r})")
    if not is_number(coverage) or not 0 <= coverage <= 1:  # type: ignore[operator]
        raise ValueError(f"{name}: coverage must be a number in [0, 1] (got {coverage!r})")


def relative_deviation(a: FloatArray, b: FloatArray) -> FloatArray:
    """``|a - b| / (|a| + |b|)``, 0 where both are 0: in ``[0, 1]``, unit-free."""
    # Halves first: neither the difference nor the sum can overflow.
    ha, hb = a / 2.0, b / 2.0
    den = np.abs(ha) + np.abs(hb)
    d = np.abs(ha - hb) / np.where(den > 0, den, 1.0)
    return np.where(den > 0, np.minimum(d, 1.0), 0.0)


def _starts(segs: Segments) -> IntArray:
    """The segment offsets: the truth-discovery kernels need rows grouped."""
    starts = segs.starts
    if starts is None:  # pragma: no cover - the strategies keep grouped=True
        raise ValueError("the truth-discovery kernels need rows grouped by segment")
    return starts


def _order_within_segments(segs: Segments, key: FloatArray) -> IntArray:
    """The rows ordered by segment, then by ``key`` (``NaN`` after every number, +inf
    included), ties in row order: numpy's stable sorts put ``NaN`` last.

    Small segments are sorted as the rows of a padded matrix (the padding is ``NaN``
    after the real entries, so a stable row sort keeps it last); when the matrix would
    be too large, one argsort ranks the keys and a second sorts segment x n + rank."""
    n, m = segs.n, segs.m
    if n <= 1:
        return np.arange(n, dtype=np.int64)
    width = padded_width(segs)
    if width is None:
        rank = np.empty(n, np.int64)
        rank[np.argsort(key, kind="stable")] = np.arange(n)
        return np.argsort(segs.segment * n + rank, kind="stable")
    at = None if width * m == n else padded_at(segs, width)
    o = padded(segs, key, width, np.nan, at).argsort(axis=1, kind="stable")
    real = None if at is None else o < segs.counts[:, None]  # padding sits past the count
    o += np.arange(0, m * width, width)[:, None]
    if real is None:  # every segment as wide as the widest: the rows are the matrix
        return o.ravel()
    row_at = np.empty(m * width, np.int64)
    row_at[at] = np.arange(n)
    order: IntArray = row_at[o[real]]
    return order


class Sorted:
    """Claims ordered by (segment, figure) once, for weighted quantiles under
    weights that change every iteration: each quantile is then one cumulative sum and
    one binary search per segment.

    Rows whose key is ``NaN`` sort last in their segment and never count.
    """

    __slots__ = ("_at", "_columns", "_cum", "_every_key", "_prior", "_source", "_width",
                 "_ws", "key", "order", "segs", "usable")

    def __init__(self, segs: Segments, key: FloatArray) -> None:
        self.segs = segs
        self.usable: BoolArray = ~np.isnan(key)
        self._every_key = _all(self.usable)  # no NaN: nothing to mask (the usual case)
        k = key if self._every_key else np.where(self.usable, key, np.inf)
        self.order: IntArray = _order_within_segments(segs, key)
        self.key: FloatArray = k[self.order]
        self._source: IntArray | None = None
        self._prior: FloatArray | None = None
        self._ws: FloatArray | None = None
        self._cum: FloatArray | None = None
        # Small segments: the weights as a padded matrix (sorted rows keep their
        # segment and position, so the layout is the segments' own), one row per
        # segment; or, when there are at least as many segments as the widest holds
        # rows, by columns: ``(width, m)``, entry ``[j, s]`` the ``j``-th row of segment
        # ``s``, whose running sums are ``width`` additions of whole columns (several
        # times faster than running sums along many short rows, and the same sums).
        self._width = padded_width(segs) if segs.n > 1 else None
        self._at = (None if self._width is None or self._width * segs.m == segs.n
                    else padded_at(segs, self._width))
        self._columns = self._width is not None and segs.m >= self._width

    def _by_columns(self, x: npt.NDArray[Any], fill: Any) -> npt.NDArray[Any]:
        """``x`` (one entry per row, in sorted order) as the ``(width, m)`` matrix."""
        assert self._width is not None
        return np.ascontiguousarray(padded(self.segs, x, self._width, fill, self._at).T)

    def quantile(self, w: FloatArray, p: float) -> FloatArray:
        """Per segment, the smallest key whose cumulative weight share reaches ``p``
        (``0 < p <= 1``), over rows with ``w > 0`` and a key; ``NaN`` where none."""
        ws = (w if self._every_key else np.where(self.usable, w, 0.0))[self.order]
        return self._pick(self._by_columns(ws, 0.0) if self._columns else ws, p)

    def quantile_by_source(self, source_weight: FloatArray, p: float) -> FloatArray:
        """:meth:`quantile` for the weights ``segs.weight x source_weight[source]``,
        gathered in sorted order (no pass through the rows' order)."""
        n_src = len(source_weight)
        if self._source is None:
            source = self.segs.source[self.order]
            weight = self.segs.weight
            prior = (weight if self._every_key else np.where(self.usable, weight, 0.0)
                     )[self.order]
            # Every row counting with weight 1 (the usual case): nothing to multiply.
            ones = _all(prior == 1.0)
            if self._columns:  # gathered straight into the columns; padding: weight 0
                source = self._by_columns(source, n_src)
                prior = prior if ones else self._by_columns(prior, 0.0)
            self._source = source
            self._prior = None if ones else prior
            # Reused: no fresh pages every iteration.
            self._ws = np.empty(source.shape)
        if self._columns:  # code n_src is the padding
            source_weight = np.append(source_weight, 0.0)
        # mode="clip": the codes are in range, and numpy buffers ``out`` for "raise".
        ws = np.take(source_weight, self._source, out=self._ws, mode="clip")
        if self._prior is not None:
            ws *= self._prior
        return self._pick(ws, p)

    def _pick(self, ws: FloatArray, p: float) -> FloatArray:
        """The quantile from weights in sorted order (0 for rows that do not count),
        or, laid out by columns, from the ``(width, m)`` matrix (overwritten).

        Small segments: a running sum along each segment of the padded matrix; the
        answer is the first entry where it reaches ``p`` times the segment's total.
        Otherwise shares first (each segment's sum to 1), then one running sum over all
        rows: the answer of a segment is the first row where the running sum reaches
        the sum before the segment plus ``p``. A row of weight 0 never comes first,
        because the row before it has the same running sum."""
        segs = self.segs
        starts = _starts(segs)
        if self._columns:  # column by column: the same additions, in the same order
            for j in range(1, ws.shape[0]):
                np.add(ws[j - 1], ws[j], out=ws[j])
            total = ws[-1]
            # Entries short of the threshold precede the first that reaches it: running
            # sums never decrease, and the last entry holds the total.
            # (Counted in bytes when a column holds fewer than 256 entries: half the time.)
            short = ws < (p - TOLERANCE) * total
            first = np.add.reduce(short, axis=0, dtype=np.uint8 if len(ws) < 256 else np.intp)
            return np.where(total > 0, self.key[starts[:-1] + first], np.nan)
        if self._width is not None:  # a running sum along each row of the padded matrix
            grid = padded(segs, ws, self._width, 0.0, self._at)
            if self._cum is None:
                self._cum = np.empty(grid.shape)
            cum_rows = np.cumsum(grid, axis=1, out=self._cum)
            total = cum_rows[:, -1]
            has = total > 0
            # Padding (weight 0) after the last entry never comes first either.
            first = (cum_rows >= (p - TOLERANCE) * total[:, None]).argmax(axis=1)
            return np.where(has, self.key[starts[:-1] + first], np.nan)
        total = segs.sum(ws)
        has = total > 0
        cum = np.cumsum(ws / np.repeat(np.where(has, total, 1.0), segs.counts))
        before = np.zeros(segs.m)
        before[1:] = cum[starts[1:-1] - 1]
        at = np.searchsorted(cum, before + (p - TOLERANCE), side="left")
        at = np.minimum(at, starts[1:] - 1)  # rounding never carries it past the segment
        return np.where(has, self.key[at], np.nan)


def weighted_quantile(segs: Segments, x: FloatArray, w: FloatArray, p: float) -> FloatArray:
    """Per segment, the smallest ``x`` whose cumulative weight share reaches ``p``
    (a figure given, never an interpolation); ``NaN`` where no row has ``w > 0`` and
    a figure."""
    return Sorted(segs, x).quantile(w, p)


def central_range(
    segs: Segments, w: FloatArray, value: FloatArray, coverage: float
) -> tuple[FloatArray, FloatArray]:
    """The range holding the central ``coverage`` share of the weight ``w``: the
    weighted quantile at ``(1 - coverage) / 2`` of the lower bounds, the mirror-image
    quantile of the upper bounds (the largest upper bound with that share at or above
    it), widened to hold ``value`` where there is one. A claim of one side unbounded
    keeps that side unbounded when it carries enough weight."""
    p = max((1.0 - coverage) / 2.0, TOLERANCE)
    lower = weighted_quantile(segs, segs.lower, w, p)
    upper = -weighted_quantile(segs, -segs.upper, w, p)
    upper = np.maximum(upper, lower)
    has = ~np.isnan(value)
    v = np.where(has, value, 0.0)
    lower = np.where(has, np.minimum(lower, v), lower)
    upper = np.where(has, np.maximum(upper, v), upper)
    return lower, upper


def reliability_by_code(
    n_sources: int, present: BoolArray, r: FloatArray
) -> FloatArray:
    """Learned reliabilities indexed by source code, ``NaN`` for sources absent from
    the batch."""
    out = np.full(n_sources, np.nan)
    out[present] = r[present]
    return out


def truth_change(old: FloatArray, new: FloatArray) -> float:
    """The largest relative difference between two sets of estimates (``NaN`` = none)."""
    # Only the estimates that moved can give more than 0 (few, as a fit settles: the
    # rest are not read again). NaN never equals itself: those are sorted out below.
    moved = old != new
    if np.count_nonzero(moved) < len(moved):
        old, new = old[moved], new[moved]
    both = ~np.isnan(old) & ~np.isnan(new)
    n_both = int(np.count_nonzero(both))
    if n_both == 0:
        return 0.0
    if n_both < len(both):  # (every estimate on both sides: no copies)
        old, new = old[both], new[both]
    return float(relative_deviation(old, new).max())


#: The deviations :meth:`Problem.deviations` knows.
DEVIATIONS = ("spread", "relative")


class Problem:
    """What CRH and CATD share about one batch: the figures, which claims are
    contested, the sources present, the sort for weighted medians, and each contested
    variable's spread (for deviations normalised by it)."""

    def __init__(self, segs: Segments) -> None:
        self.segs = segs
        self.x = midpoint_or_value(segs)
        has = ~np.isnan(self.x)
        self.contested: BoolArray = np.repeat(segs.sum(has) >= 2, segs.counts) & has
        self.n_src = len(segs.sources)
        self.present: BoolArray = np.bincount(segs.source, minlength=self.n_src) > 0
        self.by_value = Sorted(segs, self.x)
        self.src_contested: IntArray = segs.source[self.contested]
        self.seg_contested: IntArray = segs.segment[self.contested]
        self.x_contested: FloatArray = self.x[self.contested]
        self._spread: tuple[FloatArray, FloatArray] | None = None
        self._scaled: tuple[FloatArray, FloatArray, BoolArray | None] | None = None
        self._mean_parts: tuple[FloatArray, ...] | None = None
        self._mean_prior: FloatArray | None = None
        self._deviation: FloatArray | None = None
        self._row_weight: FloatArray | None = None
        self._claim_starts: IntArray | None = None
        #: The losses of the last step (:func:`_losses_by_source`), for the next.
        self.last_losses: LastLosses | None = None

    def claims_of(self, variables: IntArray) -> IntArray | None:
        """The positions among the contested claims (:attr:`src_contested`, ...) of the
        claims of the segments ``variables`` (ascending), or ``None`` when they are more
        than a quarter of them (a pass over all of them then costs less). The rows
        come grouped by segment, so each segment's claims are one run."""
        if self._claim_starts is None:
            starts = np.zeros(self.segs.m + 1, np.int64)
            np.cumsum(np.bincount(self.seg_contested, minlength=self.segs.m), out=starts[1:])
            self._claim_starts = starts
        first = self._claim_starts[variables]
        lens = self._claim_starts[variables + 1] - first
        total = int(lens.sum())
        if 4 * total > len(self.seg_contested):
            return None
        at: IntArray = np.repeat(first - (np.cumsum(lens) - lens), lens) + np.arange(total)
        return at

    def estimate(self, source_weight: FloatArray, how: str) -> FloatArray:
        """Weighted lower medians (``"median"``) or means (``"mean"``) of the figures
        under the weights ``segs.weight x source_weight[source]`` (source weights > 0),
        keeping what does not change between iterations. Means are taken of the
        figures scaled by each variable's largest magnitude (no overflow near the
        largest float) and clipped into the figures' range (rounding never leaves it);
        ``NaN`` where a variable has no figure."""
        if how == "median":
            return self.by_value.quantile_by_source(source_weight, 0.5)
        segs = self.segs
        if self._mean_parts is None:
            has = ~np.isnan(self.x)
            xu = np.where(has, self.x, 0.0)
            big = segs.max(np.abs(xu))
            big = np.where(big > 0, big, 1.0)
            prior = np.where(has, segs.weight, 0.0)
            # Every row counting with weight 1 (the usual case): nothing to multiply.
            self._mean_prior = None if _all(prior == 1.0) else prior
            self._mean_parts = (
                xu / np.repeat(big, segs.counts), big,
                segs.min(np.where(has, self.x, np.inf)),
                segs.max(np.where(has, self.x, -np.inf)))
        scaled, big, lo, hi = self._mean_parts
        if self._row_weight is None:
            self._row_weight = np.empty(segs.n)  # reused: no fresh pages every iteration
        w = np.take(source_weight, segs.source, out=self._row_weight, mode="clip")
        if self._mean_prior is not None:
            w *= self._mean_prior
        total = segs.sum(w)
        w *= scaled
        mean = segs.sum(w) / np.where(total > 0, total, 1.0) * big
        return np.where(total > 0, np.minimum(np.maximum(mean, lo), hi), np.nan)

    def spread(self) -> tuple[FloatArray, FloatArray]:
        """Per segment, the largest magnitude among the figures (``big``, 1 where it is
        0) and the (population) standard deviation of the figures divided by it: the
        spread is ``big * sd``, computed on figures scaled into ``[-1, 1]`` so that
        nothing overflows even near the largest float."""
        if self._spread is None:
            segs = self.segs
            has = ~np.isnan(self.x)
            xu = np.where(has, self.x, 0.0)
            big = segs.max(np.abs(xu))
            big = np.where(big > 0, big, 1.0)
            xs = xu / np.repeat(big, segs.counts)
            k = segs.sum(has)
            kk = np.where(k > 0, k, 1.0)
            mean = segs.sum(xs) / kk
            dev = np.where(has, xs - np.repeat(mean, segs.counts), 0.0)
            sd = np.sqrt(segs.sum(dev * dev) / kk)
            self._spread = (big, sd)
        return self._spread

    def deviations(self, truth: FloatArray, how: str, at: IntArray | None = None) -> FloatArray:
        """The deviations of the contested claims (in row order) from ``truth``, in an
        array the next call overwrites; or of the contested claims at positions ``at``
        only, in an array of their own (each the same number as among all).

        ``"relative"``: :func:`relative_deviation`, in ``[0, 1]``. ``"spread"``: the
        absolute difference divided by the standard deviation of the variable's
        figures, the normalisation CRH (Li et al., SIGMOD 2014) gives continuous
        losses; 0 where every figure of the variable agrees. Unit-free, and bounded:
        each of ``k`` figures lies at most ``sqrt(k - 1)`` standard deviations from
        their mean, so a claim and an estimate within them are at most
        ``2 sqrt(k - 1)`` apart, and a vandal's 6.6e18 costs its source no more than
        any other flat contradiction of a variable with as many figures."""
        if how == "relative":
            if at is not None:
                return relative_deviation(self.x_contested[at], truth[self.seg_contested[at]])
            return relative_deviation(self.x_contested, truth[self.seg_contested])
        big, sd = self.spread()
        if self._scaled is None:  # what does not change between iterations, per row
            seg = self.seg_contested
            s = sd[seg]
            given = s > 0
            self._scaled = (self.x_contested / big[seg], np.where(given, s, 1.0),
                            None if given.all() else given)
        xb, s_row, spread_given = self._scaled
        if at is not None:
            seg = self.seg_contested[at]
            d = np.abs(xb[at] - truth[seg] / big[seg]) / s_row[at]
            return d if spread_given is None else np.where(spread_given[at], d, 0.0)
        if self._deviation is None:
            self._deviation = np.empty(len(xb))
        # Into one array kept between iterations (no fresh pages each time): the caller
        # uses the deviations before it asks for the next ones.
        d = np.take(truth / big, self.seg_contested, out=self._deviation, mode="clip")
        np.subtract(xb, d, out=d)
        np.abs(d, out=d)
        np.divide(d, s_row, out=d)
        return d if spread_given is None else np.where(spread_given, d, 0.0)


# -- shards: the one batch in memory, or the partitions of a Dask frame ------------------
#
# A fit learns source weights from every variable of a batch. It is written once, over
# *shards*: each shard holds the claims of some variables and answers a step (given the
# current source weights, its sums per source); the fit adds up the shards' answers and
# updates the weights. The engine's kernel runs a fit over one shard, its whole batch
# (:class:`LocalShards`); :mod:`claimrecon.dask` runs the same fit over one shard per
# partition, its steps as Dask tasks and their sums as Dask reductions. A shard's
# source codes index its own table's sources; :meth:`Shard.bind` maps them to the fit's
# (global) source list, so that every shard's sums line up.

T = TypeVar("T")
S = TypeVar("S", bound="Shard")


class Shards(Protocol):
    """The shards of one fit, and a way to run a step on each of them."""

    def run(self, step: Callable[..., tuple[Any, T]], combine: Callable[[T, T], T],
            *args: Any) -> T:
        """Call ``step(shard, carry, *args)`` on every shard, keep the ``carry`` it
        returns for that shard's next step (``None`` before the first), and return
        the other part of its answers, combined by ``combine``."""
        ...  # pragma: no cover - a protocol


class LocalShards:
    """Shards held in memory: steps are plain calls (the engine's one batch)."""

    def __init__(self, shards: Sequence[Any]) -> None:
        self.shards = list(shards)
        self.carries: list[Any] = [None] * len(self.shards)

    def run(self, step: Callable[..., tuple[Any, T]], combine: Callable[[T, T], T],
            *args: Any) -> T:
        """See :meth:`Shards.run`."""
        out: list[T] = []
        for i, shard in enumerate(self.shards):
            self.carries[i], answer = step(shard, self.carries[i], *args)
            out = [answer] if not out else [combine(out[0], answer)]
        if not out:
            raise ValueError("a fit needs at least one shard")
        return out[0]


class Shard:
    """The claims one shard holds for a fit, with the map from its source codes to the
    fit's: none (the engine's batch, whose codes are the fit's) until :meth:`bind`."""

    def __init__(self, segs: Segments) -> None:
        self.segs = segs
        self.to_fit: IntArray | None = None
        self.n_fit = len(segs.sources)

    def bind(self: S, source_ids: Sequence[str]) -> S:
        """A copy of this shard whose source codes map to positions in ``source_ids``
        (every source of the shard's table must be there)."""
        index = {sid: i for i, sid in enumerate(source_ids)}
        new = copy.copy(self)
        new.to_fit = np.array([index[s.id] for s in self.segs.sources], np.int64)
        new.n_fit = len(source_ids)
        return new

    def gather(self, per_source: FloatArray) -> FloatArray:
        """An array over the fit's sources, indexed by this shard's source codes."""
        return per_source if self.to_fit is None else per_source[self.to_fit]

    def codes(self, local: IntArray) -> IntArray:
        """This shard's source codes as the fit's."""
        return local if self.to_fit is None else self.to_fit[local]

    def by_source(self, local: IntArray, weights: FloatArray | None = None) -> FloatArray:
        """A sum over the fit's sources of ``weights`` (1 each when ``None``), the rows
        given by their source codes in this shard."""
        if weights is None:
            return np.bincount(self.codes(local), minlength=self.n_fit).astype(np.float64)
        out = np.zeros(self.n_fit)  # (in row order, as np.bincount: the same bits)
        np.add.at(out, self.codes(local), weights)
        return out

    def present(self, local_present: BoolArray) -> BoolArray:
        """A mask over the fit's sources of the sources this shard holds."""
        out = np.zeros(self.n_fit, bool)
        out[self.codes(np.flatnonzero(local_present))] = True
        return out


@attrs.define
class Distributed:
    """What :mod:`claimrecon.dask` asks of a truth-discovery kernel that the engine runs
    on one partition (set with :func:`distributed` around that run).

    With ``prepare`` the kernel keeps its shard in :attr:`shards` (by method name) and
    returns a placeholder; otherwise it finishes with the fit in :attr:`fits`, learned
    over every partition, whose sources are :attr:`source_ids`.
    """

    prepare: bool
    source_ids: tuple[str, ...] = ()
    fits: Mapping[str, Any] = attrs.field(factory=dict)
    shards: dict[str, list[Any]] = attrs.field(factory=dict)
    ran: set[str] = attrs.field(factory=set)


_DISTRIBUTED: ContextVar[Distributed | None] = ContextVar("claimrecon_distributed",
                                                          default=None)


@contextlib.contextmanager
def distributed(d: Distributed) -> Iterator[Distributed]:
    """Run the truth-discovery kernels as :class:`Distributed` says, in this context."""
    token = _DISTRIBUTED.set(d)
    try:
        yield d
    finally:
        _DISTRIBUTED.reset(token)


@attrs.frozen
class Method:
    """A truth-discovery method split into its parts, so that a fit can run over any
    shards: ``make(segs, **options)`` builds a shard, ``fit(shards, **options)`` learns
    the source weights, and ``finish(shard, fit, carry, **options)`` gives a shard's
    Reduction (``carry`` is what the fit's last step left on that shard, or ``None``
    to compute it again)."""

    name: str
    make: Callable[..., Any]
    fit: Callable[..., Any]
    finish: Callable[..., Reduction]
    options: Callable[[Mapping[str, Any]], None]  # refuses options that cannot work


#: The methods whose kernels :mod:`claimrecon.dask` can run as reductions, by kernel.
METHODS: dict[Callable[..., Reduction], Method] = {}


def run_method(method: Method, segs: Segments, options: Mapping[str, Any]) -> Reduction:
    """A method's kernel: a fit over the one batch the engine gives, or, inside
    :func:`distributed`, one partition's part of a fit over many."""
    d = _DISTRIBUTED.get()
    if d is None:
        shard = method.make(segs, **options)
        shards = LocalShards([shard])
        fit = method.fit(shards, **options)
        return method.finish(shard, fit, shards.carries[0], **options)
    d.ran.add(method.name)
    if d.prepare:
        d.shards.setdefault(method.name, []).append(method.make(segs, **options))
        m = segs.m
        # Valid, and thrown away: only the shard counts in this pass.
        return Reduction(lower=np.full(m, -np.inf), value=np.full(m, np.nan),
                         upper=np.full(m, np.inf), weight=segs.weight)
    shard = method.make(segs, **options).bind(d.source_ids)
    return method.finish(shard, d.fits[method.name], None, **options)


# -- the learning loop of CRH and CATD ------------------------------------------------------


class ProblemShard(Shard):
    """A shard for CRH and CATD: its :class:`Problem`."""

    def __init__(self, segs: Segments) -> None:
        super().__init__(segs)
        self.problem = Problem(segs)


@attrs.frozen
class Counts:
    """What does not change between iterations, over the fit's sources."""

    n_claims: FloatArray  # contested claims
    present: BoolArray  # sources with a claim in the fit


@attrs.frozen
class Losses:
    """One iteration's sums over every shard."""

    by_source: FloatArray  # each source's summed loss (deviation, or its square)
    total: float  # every contested claim's loss
    count: int  # contested claims
    change: float  # the largest relative change of an estimate since the last step


def _counts(shard: ProblemShard, carry: Any) -> tuple[Any, Counts]:
    p = shard.problem
    return carry, Counts(shard.by_source(p.src_contested), shard.present(p.present))


def _add_counts(a: Counts, b: Counts) -> Counts:
    return Counts(a.n_claims + b.n_claims, a.present | b.present)


def problem_counts(shards: Shards) -> Counts:
    """The contested claims of each source and the sources present, over every shard."""
    return shards.run(_counts, _add_counts)


def _advance(
    shard: ProblemShard, truth: FloatArray | None, source_weight: FloatArray, how: str,
    deviation: str, power: int,
) -> tuple[FloatArray, Losses]:
    """A shard's estimates under ``source_weight``, how far they moved from ``truth``
    (its last ones), and the losses of its contested claims from them."""
    p = shard.problem
    new = p.estimate(shard.gather(source_weight), how)
    change = 0.0 if truth is None else truth_change(truth, new)
    if len(p.src_contested) == 0:
        return new, Losses(np.zeros(shard.n_fit), 0.0, 0, change)
    by_source = _losses_by_source(shard, truth, new, deviation, power)
    # The total from the sums by source: one sum over the sources, not over the claims.
    return new, Losses(by_source, float(by_source.sum()), len(p.src_contested), change)


@attrs.define
class LastLosses:
    """The losses of its contested claims a shard's last step found, and the
    estimates it found them from."""

    estimates: FloatArray
    how: tuple[str, int]  # (deviation, power)
    per_claim: FloatArray


def _losses_by_source(shard: ProblemShard, truth: FloatArray | None, new: FloatArray,
                      deviation: str, power: int) -> FloatArray:
    """Each source's summed loss (deviation, or its square) of its contested claims
    from the estimates ``new``. Where the shard's last step found the claims' losses
    from ``truth``, the estimates ``new`` replace, only the claims of the variables
    whose estimate moved are measured again (as a fit settles, few estimates move:
    weighted medians are claimed figures). A claim's loss depends on its variable's
    estimate alone, so each is the number a full pass gives, and so is each sum: the
    sums are taken over every claim, in the same order."""
    p = shard.problem
    last = p.last_losses
    if last is not None and last.estimates is truth and last.how == (deviation, power):
        at = p.claims_of(np.flatnonzero(new != truth))  # (NaN: as moved)
        if at is not None:
            loss = p.deviations(new, deviation, at)
            last.per_claim[at] = np.square(loss, out=loss) if power == 2 else loss
            last.estimates = new
            return shard.by_source(p.src_contested, last.per_claim)
    e = p.deviations(new, deviation)  # an array of its own, or one kept for the next call
    d = np.square(e, out=e) if power == 2 else e
    p.last_losses = LastLosses(new, (deviation, power), d)
    return shard.by_source(p.src_contested, d)


def _add_losses(a: Losses, b: Losses) -> Losses:
    return Losses(a.by_source + b.by_source, a.total + b.total, a.count + b.count,
                  max(a.change, b.change))


@attrs.frozen
class Learned:
    """The outcome of :func:`learn`: the learned weight of each of the fit's sources."""

    source_weight: FloatArray
    present: BoolArray
    iterations: int
    converged: bool


def learn(
    shards: Shards,
    source_weights: Callable[[Losses], FloatArray],
    *,
    counts: Counts,
    how: str,
    max_iter: int,
    tol: float,
    deviation: str = "relative",
    power: int = 1,
) -> Learned:
    """Alternate source weights and estimates until no estimate and no source weight
    moves by more than ``tol`` (relative difference), or ``max_iter`` weight updates
    are done. Each shard keeps its estimates between steps.

    :param source_weights: from the summed losses of the contested claims to one
        weight per source of the fit.
    :param counts: from :func:`problem_counts`.
    :param how: estimates as weighted ``"median"`` or ``"mean"``.
    :param deviation: how deviations are measured (see :meth:`Problem.deviations`).
    :param power: a loss is the deviation (1) or its square (2).
    """
    w_src = np.ones(len(counts.present))
    losses = shards.run(_advance, _add_losses, w_src, how, deviation, power)
    if not counts.n_claims.any():
        return Learned(w_src, counts.present, 0, True)
    present = counts.present
    for it in range(1, max_iter + 1):
        old_w, w_src = w_src, source_weights(losses)
        losses = shards.run(_advance, _add_losses, w_src, how, deviation, power)
        change = max(losses.change, truth_change(old_w[present], w_src[present]))
        if change <= tol:
            return Learned(w_src, present, it, True)
    return Learned(w_src, present, max_iter, False)


def finish(shard: ProblemShard, fit: Learned, truth: FloatArray | None, *, how: str,
           coverage: float) -> Reduction:
    """A shard's Reduction of a learned fit: each claim weighted by its source's learned
    weight, the value the learned truth (computed again when ``truth`` is ``None``),
    the range its central ``coverage`` share."""
    segs, p = shard.segs, shard.problem
    w_src = shard.gather(fit.source_weight)
    if truth is None:
        truth = p.estimate(w_src, how)
    weight = segs.weight * w_src[segs.source]
    lower, upper = central_range(segs, weight, truth, coverage)
    return Reduction(
        lower=lower,
        value=truth,
        upper=upper,
        weight=weight,
        diagnostics={"iterations": fit.iterations, "converged": fit.converged},
        source_reliability=reliability_by_code(p.n_src, p.present, w_src),
    )


# -- an exact median over shards -----------------------------------------------------------

_DIGIT = 16  # bits per counting pass: four passes over a float's 64 bits


def _value_count(shard: Any, carry: Any, attr: str) -> tuple[Any, int]:
    return carry, len(getattr(shard, attr))


def _digit_counts(
    shard: Any, carry: Any, attr: str, shift: int, prefixes: tuple[int, ...]
) -> tuple[Any, tuple[IntArray, ...]]:
    bits = (np.asarray(getattr(shard, attr), np.float64) + 0.0).view(np.uint64)  # -0.0 -> 0.0
    out = []
    for prefix in prefixes:
        sel = bits if shift + _DIGIT >= 64 else bits[(bits >> np.uint64(shift + _DIGIT))
                                                      == np.uint64(prefix)]
        digit = ((sel >> np.uint64(shift)) & np.uint64((1 << _DIGIT) - 1)).astype(np.int64)
        out.append(np.bincount(digit, minlength=1 << _DIGIT))
    return carry, tuple(out)


def _add_tuples(a: tuple[IntArray, ...], b: tuple[IntArray, ...]) -> tuple[IntArray, ...]:
    return tuple(x + y for x, y in zip(a, b, strict=True))


def shard_median(shards: Shards, attr: str) -> float | None:
    """The median, as :func:`numpy.median` gives it, of the non-negative floats that
    every shard holds in its attribute ``attr`` (``None`` when there are none).

    Exact without gathering the floats: the bit patterns of non-negative floats order
    as the floats do, so the two middle ranks are found by counting, 16 bits a pass
    (four passes), each pass one sum of per-shard counts."""
    n = shards.run(_value_count, operator.add, attr)
    if n == 0:
        return None
    ranks = [(n - 1) // 2, n // 2]
    prefixes = [0, 0]
    for shift in range(64 - _DIGIT, -1, -_DIGIT):
        counts = shards.run(_digit_counts, _add_tuples, attr, shift, tuple(prefixes))
        for j, c in enumerate(counts):
            cum = np.cumsum(c)
            digit = int(np.searchsorted(cum, ranks[j], side="right"))
            ranks[j] -= int(cum[digit - 1]) if digit else 0
            prefixes[j] = (prefixes[j] << _DIGIT) | digit
    a, b = (float(np.array(x, np.uint64).view(np.float64)) for x in prefixes)
    return (a + b) / 2  # numpy.median's mean of the two middle values (one value: itself)


# -- the chi-square quantile (CATD), numpy only -------------------------------------------

#: Above this many degrees of freedom, and for p of at least _WH_P, the Wilson-Hilferty
#: approximation is used; its relative error there is below 1e-4 (7e-6 at CATD's default
#: p = 0.025), far below what the weights need.
_WH_DF = 400.0
_WH_P = 0.001

# Standard normal quantiles, by Acklam's rational approximation (relative error < 1.2e-9).
_A = (-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02,
      1.383577518672690e02, -3.066479806614716e01, 2.506628277459239e00)
_B = (-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02,
      6.680131188771972e01, -1.328068155288572e01)
_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00,
      -2.549732539343734e00, 4.374664141464968e00, 2.938163982698783e00)
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00,
      3.754408661907416e00)


def _normal_quantile(p: float) -> float:
    """The standard normal quantile of ``p`` in (0, 1)."""
    if p < 0.02425:
        q = math.sqrt(-2 * math.log(p))
        num = ((((_C[0] * q + _C[1]) * q + _C[2]) * q + _C[3]) * q + _C[4]) * q + _C[5]
        return num / ((((_D[0] * q + _D[1]) * q + _D[2]) * q + _D[3]) * q + 1)
    if p > 1 - 0.02425:
        return -_normal_quantile(1 - p)
    q = p - 0.5
    r = q * q
    num = (((((_A[0] * r + _A[1]) * r + _A[2]) * r + _A[3]) * r + _A[4]) * r + _A[5]) * q
    return num / (((((_B[0] * r + _B[1]) * r + _B[2]) * r + _B[3]) * r + _B[4]) * r + 1)


def _lower_gamma_regularized(a: FloatArray, x: FloatArray) -> FloatArray:
    """``P(a, x)``, the regularised lower incomplete gamma function, by its power
    series; accurate for ``x <= a + 1`` (all a lower-tail chi-square quantile needs).
    The series takes about ``9 sqrt(a)`` terms near ``x = a``."""
    lg = np.array([math.lgamma(float(v) + 1.0) for v in a.tolist()])
    with np.errstate(divide="ignore"):
        logx = np.log(x)
    term = np.ones_like(x)
    total = np.ones_like(x)
    n = 1
    while (term > 1e-17 * total).any():
        term = term * x / (a + n)
        total = total + term
        n += 1
    with np.errstate(under="ignore"):
        out = np.exp(a * logx - x - lg) * total
    return np.where(x > 0, out, 0.0)


def chi2_lower_quantile(p: float, df: FloatArray) -> FloatArray:
    """The ``p`` quantile of the chi-square distribution with ``df`` degrees of freedom,
    for ``0 < p < 0.5`` (the lower tail CATD needs): to about 1e-12 (relative) by
    bisection, on the logarithm of the quantile, of the regularised incomplete gamma
    function; by the Wilson-Hilferty approximation where ``df > 400`` and
    ``p >= 0.001`` (relative error below 1e-4 there). A quantile below twice the
    smallest normal float (4.45e-308) comes out as that (never 0, which would leave
    CATD no weight to scale by). numpy only: claimrecon does not depend on scipy."""
    if not 0 < p < 0.5:
        raise ValueError(f"chi2_lower_quantile needs 0 < p < 0.5 (got {p!r})")
    df = np.asarray(df, np.float64)
    out = np.empty_like(df)
    big = (df > _WH_DF) if p >= _WH_P else np.zeros(df.shape, bool)
    if big.any():
        k = df[big]
        z = _normal_quantile(p)
        c = 2.0 / (9.0 * k)
        out[big] = k * (1.0 - c + z * np.sqrt(c)) ** 3
    small = ~big
    if small.any():
        uniq, inverse = np.unique(df[small], return_inverse=True)
        # (read into a dict of this call's own: the cache may be cleared below, or by
        # another thread, between this read and the answer)
        found = {k: _CHI2_CACHE.get((p, k)) for k in uniq.tolist()}
        todo = np.array([k for k, q in found.items() if q is None])
        if len(todo):
            a = todo / 2.0
            # The quantile of Gamma(a) lies below its mean a, and a tiny p puts it many
            # orders of magnitude below: bisect its logarithm (80 halvings of at most
            # 720 leave 1e-21, relative).
            lo = np.full_like(a, math.log(np.finfo(np.float64).tiny))
            hi = np.log(a)
            for _ in range(80):
                mid = (lo + hi) / 2.0
                below = _lower_gamma_regularized(a, np.exp(mid)) < p
                lo = np.where(below, mid, lo)
                hi = np.where(below, hi, mid)
            if len(_CHI2_CACHE) > 100_000:
                _CHI2_CACHE.clear()
            for k, q in zip(todo.tolist(), (2.0 * np.exp((lo + hi) / 2.0)).tolist(),
                            strict=True):
                _CHI2_CACHE[p, k] = found[k] = q
        out[small] = np.array([found[k] for k in uniq.tolist()])[inverse]
    return out


#: Exact quantiles already computed, by (p, degrees of freedom): a batch's claim
#: counts repeat from call to call.
_CHI2_CACHE: dict[tuple[float, float], float] = {}
