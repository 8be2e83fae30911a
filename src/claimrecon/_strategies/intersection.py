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
    total = segs.sum(w)
    # A variable whose claims all weigh 0 gets shares of 0, not 0 / 0 (the engine then
    # finds it has no usable claim).
    share = w / np.where(total > 0, total, 1.0)[segs.segment]
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
    reason = (~member).view(np.int8) - np.int8(1)  # -1: a member; 0 (REASONS[0]): not
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


#: Events (segments x events per segment) swept at a time: a block's scratch arrays
#: stay in cache and are reused (on a large input, fresh memory for every temporary
#: of the whole matrix cost more than the arithmetic), and numpy's cost per call is
#: spread over a thousand or more segments.
_BLOCK = 1 << 15
#: Up to this many events per segment, a block is swept transposed (one vector
#: operation per event, over the block's segments); wider, along its rows.
_NARROW = 64
#: Below this many events (segments x 2 x width), the one-piece stable sort: it has
#: less overhead per call (a one-variable call, a small table).
_SMALL = 1 << 13
_MAGNITUDE = np.int64(0x7FFF_FFFF_FFFF_FFFF)


def _sweep_padded(segs: Segments, share: FloatArray, width: int) -> Sweep:
    """The sweep with each segment's events in a row of a padded matrix: lower bounds
    in the first half of the row, upper bounds in the second, empty slots at +inf with
    no weight; each row's events taken in order of (bound, slot), so that lower bounds
    come first at ties (closed intervals), as a stable sort of the row takes them.
    A small matrix is sorted in one piece (:func:`_sweep_stable`, less overhead); a
    large one by blocks of rows (:func:`_sweep_blocks`, several times faster)."""
    if segs.m * 2 * width < _SMALL:
        return _sweep_stable(segs, share, width)
    return _sweep_blocks(segs, share, width)


