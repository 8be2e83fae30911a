"""The ``range`` strategy: the envelope of every claim."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .._plugins import hookimpl
from .._strategy import Reduction, Segments, Strategy, extreme_at


def range_kernel(segs: Segments) -> Reduction:
    """The lowest lower and the highest upper; a value only when all claims share one."""
    lower = segs.min(segs.lower)
    upper = segs.max(segs.upper)
    if segs.grouped or segs._conflict is None:
        vmin, vmax = segs.min(segs.value), segs.max(segs.value)  # NaN if any has none
    else:
        # A value every claim shares lies in every claim's range, so only segments
        # whose claims overlap can have one: when the engine already knows which those
        # are, only their rows are read.
        vmin, vmax = _overlapping_values(segs, ~segs.conflict)
    value = vmin.copy()
    value[vmin != vmax] = np.nan
    return Reduction(lower=lower, value=value, upper=upper, weight=segs.weight)


def _overlapping_values(segs: Segments, overlap: npt.NDArray[np.bool_]) -> tuple[
        npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The lowest and highest value of each segment in ``overlap`` (NaN elsewhere)."""
    n_overlap = int(np.count_nonzero(overlap))
    if n_overlap == segs.m:
        return segs.min(segs.value), segs.max(segs.value)
    vmin = np.full(segs.m, np.nan)
    vmax = vmin.copy()
    if n_overlap:
        rows = np.flatnonzero(overlap[segs.segment])
        seg, value = segs.segment[rows], segs.value[rows]
        vmin[overlap] = extreme_at(np.minimum, value, seg, segs.m)[overlap]
        vmax[overlap] = extreme_at(np.maximum, value, seg, segs.m)[overlap]
    return vmin, vmax


RANGE = Strategy(
    name="range",
    summary="The envelope: lowest lower to highest upper; a value only if all claims share one.",
    kernel=range_kernel,
    grouped=False,
)


@hookimpl
def claimrecon_strategies() -> list[Strategy]:
    """Provide ``range``."""
    return [RANGE]
