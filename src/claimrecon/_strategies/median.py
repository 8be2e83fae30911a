"""The ``median`` strategy: weighted lower medians, robust to vandal values."""

from __future__ import annotations

import numpy as np

from .._plugins import hookimpl
from .._strategy import Reduction, Segments, Strategy
from ._kernels import lower_medians


def median_kernel(segs: Segments) -> Reduction:
    """Weighted lower medians of the lowers, of the uppers and of the stated values,
    the value clamped into the range. The value is always a figure some claim states;
    when no claim states one, there is none."""
    w = segs.weight
    figures = segs.matrix("lower", "upper", "value")
    lower, upper, value = lower_medians(segs, figures, w, scratch=True)
    upper = np.maximum(upper, lower)
    value = np.minimum(np.maximum(value, lower), upper)  # NaN (no value) stays NaN
    return Reduction(lower=lower, value=value, upper=upper, weight=w)


MEDIAN = Strategy(
    name="median",
    summary="Weighted lower medians: always a claimed figure; one vandal value cannot move it.",
    kernel=median_kernel,
)


@hookimpl
def claimrecon_strategies() -> list[Strategy]:
    """Provide ``median``."""
    return [MEDIAN]
