"""Segment reductions shared by the built-in kernels."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .._strategy import Segments

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Cumulative shares this close to a threshold count as reaching it (float rounding).
TOLERANCE = 1e-9


def weighted_means(segs: Segments, x: FloatArray, w: FloatArray) -> FloatArray:
    """Per-segment weighted means of each row of ``x`` (shape ``(k, n)``) over its
    finite entries (a row of weight 0 is absent). Clipped into the range of the figures
    averaged, so rounding never carries a mean outside them; ``NaN`` where a segment has
    no finite figure."""
    first = segs.starts[:-1]
    use = np.isfinite(x) & (w > 0)
    wx = np.where(use, w, 0.0)
    total = np.add.reduceat(wx, first, axis=1)
    sums = np.add.reduceat(wx * np.where(use, x, 0.0), first, axis=1)
    has = total > 0
    mean = sums / np.where(has, total, 1.0)
    lo = np.minimum.reduceat(np.where(use, x, np.inf), first, axis=1)
    hi = np.maximum.reduceat(np.where(use, x, -np.inf), first, axis=1)
    return np.where(has, np.minimum(np.maximum(mean, lo), hi), np.nan)


def midpoint_or_value(segs: Segments) -> FloatArray:
    """Each claim's value, else its midpoint if bounded, else NaN."""
    lower, upper = segs.lower, segs.upper
    bounded = np.isfinite(lower) & np.isfinite(upper)
    lo, up = np.where(bounded, lower, 0.0), np.where(bounded, upper, 0.0)
    mid = np.where(bounded, lo + (up - lo) / 2, np.nan)
    return np.where(np.isnan(segs.value), mid, segs.value)


def weighted_bounds(segs: Segments, w: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The ``weighted`` rule over rows of weight > 0: weighted means of lowers, of
    uppers (an unbounded side among them stays unbounded) and of values (a claim
    without a value gives its midpoint if bounded), the value clamped into the range.
    """
    first = segs.starts[:-1]
    live = w > 0
    lo_unb = np.minimum.reduceat(np.where(live, segs.lower, np.inf), first) == -np.inf
    up_unb = np.maximum.reduceat(np.where(live, segs.upper, -np.inf), first) == np.inf
    means = weighted_means(segs, np.vstack((segs.lower, segs.upper, midpoint_or_value(segs))), w)
    lower = np.where(lo_unb, -np.inf, means[0])
    upper = np.maximum(np.where(up_unb, np.inf, means[1]), lower)
    value = means[2]
    value = np.where(np.isnan(value), np.nan, np.minimum(np.maximum(value, lower), upper))
    return lower, value, upper


def lower_median(segs: Segments, x: FloatArray, w: FloatArray) -> FloatArray:
    """Per-segment weighted lower median of ``x`` over rows with ``w > 0`` and ``x`` not
    NaN: the smallest ``x`` whose cumulative share reaches one half. Always one of the
    given figures; ``NaN`` where a segment has none.

    One argsort ranks the values, a second sorts the key (segment x n + rank), and the
    cumulative shares restart at every segment.
    """
    n = segs.n
    use = (w > 0) & ~np.isnan(x)
    xs = np.where(use, x, np.inf)
    wu = np.where(use, w, 0.0)
    total = segs.sum(wu)
    share = wu / np.repeat(np.where(total > 0, total, 1.0), segs.counts)
    if n <= 1:
        order = np.arange(n)
    else:
        rank = np.empty(n, np.int64)
        rank[np.argsort(xs, kind="stable")] = np.arange(n)
        order = np.argsort(segs.segment * n + rank, kind="stable")
    s = share[order]
    live = s > 0
    # Restart the running sum at each segment: subtract the previous segment's total.
    if segs.m > 1:
        s[segs.starts[1:-1]] -= segs.sum(share)[:-1]
    cum = np.cumsum(s)
    reached = np.flatnonzero((cum >= 0.5 - TOLERANCE) & live)
    if len(reached) == 0:
        return np.full(segs.m, np.nan)
    first = reached[np.minimum(np.searchsorted(reached, segs.starts[:-1]), len(reached) - 1)]
    inside = (first >= segs.starts[:-1]) & (first < segs.starts[1:])
    return np.where(inside & (total > 0), xs[order][first], np.nan)
