"""Segment reductions shared by the built-in kernels."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .._strategy import Segments

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

#: Cumulative shares this close to a threshold count as reaching it (float rounding).
TOLERANCE = 1e-9


def weighted_means(segs: Segments, x: FloatArray, w: FloatArray) -> FloatArray:
    """Per-segment weighted means of each row of ``x`` (shape ``(k, n)``) over its
    finite entries (a row of weight 0 is absent). Clipped into the range of the figures
    averaged, so rounding never carries a mean outside them; ``NaN`` where a segment has
    no finite figure. Returns shape ``(k, m)``."""
    # Shares first, then the sum of share x figure: a convex combination, so no partial
    # sum can overflow even for figures near the largest float.
    use = np.isfinite(x) & (w > 0)
    if use.all():  # the common case: no masking needed
        if segs.starts is not None:
            first = segs.starts[:-1]
            share = w / np.add.reduceat(w, first)[segs.segment]
            means = np.add.reduceat(x * share, first, axis=1)
            lo = np.minimum.reduceat(x, first, axis=1)
            hi = np.maximum.reduceat(x, first, axis=1)
        else:
            share = w / segs.sum(w)[segs.segment]
            means = np.stack([segs.sum(r * share) for r in x])
            lo = np.stack([segs.min(r) for r in x])
            hi = np.stack([segs.max(r) for r in x])
        return np.minimum(np.maximum(means, lo), hi)
    wx = np.where(use, w, 0.0)
    lo_x, hi_x = np.where(use, x, np.inf), np.where(use, x, -np.inf)
    if segs.starts is not None:
        first = segs.starts[:-1]
        total = np.add.reduceat(wx, first, axis=1)
        has = total > 0
        shares = wx / np.where(has, total, 1.0)[:, segs.segment]
        means = np.add.reduceat(np.where(use, x, 0.0) * shares, first, axis=1)
        lo = np.minimum.reduceat(lo_x, first, axis=1)
        hi = np.maximum.reduceat(hi_x, first, axis=1)
    else:
        total = np.stack([segs.sum(r) for r in wx])
        has = total > 0
        shares = wx / np.where(has, total, 1.0)[:, segs.segment]
        xs = np.where(use, x, 0.0) * shares
        means = np.stack([segs.sum(r) for r in xs])
        lo = np.stack([segs.min(r) for r in lo_x])
        hi = np.stack([segs.max(r) for r in hi_x])
    return np.where(has, np.minimum(np.maximum(means, lo), hi), np.nan)


def midpoint_or_value(segs: Segments) -> FloatArray:
    """Each claim's value, else its midpoint if bounded, else NaN."""
    if not np.isnan(segs.value).any():
        return segs.value
    lower, upper = segs.lower, segs.upper
    bounded = np.isfinite(lower) & np.isfinite(upper)
    lo, up = np.where(bounded, lower, 0.0), np.where(bounded, upper, 0.0)
    mid = np.where(bounded, lo / 2 + up / 2, np.nan)  # no overflow near the largest float
    return np.where(np.isnan(segs.value), mid, segs.value)


