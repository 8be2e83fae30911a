"""The ``intersection`` strategy: where the claims agree (Marzullo's algorithm)."""

from __future__ import annotations

import numpy as np

from .._plugins import hookimpl
from .._strategy import Reduction, Segments, Strategy
from ._kernels import (
    TOLERANCE,
    BoolArray,
    FloatArray,
    IntArray,
    padded_width,
    positions,
    size_classes,
)

REASONS = ("outside the range where the largest agreeing group of claims (by weight) meets",)


def intersection_kernel(segs: Segments) -> Reduction:
    """The common interval of the largest agreeing subset by total weight.

    A sweep over the sorted interval ends (Marzullo's algorithm, as NTP selects
    clocks): every lower bound adds its claim's share, every upper bound removes it,
    lower bounds first where they meet upper bounds (closed intervals). The first place
    where the coverage peaks (ties: the lower interval) starts the result; the next end
    closes it. Claims whose range holds it agree; the others are excluded. When no two
    claims agree, the result is the envelope of all. The value is the midpoint of a
    bounded result.
    """
    w = segs.weight
    share = w / segs.sum(w)[segs.segment]
    lo, hi, agree = _sweep(segs, share)
    seg = segs.segment
    member = (segs.lower <= lo[seg]) & (segs.upper >= hi[seg])
    if np.count_nonzero(agree) < segs.m:  # no two claims agree: all count, the envelope
        member |= ~agree[seg]
        lo = np.where(agree, lo, segs.min(segs.lower))
        hi = np.where(agree, hi, segs.max(segs.upper))
    bounded = np.isfinite(lo) & np.isfinite(hi)
    if np.count_nonzero(bounded) == segs.m:
        value = np.minimum(np.maximum(lo / 2 + hi / 2, lo), hi)  # halves: no overflow
    else:
        lo_b, up_b = np.where(bounded, lo, 0.0), np.where(bounded, hi, 0.0)
        value = np.where(bounded, np.minimum(np.maximum(lo_b / 2 + up_b / 2, lo_b), up_b),
                         np.nan)
    if np.count_nonzero(member) == segs.n:
        return Reduction(lower=lo, value=value, upper=hi, weight=w)
    weight = np.where(member, w, 0.0)
    reason = (~member).astype(np.int64) - 1  # -1 for members, 0 (REASONS[0]) for others
    return Reduction(lower=lo, value=value, upper=hi, weight=weight, reason=reason,
                     reasons=REASONS)


#: Per segment: the result's lower and upper end, and whether any two claims agree.
Sweep = tuple[FloatArray, FloatArray, BoolArray]


def _sweep(segs: Segments, share: FloatArray) -> Sweep:
    """The sweep over every segment, each in a row of a padded matrix; when one
    matrix would be too large (a huge segment among small ones), one matrix per class
    of segment sizes (2**(e-1) to under 2**e rows), so that each segment is swept as
    it is alone."""
    width = padded_width(segs)
    if width is not None:
        return _sweep_padded(segs, share, width)
    lo, hi = np.empty(segs.m), np.empty(segs.m)
    agree = np.empty(segs.m, bool)
    for ks, idx, sub in size_classes(segs):
        width_e = padded_width(sub)
        assert width_e is not None  # at most twice the rows
        lo[ks], hi[ks], agree[ks] = _sweep_padded(sub, share[idx], width_e)
    return lo, hi, agree


def _sweep_padded(segs: Segments, share: FloatArray, width: int) -> Sweep:
    """The sweep with each segment's events in a row of a padded matrix: lower bounds
    in the first half of the row, upper bounds in the second, empty slots at +inf with
    no weight; a stable sort along the rows keeps lower bounds first at ties."""
    m, seg = segs.m, segs.segment
    cols = 2 * width
    count: IntArray | None = None
    if width * m == segs.n:  # no padding: each row is [lowers, uppers] of one segment
        at = np.concatenate((segs.lower.reshape(m, width), segs.upper.reshape(m, width)),
                            axis=1).ravel()
        sh = share.reshape(m, width)
        delta = np.concatenate((sh, -sh), axis=1).ravel()
    else:
        pos = positions(segs)
        start_at, end_at = seg * cols + pos, seg * cols + width + pos
        at = np.full(m * cols, np.inf)
        delta = np.zeros(m * cols)
        count = np.zeros(m * cols, np.int64)
        at[start_at], at[end_at] = segs.lower, segs.upper
        delta[start_at], delta[end_at] = share, -share
        count[start_at], count[end_at] = 1, -1
    order = at.reshape(m, cols).argsort(axis=1, kind="stable")
    if count is None:  # the first ``width`` slots of a row open an interval, the rest close
        opens = order < width
    row_start = np.arange(0, m * cols, cols)
    if m > 1:  # positions in the flat arrays (one row: they are already)
        order += row_start[:, None]
    if count is not None:
        opens = count[order] > 0
    at_s = at[order]
    cover = delta[order].cumsum(axis=1)
    peak = np.maximum.reduce(cover, axis=1)
    best = (cover >= peak[:, None] - TOLERANCE).argmax(axis=1)
    flat = (row_start + best) if m > 1 else best
    # The next end closes it: the first closing event after the start (an opening
    # can follow within the tolerance, of a claim too light to move the peak).
    close = best + 1  # usually the next event
    late = np.flatnonzero(opens[np.arange(m), close])
    if len(late):
        after = np.arange(cols) > best[late, None]
        close[late] = (after & ~opens[late]).argmax(axis=1)
    at_s = at_s.ravel()
    # Two claims agree where two intervals open in a row: the coverage count first
    # reaches 2 right after two opening events (closing ones follow their openings;
    # empty slots sort after every opening).
    agree: BoolArray = np.logical_or.reduce(opens[:, 1:] & opens[:, :-1], axis=1)
    return at_s[flat], at_s[(row_start + close) if m > 1 else close], agree


INTERSECTION = Strategy(
    name="intersection",
    summary="Where the claims agree: the common range of the largest agreeing group "
    "(Marzullo).",
    kernel=intersection_kernel,
)


@hookimpl
def claimrecon_strategies() -> list[Strategy]:
    """Provide ``intersection``."""
    return [INTERSECTION]