def _sweep_blocks(segs: Segments, share: FloatArray, width: int) -> Sweep:
    """:func:`_sweep_padded` a block of rows at a time, each row's events in order of
    (bound, slot): the order a stable sort of the row gives.

    That order comes from a plain sort of int64 keys (numpy's SIMD sort, several times
    faster than a stable argsort): each bound as an int64 of the same order (-0.0 as
    0.0, which the stable sort holds equal), its lowest bits replaced by the event's
    slot, which the sorted keys give back. Bounds that differ only in those bits (a few
    ulps apart) can come out of order: :func:`_mend` puts them right. A block's scratch
    arrays are reused; narrow rows are swept transposed (one vector operation per event
    over the block's segments rather than one call per segment).
    """
    m = segs.m
    if m == 0:
        return np.empty(0), np.empty(0), np.empty(0, bool)
    cols = 2 * width
    bits = max(int(cols - 1).bit_length(), 1)
    slot_mask = (1 << bits) - 1
    lower, upper = segs.lower, segs.upper
    padded = width * m != segs.n
    starts = segs.starts
    counts = segs.counts if padded else None
    narrow = cols <= _NARROW
    rows_per = min(m, max(1, _BLOCK // cols))
    lo, hi = np.empty(m), np.empty(m)
    agree = np.empty(m, bool)
    # Scratch, reused block after block (the last block uses the first rows).
    at_buf = np.empty((rows_per, cols))
    delta_buf = np.empty((rows_per, cols))
    key_buf = np.empty((rows_per, cols), np.int64)
    tmp_buf = np.empty((rows_per, cols), np.int64)
    slot_buf = np.empty((cols, rows_per) if narrow else (0, 0), np.int64)
    slots = np.broadcast_to(np.arange(cols, dtype=np.int64), (rows_per, cols)).copy()
    row_at = np.arange(0, rows_per * cols, cols)
    # Narrow rows: cols - i at event i, whose maximum over the events that reach the
    # peak is cols - the first of them (argmax along the first axis is slower).
    rev = (cols - np.arange(cols if narrow else 0)).astype(np.min_scalar_type(cols))[:, None]
    for r0 in range(0, m, rows_per):
        r1 = min(m, r0 + rows_per)
        nr = r1 - r0
        at, delta = at_buf[:nr], delta_buf[:nr]
        flat_at, flat_d = at.reshape(-1), delta.reshape(-1)
        if not padded:  # each row is [lowers, uppers] of one segment
            a, b = r0 * width, r1 * width
            at[:, :width] = lower[a:b].reshape(nr, width)
            at[:, width:] = upper[a:b].reshape(nr, width)
            delta[:, :width] = share[a:b].reshape(nr, width)
            delta[:, width:] = np.negative(share[a:b]).reshape(nr, width)
        else:
            assert starts is not None and counts is not None
            a, b = int(starts[r0]), int(starts[r1])
            seg = segs.segment[a:b]
            start_at = np.arange(a, b)
            start_at -= starts[seg]  # each claim's position in its segment
            start_at += (seg - r0) * cols
            at.fill(np.inf)
            delta.fill(0.0)
            flat_at[start_at] = lower[a:b]
            flat_d[start_at] = share[a:b]
            start_at += width
            flat_at[start_at] = upper[a:b]
            flat_d[start_at] = -share[a:b]
        # The keys: each bound as an int64 of the same order (adding 0.0 turns -0.0
        # into 0.0), its lowest ``bits`` bits replaced by the slot.
        key, tmp = key_buf[:nr], tmp_buf[:nr]
        np.add(at, 0.0, out=key.view(np.float64))
        np.right_shift(key, 63, out=tmp)
        tmp &= _MAGNITUDE
        key ^= tmp
        key &= ~slot_mask
        key |= slots[:nr]
        key.sort(axis=1)
        # Neighbours whose keys differ only in the slot bits: equal bounds (in slot
        # order, as they should be) or bounds a few ulps apart (maybe not).
        flat_key, flat_tmp = key.reshape(-1), tmp.reshape(-1)
        near = np.bitwise_xor(flat_key[1:], flat_key[:-1], out=flat_tmp[:-1])
        near = near.view(np.uint64) <= slot_mask
        if np.count_nonzero(near):
            _mend(flat_key, flat_at, np.flatnonzero(near), cols, slot_mask)
        # Each row's slots in sweep order, events along the first axis.
        if narrow:
            slot = slot_buf[:, :nr]
            np.bitwise_and(key.T, slot_mask, out=slot)  # a transposed copy
        else:
            slot = np.bitwise_and(key, slot_mask).T
        flat = slot + row_at[:nr]
        opens = slot < (width if counts is None else counts[r0:r1])
        d = np.take(flat_d, flat)
        if narrow:
            cover = np.empty_like(d)
            cover[0] = d[0]
            for i in range(1, cols):  # np.cumsum(d, axis=0): the same sums, faster
                np.add(cover[i - 1], d[i], out=cover[i])
        else:
            cover = np.cumsum(d, axis=0)
        peak = np.maximum.reduce(cover, axis=0)
        reach = cover >= peak - TOLERANCE
        if narrow:  # the first event that reaches the peak: argmax along axis 0, faster
            first_reach = np.maximum.reduce(np.multiply(reach, rev), axis=0).astype(np.int64)
            # None reaches it where the shares are NaN (a variable whose claims all
            # weigh 0): event 0, as argmax gives.
            best = np.where(first_reach > 0, cols - first_reach, 0)
        else:
            best = reach.argmax(axis=0)
        k = np.arange(nr)
        # The next end closes it: the first closing event after the start (an opening
        # can follow within the tolerance, of a claim too light to move the peak).
        close = best + 1  # usually the next event
        late = np.flatnonzero(opens[close, k])
        if len(late):
            after = np.arange(cols)[:, None] > best[late]
            close[late] = (after & ~opens[:, late]).argmax(axis=0)
        lo[r0:r1] = np.take(flat_at, flat[best, k])
        hi[r0:r1] = np.take(flat_at, flat[close, k])
        # Two claims agree where two intervals open in a row: the coverage count first
        # reaches 2 right after two opening events (closing ones follow their openings;
        # empty slots sort after every opening).
        agree[r0:r1] = np.logical_or.reduce(opens[1:] & opens[:-1], axis=0)
    return lo, hi, agree


def _mend(flat_key: IntArray, flat_at: FloatArray, near: IntArray, cols: int,
          slot_mask: int) -> None:
    """Put right, in place, the sorted keys ``flat_key`` (rows of ``cols``) where
    bounds that differ only in the bits the slot replaced came out of slot order
    rather than bound order. ``near``: the positions ``p`` where the keys at ``p`` and
    ``p + 1`` differ only in the slot bits. Such neighbours form runs, each a run of
    one row's keys with the same high bits, whose place in the row is right; only the
    order within a run can be wrong. The runs with a pair out of order are sorted
    again by (bound, slot), all at once."""
    p = near[(near + 1) % cols != 0]  # pairs within a row
    if not len(p):
        return
    row = p // cols
    first = flat_at[row * cols + (flat_key[p] & slot_mask)]
    second = flat_at[row * cols + (flat_key[p + 1] & slot_mask)]
    bad = first > second  # -0.0 > 0.0 is false: equal, as they should be
    if not np.count_nonzero(bad):
        return
    run = np.cumsum(np.r_[True, p[1:] != p[:-1] + 1]) - 1  # each pair's run
    bad_run = np.zeros(int(run[-1]) + 1, bool)
    bad_run[run[bad]] = True
    p = p[bad_run[run]]
    q = np.union1d(p, p + 1)  # the positions in those runs, in order
    row = q // cols
    slot = flat_key[q] & slot_mask
    bound = flat_at[row * cols + slot] + 0.0  # -0.0 as 0.0
    order = np.lexsort((slot, bound, row))
    flat_key[q] = (flat_key[q] & ~slot_mask) | slot[order]


def _sweep_stable(segs: Segments, share: FloatArray, width: int) -> Sweep:
    """:func:`_sweep_padded` on a small matrix, in one piece: a stable argsort along
    the rows keeps lower bounds first at ties. (The original code, unchanged.)"""
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
