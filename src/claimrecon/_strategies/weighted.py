"""The ``weighted`` strategy: weighted means of bounds and values."""

from __future__ import annotations

from .._plugins import hookimpl
from .._strategy import Reduction, Segments, Strategy
from ._kernels import weighted_bounds


def weighted_kernel(segs: Segments) -> Reduction:
    """Weighted means of the lowers, of the uppers and of the values."""
    lower, value, upper = weighted_bounds(segs, segs.weight)
    return Reduction(lower=lower, value=value, upper=upper, weight=segs.weight)


WEIGHTED = Strategy(
    name="weighted",
    summary="Weighted means of the lower bounds, upper bounds and values (by source weight).",
    kernel=weighted_kernel,
    grouped=False,
)


@hookimpl
def claimrecon_strategies() -> list[Strategy]:
    """Provide ``weighted``."""
    return [WEIGHTED]
