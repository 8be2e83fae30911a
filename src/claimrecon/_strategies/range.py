"""The ``range`` strategy: the envelope of every claim."""

from __future__ import annotations

import numpy as np

from .._plugins import hookimpl
from .._strategy import Reduction, Segments, Strategy


def range_kernel(segs: Segments) -> Reduction:
    """The lowest lower and the highest upper; a value only when all claims share one."""
    lower = segs.min(segs.lower)
    upper = segs.max(segs.upper)
    vmin, vmax = segs.min(segs.value), segs.max(segs.value)  # NaN if any claim has none
    value = vmin.copy()
    value[vmin != vmax] = np.nan
    return Reduction(lower=lower, value=value, upper=upper, weight=segs.weight)


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
