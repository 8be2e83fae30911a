"""The ``intersection`` strategy: where the claims agree (Marzullo's algorithm)."""

from __future__ import annotations

import numpy as np

from .._plugins import hookimpl
from .._strategy import Reduction, Segments, Strategy
from ._kernels import TOLERANCE

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
    n, m = segs.n, segs.m
    w = segs.weight
    total = segs.sum(w)
    share = w / np.repeat(total, segs.counts)
    pos = np.concatenate((segs.lower, segs.upper))
    seg2 = np.concatenate((segs.segment, segs.segment))
    delta = np.concatenate((share, -share))
    count_delta = np.concatenate((np.ones(n, np.int64), -np.ones(n, np.int64)))
    # Sort events by (segment, position); a stable sort keeps starts (first half)
    # before ends at the same position.
    rank = np.empty(2 * n, np.int64)
    rank[np.argsort(pos, kind="stable")] = np.arange(2 * n)
    order = np.argsort(seg2 * (2 * n) + rank, kind="stable")
    pos_s, delta_s, cd_s = pos[order], delta[order], count_delta[order]
    ev_starts = 2 * segs.starts
    cover = np.cumsum(delta_s)
    if m > 1:  # restart at each segment (its events sum to zero, up to rounding)
        offsets = np.concatenate(([0.0], cover[ev_starts[1:-1] - 1]))
        cover -= np.repeat(offsets, 2 * segs.counts)
    count = np.cumsum(cd_s)
    peak = np.maximum.reduceat(cover, ev_starts[:-1])
    peak_count = np.maximum.reduceat(count, ev_starts[:-1])
    at_peak = np.flatnonzero(cover >= np.repeat(peak, 2 * segs.counts) - TOLERANCE)
    best = at_peak[np.searchsorted(at_peak, ev_starts[:-1])]
    lo = pos_s[best]
    hi = pos_s[best + 1]
    agree = peak_count > 1
    lo_row, hi_row = np.repeat(lo, segs.counts), np.repeat(hi, segs.counts)
    member = (segs.lower <= lo_row) & (segs.upper >= hi_row)
    member |= np.repeat(~agree, segs.counts)
    lower = np.where(agree, lo, segs.min(segs.lower))
    upper = np.where(agree, hi, segs.max(segs.upper))
    bounded = np.isfinite(lower) & np.isfinite(upper)
    lo_b, up_b = np.where(bounded, lower, 0.0), np.where(bounded, upper, 0.0)
    value = np.where(bounded, np.clip(lo_b / 2 + up_b / 2, lo_b, up_b), np.nan)
    weight = np.where(member, w, 0.0)
    reason = np.where(member, -1, 0).astype(np.int64)
    return Reduction(lower=lower, value=value, upper=upper, weight=weight, reason=reason,
                     reasons=REASONS)


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
