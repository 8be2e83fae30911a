"""The ``trimmed`` strategy: drop the extreme figures, average the rest."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

import claimrecon as cr

__all__ = ["TRIMMED", "claimrecon_strategies", "trimmed"]


def _figure(q: cr.Quantity) -> float | None:
    if q.value is not None:
        return q.value
    return q.midpoint


def trimmed(
    claims: Sequence[cr.Claim], weights: npt.NDArray[np.float64], *, trim: int = 1
) -> cr.Outcome:
    """Set aside the ``trim`` claims with the lowest and the ``trim`` with the highest
    figure (a claim's value, else its midpoint), as long as at least one claim is left;
    the weighted mean of the kept figures is the value and the envelope of the kept
    claims the range. Claims with no figure (open ranges without a value) are excluded.
    Among equal figures, the bounds, then the weight, then what else the claims state
    (source, dates, document...) decide which are trimmed.

    :param claims: one variable's usable claims.
    :param weights: their weights.
    :param trim: how many claims to drop at each end.
    """
    if isinstance(trim, bool) or not isinstance(trim, int | np.integer) or trim < 0:
        raise ValueError(f"trim must be a whole number >= 0 (got {trim!r})")
    figures = [_figure(c.quantity) for c in claims]
    excluded = {
        i: "states no figure (an open range without a value)"
        for i, f in enumerate(figures) if f is None
    }
    def rank(item: tuple[int, float]) -> tuple[float, float, float, float, str]:
        # Equal figures: by the bounds (open sides outermost), then by weight, then by
        # the claim's repr (all it states, so two claims that tie there are alike);
        # never by input order, so that neither the figures nor which claims are
        # trimmed depend on it.
        i, figure = item
        q = claims[i].quantity
        lower = -np.inf if q.lower is None else q.lower
        upper = np.inf if q.upper is None else q.upper
        return figure, lower, upper, float(weights[i]), repr(claims[i])

    ranked = [i for i, _ in sorted(
        ((i, f) for i, f in enumerate(figures) if f is not None), key=rank)]
    if not ranked:
        return cr.Outcome(lower=None, value=None, upper=None, excluded=excluded)
    cut = min(trim, (len(ranked) - 1) // 2)
    kept = ranked[cut : len(ranked) - cut]
    for i in ranked[:cut]:
        excluded[i] = f"trimmed: among the {cut} lowest figures"
    for i in ranked[len(ranked) - cut :]:
        excluded[i] = f"trimmed: among the {cut} highest figures"
    w = np.array([weights[i] for i in kept])
    f = np.array([figures[i] for i in kept], dtype=np.float64)
    # The weighted mean of figures and weights scaled by powers of two, below 1 (exact
    # scaling, so the same bits as unscaled where that does not overflow): no product
    # or sum overflows, however large the figures (1e308 and 1.5e308 averaged to inf).
    fexp = math.frexp(float(np.abs(f).max()))[1]
    wexp = math.frexp(float(w.max()))[1]
    fs, ws = np.ldexp(f, -fexp), np.ldexp(w, -wexp)
    with np.errstate(over="ignore"):  # (a mean rounded past the largest float: clipped)
        mean = np.ldexp((ws * fs).sum() / ws.sum(), fexp)
    value = float(np.clip(mean, f.min(), f.max()))
    lowers = [claims[i].quantity.lower for i in kept]
    uppers = [claims[i].quantity.upper for i in kept]
    lower = None if any(x is None for x in lowers) else min(x for x in lowers if x is not None)
    upper = None if any(x is None for x in uppers) else max(x for x in uppers if x is not None)
    if lower is not None:
        value = max(value, lower)
    if upper is not None:
        value = min(value, upper)
    return cr.Outcome(lower=lower, value=value, upper=upper, excluded=excluded)


TRIMMED = cr.Strategy(
    name="trimmed",
    summary="Drops the lowest and highest figure, then the weighted mean of the rest.",
    function=trimmed,
    options={"trim": 1},
)


@cr.hookimpl
def claimrecon_strategies() -> list[cr.Strategy]:
    """Provide ``trimmed``."""
    return [TRIMMED]