def weighted_bounds(segs: Segments, w: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The ``weighted`` rule over rows of weight > 0: weighted means of lowers, of
    uppers (an unbounded side among them stays unbounded) and of values (a claim
    without a value gives its midpoint if bounded), the value clamped into the range.
    """
    no = np.zeros(segs.m, bool)
    lo_unb = up_unb = no
    if np.isinf(segs.lower).any() or np.isinf(segs.upper).any():
        live = w > 0
        open_lo, open_up = live & np.isneginf(segs.lower), live & np.isposinf(segs.upper)
        lo_unb = segs.max(open_lo.view(np.int8)) > 0 if open_lo.any() else no
        up_unb = segs.max(open_up.view(np.int8)) > 0 if open_up.any() else no
    means = weighted_means(segs, np.vstack((segs.lower, segs.upper, midpoint_or_value(segs))), w)
    lower = np.where(lo_unb, -np.inf, means[0])
    upper = np.maximum(np.where(up_unb, np.inf, means[1]), lower)
    value = means[2]
    value = np.where(np.isnan(value), np.nan, np.minimum(np.maximum(value, lower), upper))
    return lower, value, upper


def padded(segs: Segments, *, spare: int = 4) -> tuple[IntArray, int] | None:
    """Where each row goes in a ``(m, widest segment)`` matrix: its position within
    its segment, and the width. ``None`` when the matrix would hold more than
    ``spare`` times the rows (one huge segment among small ones); then sort globally.
    Needs grouped segments."""
    assert segs.starts is not None, "padded() needs grouped segments"
    width = int(segs.counts.max()) if segs.m else 0
    if segs.m * width > spare * max(segs.n, 1):
        return None
    return np.arange(segs.n) - segs.starts[:-1][segs.segment], width


def lower_medians(segs: Segments, x: FloatArray, w: FloatArray) -> FloatArray:
    """Per-segment weighted lower medians of each row of ``x`` (shape ``(k, n)``) over
    the entries with ``w > 0`` that are not NaN: the smallest figure whose cumulative
    share reaches one half. Always one of the given figures; ``NaN`` where a segment
    has none. Returns shape ``(k, m)``.

    Small segments are laid out as rows of a padded matrix and sorted row by row; when
    that matrix would be too large, the ``k`` rows are laid end to end as ``k * m``
    segments and sorted globally (one argsort ranks the figures, a second sorts the key
    segment x size + rank). Either way the cumulative shares restart at every segment
    and the first entry to reach one half is the median.
    """
    k, n = x.shape
    m = segs.m
    use = (w > 0) & ~np.isnan(x)
    xs = np.where(use, x, np.inf)
    wu = np.where(use, w, 0.0)
    plan = padded(segs)
    if plan is not None:
        pos, width = plan
        rows = k * m  # one row per (figure kind, segment), padded with +inf and weight 0
        at = ((np.arange(k)[:, None] * m + segs.segment) * width + pos).ravel()
        grid_x = np.full(rows * width, np.inf)
        grid_w = np.zeros(rows * width)
        grid_x[at] = xs.ravel()
        grid_w[at] = wu.ravel()
        grid_x = grid_x.reshape(rows, width)
        order = np.argsort(grid_x, axis=1, kind="stable")
        order += np.arange(0, rows * width, width)[:, None]
        sorted_x = grid_x.ravel()[order]
        sorted_w = grid_w[order]
        total = sorted_w.sum(axis=1)
        cum = np.cumsum(sorted_w, axis=1) / np.where(total > 0, total, 1.0)[:, None]
        reached = (cum >= 0.5 - TOLERANCE) & (sorted_w > 0)
        first = np.argmax(reached, axis=1)
        picked = sorted_x[np.arange(rows), first]
        return np.where((total > 0) & reached[np.arange(rows), first], picked,
                        np.nan).reshape(k, m)
    assert segs.starts is not None, "lower_medians needs grouped segments"
    size = k * n
    flat = xs.reshape(size)
    seg = (np.arange(k, dtype=np.int64)[:, None] * m + segs.segment).reshape(size)
    first_row = (np.arange(k, dtype=np.int64)[:, None] * n + segs.starts[:-1]).reshape(k * m)
    wflat = wu.reshape(size)
    tot = np.add.reduceat(wflat, first_row)
    share = wflat / np.where(tot > 0, tot, 1.0)[seg]
    if size > 1:
        rank = np.empty(size, np.int64)
        rank[np.argsort(flat, kind="stable")] = np.arange(size)
        order1 = np.argsort(seg * size + rank, kind="stable")
        flat, share = flat[order1], share[order1]
    live = share > 0
    run = share.copy()
    if k * m > 1:  # restart the running sum: subtract the previous segment's total
        run[first_row[1:]] -= np.add.reduceat(share, first_row)[:-1]
    reached1 = (np.cumsum(run) >= 0.5 - TOLERANCE) & live
    at = np.minimum.reduceat(np.where(reached1, np.arange(size), size), first_row)
    ends = np.append(first_row[1:], size)
    picked1 = flat[np.minimum(at, size - 1)]
    return np.where((at < ends) & (tot > 0), picked1, np.nan).reshape(k, m)
