"""The ``crh`` strategy: Conflict Resolution on Heterogeneous data (Li et al., SIGMOD
2014) for numeric claims.

CRH alternates two steps over the whole batch until the estimates stop changing:

1. with the estimates fixed, each source's loss is the sum of the normalised
   deviations of its claims from them, and its weight is
   ``w_s = -log(loss_s / sum of all sources' losses)``;
2. with the weights fixed, each estimate minimises the weighted loss: the weighted
   median of the claimed figures for the absolute loss (the default: always a claimed
   figure, robust to vandal values), the weighted mean for the squared loss.

See :mod:`claimrecon._strategies._truth` for the rules shared with ``catd`` and
``truthfinder`` (figures, contested variables, relative deviations, the range).
"""

from __future__ import annotations

import numpy as np

from .._plugins import hookimpl
from .._strategy import Reduction, Segments, Strategy
from ._truth import (
    FloatArray,
    Sorted,
    central_range,
    check_options,
    claim_figures,
    relative_deviation,
    reliability_by_code,
    weighted_mean,
)

#: Learned weights never fall below this share of the largest (a claim always counts).
WEIGHT_FLOOR = 1e-12


def truth_change(old: FloatArray, new: FloatArray) -> float:
    """The largest relative change between two sets of estimates (``NaN`` = none)."""
    both = ~np.isnan(old) & ~np.isnan(new)
    if not both.any():
        return 0.0
    return float(relative_deviation(old[both], new[both]).max())


def crh_kernel(
    segs: Segments,
    *,
    loss: str = "absolute",
    max_iter: int = 100,
    tol: float = 1e-6,
    prior_claims: float = 1.0,
    coverage: float = 0.5,
) -> Reduction:
    """CRH over every segment at once.

    :param loss: ``"absolute"`` (deviations; estimates are weighted medians) or
        ``"squared"`` (squared deviations; estimates are weighted means, which a vandal
        value can drag: use only on clean data).
    :param max_iter: the most weight updates.
    :param tol: stop when no estimate moves by more than this relative difference.
    :param prior_claims: pseudo-claims each source starts with, at the batch's mean
        loss per claim, so a source with no or few contested claims is neither
        infinitely trusted (loss 0) nor ignored.
    :param coverage: the share of the learned weight the range holds.
    """
    check_options("crh", max_iter=max_iter, tol=tol, coverage=coverage)
    if loss not in ("absolute", "squared"):
        raise ValueError(f"crh: loss must be 'absolute' or 'squared' (got {loss!r})")
    if not prior_claims > 0:
        raise ValueError(f"crh: prior_claims must be > 0 (got {prior_claims!r})")
    prior = segs.weight
    x = claim_figures(segs)
    has = ~np.isnan(x)
    n_fig = segs.sum(has)
    contested = np.repeat(n_fig >= 2, segs.counts) & has
    src = segs.source
    n_src = len(segs.sources)
    present = np.bincount(src, minlength=n_src) > 0
    by_value = Sorted(segs, x)

    def estimate(w: FloatArray) -> FloatArray:
        if loss == "absolute":
            return by_value.quantile(w, 0.5)
        return weighted_mean(segs, x, w)

    truth = estimate(prior)
    w_src = np.ones(n_src)
    iterations, converged = 0, True
    if contested.any():
        converged = False
        xc, cc, sc = x[contested], segs.segment[contested], src[contested]
        for _ in range(max_iter):
            iterations += 1
            e = relative_deviation(xc, truth[cc])
            if loss == "squared":
                e = e * e
            mean_e = float(e.mean())
            src_loss = np.bincount(sc, weights=e, minlength=n_src) + prior_claims * mean_e
            total = float(src_loss[present].sum())
            if total > 0:
                ratio = np.where(present, src_loss / total, 1.0)
                w_src = -np.log(np.maximum(ratio, np.finfo(float).tiny))
                top = float(w_src[present].max())
                w_src = np.maximum(w_src, WEIGHT_FLOOR * top) if top > 0 else np.ones(n_src)
            else:  # every contested claim agrees with its estimate: all equal
                w_src = np.ones(n_src)
            new = estimate(prior * w_src[src])
            change = truth_change(truth, new)
            truth = new
            if change <= tol:
                converged = True
                break
    weight = prior * w_src[src]
    lower, upper = central_range(segs, weight, truth, coverage)
    top = float(w_src[present].max()) if present.any() else 1.0
    return Reduction(
        lower=lower,
        value=truth,
        upper=upper,
        weight=weight,
        diagnostics={"iterations": iterations, "converged": converged},
        source_reliability=reliability_by_code(n_src, present, w_src / top),
    )


CRH = Strategy(
    name="crh",
    summary="Truth discovery (CRH): learns source weights from deviations across all "
    "variables; weighted medians.",
    kernel=crh_kernel,
    properties={"within_envelope", "accounts_for_all", "order_free", "idempotent",
                "scale_free"},
    options={"loss": "absolute", "max_iter": 100, "tol": 1e-6, "prior_claims": 1.0,
             "coverage": 0.5},
)


@hookimpl
def claimrecon_strategies() -> list[Strategy]:
    """Provide ``crh``."""
    return [CRH]
