"""Segment reductions shared by the built-in kernels."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from .._strategy import Segments, all_nonzero

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
#: ``k`` rows of ``n`` entries: a ``(k, n)`` array or a sequence of 1-d arrays.
Rows = npt.NDArray[Any] | Sequence[npt.NDArray[Any]]

#: Cumulative shares this close to a threshold count as reaching it (float rounding).
TOLERANCE = 1e-9


def _all_rows(mask: Rows) -> bool:
    """:func:`_all` over rows given as one array or as a sequence of arrays."""
    return _all(mask) if isinstance(mask, np.ndarray) else all(_all(r) for r in mask)


def _all(mask: BoolArray) -> bool:
    """Whether every entry of ``mask`` is true (cheaper than ``mask.all()`` on the tiny
    arrays of a one-variable call, as fast on large ones; one entry read where
    ``mask`` is one flag for every row)."""
    if mask.strides == (0,) and mask.size:
        return bool(mask[0])
    return int(np.count_nonzero(mask)) == mask.size


def weighted_means(
    segs: Segments, x: Rows, w: FloatArray, finite: Rows | None = None,
    top: float | None = None,
) -> FloatArray:
    """Per-segment weighted means of each row of ``x`` (shape ``(k, n)``, or on
    hash-style segments a sequence of ``k`` rows) over its finite entries (a row of
    weight 0 is absent); ``NaN`` where a segment has no finite figure. Returns shape
    ``(k, m)``. ``finite``: ``np.isfinite`` of ``x``, and ``top``: the largest magnitude
    among the figures of ``x`` when all are finite, if the caller has them. The means
    are not clipped: float rounding may carry one an ulp past the figures averaged
    (:func:`weighted_bounds` clips into the claims' envelope)."""
    # Shares first, then the sum of share x figure: a convex combination, so no partial
    # sum can overflow even for figures near the largest float. When every claim
    # weighs the same and no sum can overflow, each segment's sum over its count.
    if finite is None:
        finite = [np.isfinite(r) for r in x]
    if segs.starts is None:
        return _hash_means(segs, x, w, finite, top)
    all_finite = _all_rows(finite)
    if all_finite and all_nonzero(w):  # the common case: no masking
        if _all_equal(w) and _sums_fit(x, segs, top):
            with np.errstate(invalid="ignore"):  # a segment of no rows: 0 / 0, no figure
                mean: FloatArray = np.add.reduceat(np.asarray(x), segs.starts[:-1],
                                                   axis=1) / segs.counts
            return mean
        first = segs.starts[:-1]
        xa = np.asarray(x)  # once: rows given as a sequence would be stacked per call
        share = w / np.add.reduceat(w, first)[segs.segment]
        means: FloatArray = np.add.reduceat(xa * share, first, axis=1)
        return means
    finite = np.asarray(finite)
    x = np.asarray(x)
    use = finite & (w > 0)
    wx = np.where(use, w, 0.0)
    first = segs.starts[:-1]
    total = np.add.reduceat(wx, first, axis=1)
    has = total > 0
    shares = wx / np.where(has, total, 1.0)[:, segs.segment]
    means = np.add.reduceat(np.where(use, x, 0.0) * shares, first, axis=1)
    return np.where(has, means, np.nan)


def _hash_means(segs: Segments, x: Rows, w: FloatArray, finite: Rows,
                top: float | None) -> FloatArray:
    """:func:`weighted_means` on hash-style segments. Each segment takes one of two
    formulas by its own rows alone, so that a variable gets the same means, bit for
    bit, alone as among many: where its weights are one positive number and its
    figures finite, with sums that cannot overflow, the sum over the count; else
    the sum of share x figure over the entries that count. Both sum in row order."""
    dense = all_nonzero(w)
    all_finite = _all_rows(finite)
    fits = _sums_fit(x, segs, top) if all_finite else False
    if all_finite and dense and fits and _all_equal(w):  # the common case: every segment
        with np.errstate(invalid="ignore"):  # a segment of no rows: 0 / 0, no figure
            mean: FloatArray = np.array([segs.sum(r) for r in x]) / segs.counts
        return mean
    if all_finite and dense:
        share = np.take(segs.sum(w), segs.segment)
        np.divide(w, share, out=share)
        scratch = np.empty(segs.n)
        means = np.array([segs.sum(np.multiply(r, share, out=scratch)) for r in x])
    else:  # reduce only the entries that count
        live = w > 0
        means = np.concatenate([_live_means(segs, [xr], w, np.flatnonzero(fr & live))
                                for xr, fr in zip(x, finite, strict=True)])
    if segs.m == 1:  # the one segment is not plain, or the first test had said so
        return means
    # The segments that take the sum over the count instead.
    plain = segs.min(w) == segs.max(w)
    if not dense:
        plain[segs.segment[w <= 0]] = False
    if not all_finite:
        for fr in finite:
            plain[segs.segment[~fr]] = False
    if not fits:
        largest = np.zeros(segs.m)
        for r, fr in zip(x, finite, strict=True):
            np.maximum(largest, segs.max(np.where(fr, np.abs(r), 0.0)), out=largest)
        with np.errstate(over="ignore"):  # past the largest float: inf, not plain
            plain &= largest * segs.counts < _SUM_LIMIT
    if np.count_nonzero(plain):
        with np.errstate(invalid="ignore", over="ignore"):  # only plain segments are read
            for i, r in enumerate(x):
                means[i, plain] = (segs.sum(r) / segs.counts)[plain]
    return means


def _live_means(segs: Segments, x: Rows, w: FloatArray, live: IntArray) -> FloatArray:
    """:func:`weighted_means` on hash-style segments over the rows ``live`` only (the
    entries that count, taken out first: few when most claims are superseded), summed
    by segment in row order as the grouped path sums them. ``x`` has shape ``(k, n)``."""
    m = segs.m
    seg, wl = segs.segment[live], w[live]
    total = np.bincount(seg, weights=wl, minlength=m)
    share = wl / total[seg]
    out = np.empty((len(x), m))
    for i, xr in enumerate(x):
        out[i] = np.bincount(seg, weights=xr[live] * share, minlength=m)
    out[:, total <= 0] = np.nan
    return out


def envelope(segs: Segments, w: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The lowest lower and the highest upper bound of each segment's rows of weight
    > 0 (``-inf``/``+inf`` where one of them is open on that side)."""
    if all_nonzero(w):
        return segs.min(segs.lower), segs.max(segs.upper)
    live = w > 0
    return (segs.min(np.where(live, segs.lower, np.inf)),
            segs.max(np.where(live, segs.upper, -np.inf)))


def midpoint_or_value(segs: Segments) -> FloatArray:
    """Each claim's value, else its midpoint if bounded, else NaN."""
    if segs._closed:  # every claim states a value
        return segs.value
    return _midpoint_or_value(segs.value, segs.lower, segs.upper)


def _midpoint_or_value(value: FloatArray, lower: FloatArray, upper: FloatArray) -> FloatArray:
    """:func:`midpoint_or_value` of claims given by their columns."""
    missing = np.isnan(value)
    if not np.count_nonzero(missing):
        return value
    bounded = np.isfinite(lower) & np.isfinite(upper)
    lo, up = np.where(bounded, lower, 0.0), np.where(bounded, upper, 0.0)
    mid = np.where(bounded, lo / 2 + up / 2, np.nan)  # no overflow near the largest float
    return np.where(missing, mid, value)


def weighted_bounds(segs: Segments, w: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The ``weighted`` rule over rows of weight > 0: weighted means of lowers, of
    uppers (an unbounded side among them stays unbounded) and of values (a claim
    without a value gives its midpoint if bounded), the value clamped into the range.

    Every claim that counts lies in their envelope, so every mean does too; the
    bounds are clipped into it, which undoes only float rounding that would carry a
    bound out of it (two passes over the rows, where a clip per figure kind took six).
    """
    every = all_nonzero(w)
    if segs.starts is None and not every:
        return _live_bounds(segs, w)
    rows = (segs.lower, segs.upper, midpoint_or_value(segs))
    # Grouped segments reduce the three as one matrix; hash-style ones row by row.
    x: Rows = np.array(rows) if segs.starts is not None else rows
    finite: Rows
    if segs._closed:  # every figure finite: no pass to find it
        finite = [np.broadcast_to(True, (segs.n,))] * 3
    else:
        finite = np.isfinite(x) if segs.starts is not None else [np.isfinite(r) for r in rows]
    lo, hi = envelope(segs, w)
    # Where every row counts, each figure (a value, or a midpoint, lies within its
    # bounds) lies in the envelope: its ends give the largest magnitude with no pass
    # over the rows (six passes at ten million rows, where these are a million).
    top = (max(-float(np.min(lo, initial=np.inf)), float(np.max(hi, initial=-np.inf)))
           if every else None)
    means = weighted_means(segs, x, w, finite, top)
    # An open side among the claims that count: the envelope is infinite there.
    lower = np.where(lo == -np.inf, -np.inf, np.minimum(np.maximum(means[0], lo), hi))
    upper = np.where(hi == np.inf, np.inf, np.minimum(np.maximum(means[1], lo), hi))
    upper = np.maximum(upper, lower)
    # NaN (no value) propagates through minimum and maximum.
    value = np.minimum(np.maximum(means[2], lower), upper)
    return lower, value, upper


def _live_bounds(segs: Segments, w: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """:func:`weighted_bounds` on hash-style segments with rows of weight 0 (recency
    sets most aside): the rule over the rows that count, taken out once; a segment
    with none has no figures (NaN). A row that is the only one of its segment to
    count gives the segment its own bounds and value (the weighted mean of one
    figure is that figure) with no reduction at all: after ``recency`` that is the
    common case, one winner per variable."""
    live, seg, counting = segs._counting(w)  # (the engine reads them again: kept)
    lone = counting[seg] == 1
    bounds = (np.full(segs.m, np.nan), np.full(segs.m, np.nan), np.full(segs.m, np.nan))
    if np.count_nonzero(lone) < len(live):  # segments where several rows count,
        some = live[~lone]  # numbered anew among themselves: few, after recency
        several, code = np.unique(seg[~lone], return_inverse=True)
        counted = Segments(table=segs.table, rows=some if segs.every_row else segs.rows[some],
                           segment=code, m=len(several), weight=w[some],
                           variables=segs.variables_at(several))
        for b, part in zip(bounds, weighted_bounds(counted, counted.weight), strict=True):
            b[several] = part
    one = live[lone]
    rows = one if segs.every_row else segs.rows[one]
    table = segs.table
    lower, upper = table.lower[rows], table.upper[rows]
    at = seg[lone]
    bounds[0][at] = lower
    # (clipped as the means are: half of an odd subnormal rounds off the range)
    bounds[1][at] = np.minimum(np.maximum(_midpoint_or_value(table.value[rows], lower, upper),
                                          lower), upper)
    bounds[2][at] = upper
    return bounds


def padded_width(segs: Segments, *, spare: int = 4) -> int | None:
    """The width of a ``(m, widest segment)`` matrix holding each segment in a row, or
    ``None`` when it would hold more than ``spare`` times the rows (one huge segment
    among small ones). Needs grouped segments."""
    assert segs.starts is not None, "padded_width() needs grouped segments"
    if segs.m == 1:
        return segs.n
    width = int(np.maximum.reduce(segs.counts)) if segs.m else 0
    return None if segs.m * width > spare * max(segs.n, 1) else width


def size_classes(segs: Segments) -> Iterator[tuple[IntArray, IntArray, Segments]]:
    """Grouped segments in classes of similar size (from 2**(e-1) to under 2**e rows),
    for when one padded matrix would be too large (a huge segment among small ones):
    each class's padded matrix holds at most twice its rows. Yields the class's
    segments ``ks``, their rows ``idx`` (segment after segment, as
    :meth:`Segments.take` orders them) and ``segs.take(ks)``."""
    assert segs.starts is not None, "size_classes() needs grouped segments"
    size_class = np.frexp(segs.counts)[1]
    for e in np.unique(size_class).tolist():
        ks = np.flatnonzero(size_class == e)
        lens = segs.counts[ks]
        idx = np.repeat(segs.starts[ks] - (np.cumsum(lens) - lens), lens) + np.arange(
            int(lens.sum()))
        yield ks, idx, segs.take(ks)


def padded(segs: Segments, x: npt.NDArray[Any], width: int, fill: Any,
           at: IntArray | None = None) -> npt.NDArray[Any]:
    """``x`` (one entry per row, shape ``(n,)`` or ``(k, n)``) laid out as the rows of a
    ``(k * m, width)`` matrix: row ``i * m + s`` holds the entries of segment ``s`` of
    ``x[i]`` in order, then ``fill``. ``at``: :func:`padded_at` of ``segs`` and
    ``width``, if the caller keeps it. Needs grouped segments; no copy when every
    segment is ``width`` wide."""
    rows = x.reshape(-1, segs.n)
    k, m = rows.shape[0], segs.m
    if width * m == segs.n:
        return rows.reshape(k * m, width)
    grid = np.full((k, m * width), fill, dtype=x.dtype)
    grid[:, padded_at(segs, width) if at is None else at] = rows
    return grid.reshape(k * m, width)


def padded_at(segs: Segments, width: int) -> IntArray:
    """Where each row goes in the flat ``(m, width)`` matrix of :func:`padded`."""
    at: IntArray = segs.segment * width + positions(segs)
    return at


def positions(segs: Segments) -> IntArray:
    """Each row's position within its segment (grouped segments)."""
    assert segs.starts is not None, "positions() needs grouped segments"
    return np.arange(segs.n) - segs.starts[:-1][segs.segment]


def _sums_fit(x: Rows, segs: Segments, top: float | None = None) -> bool:
    """Whether no segment's sum of the finite figures ``x`` can overflow (``top``: their
    largest magnitude, if known)."""
    if segs.n == 0:
        return True
    if top is None:
        top = max(max(-float(np.min(r)), float(np.max(r))) for r in x)
    return top * float(np.max(segs.counts)) < _SUM_LIMIT


#: A bound on a segment's sum of figures (count x largest size) that leaves room below
#: the largest float for the rounding of the sum.
_SUM_LIMIT = float(np.finfo(np.float64).max) / 4


def _all_equal(w: FloatArray) -> bool:
    """Whether every entry of ``w`` is one positive number."""
    if w.strides == (0,) or len(w) < 2:
        return bool(len(w) == 0 or w[0] > 0)
    if len(w) <= 64:  # a one-variable call: Python floats are cheaper than reductions
        wl = w.tolist()
        return bool(wl[0] > 0 and min(wl) == max(wl))
    return bool(w[0] > 0 and np.min(w) == np.max(w))


def _middle_figures(segs: Segments, x: FloatArray, nan: BoolArray, width: int,
                    scratch: bool) -> FloatArray:
    """:func:`lower_medians` when every claim weighs the same: of the ``c`` figures a
    segment states, the ``ceil(c / 2)``-th smallest (each has share ``1 / c``, so the
    running share first reaches one half there, whatever the rounding: it misses one
    half by ``1 / (2c)`` or meets it exactly). Each segment's figures are sorted along a
    row of the padded matrix, with no weights to carry."""
    k, m = x.shape[0], segs.m
    count = np.broadcast_to(segs.counts, (k, m))
    some_nan = bool(np.count_nonzero(nan))
    if some_nan:
        x = np.where(nan, np.inf, x)  # after every figure stated, like the padding
        count = count - np.array([segs.sum(r) if r.any() else np.zeros(m) for r in nan],
                                 np.int64)
    grid = padded(segs, x, width, np.inf)
    if width * m == segs.n and not some_nan:  # every segment states ``width`` figures
        kth = (width + 1) // 2 - 1  # one position for every row: select, do not sort
        if not scratch:
            grid = grid.copy()
        grid.partition(kth, axis=1)
        picked: FloatArray = grid[:, kth].copy()  # not a view that keeps the matrix alive
        return picked.reshape(k, m)
    grid.sort(axis=1)  # a fresh matrix when padded, else ``x`` with NaN replaced, or scratch
    c = count.reshape(k * m)
    picked = grid[np.arange(k * m), np.maximum((c + 1) // 2 - 1, 0)]
    picked[c == 0] = np.nan  # no figure stated
    return picked.reshape(k, m)


def lower_medians(segs: Segments, x: FloatArray, w: FloatArray, *,
                  scratch: bool = False) -> FloatArray:
    """Per-segment weighted lower medians of each row of ``x`` (shape ``(k, n)``) over
    the entries with ``w > 0`` that are not NaN: the smallest figure whose cumulative
    share reaches one half. Always one of the given figures; ``NaN`` where a segment
    has none. Returns shape ``(k, m)``.

    Each segment is laid out as a row of a padded matrix and sorted within it; the
    running sum of its weights along the row reaches half its total at the median.
    When one matrix would be too large (a huge segment among small ones), segments of
    similar size share a matrix, one per class of sizes. When every weight is the same
    (no reliability given), the median is the middle figure, selected with no weights
    carried. ``scratch``: ``x`` is the caller's to discard, and may be reordered.
    """
    k, n = x.shape
    m = segs.m
    nan = np.isnan(x)
    width = padded_width(segs)
    if width is None:
        # One matrix would be too large (a huge segment among small ones): one matrix per
        # class of segment sizes (from 2**(e-1) to under 2**e rows), each at most twice
        # the rows it holds. Every segment is still a row of its own, summed in the same
        # order as alone, so its median is the same as alone.
        out = np.empty((k, m))
        for ks, idx, sub in size_classes(segs):
            out[:, ks] = lower_medians(sub, x[:, idx], w[idx], scratch=True)
        return out
    if _all_equal(w):
        return _middle_figures(segs, x, nan, width, scratch)
    if not np.count_nonzero(nan) and np.count_nonzero(w) == n:  # every entry counts
        xs = x
        wu = np.empty(x.shape)
        wu[...] = w
    else:
        use = (w > 0) & ~nan
        xs, wu = np.where(use, x, np.inf), np.where(use, w, 0.0)
    rows = k * m  # one row per (figure kind, segment), padded with +inf and weight 0
    at = None if width * m == n else padded_at(segs, width)
    grid_x = padded(segs, xs, width, np.inf, at)
    grid_w = padded(segs, wu, width, 0.0, at).ravel()
    order = grid_x.argsort(axis=1, kind="stable")
    order += np.arange(0, rows * width, width)[:, None]
    sorted_w = grid_w[order]
    cum = sorted_w.cumsum(axis=1)
    total = cum[:, -1]  # the last running sum is the row's total
    # Entries of weight 0 never reach first: the entry before has the same sum.
    first = (cum >= (0.5 - TOLERANCE) * total[:, None]).argmax(axis=1)
    at_first = order.ravel()[np.arange(0, rows * width, width) + first]
    picked: FloatArray = grid_x.ravel()[at_first]
    empty = total <= 0
    if np.count_nonzero(empty):
        picked[empty] = np.nan
    return picked.reshape(k, m)
