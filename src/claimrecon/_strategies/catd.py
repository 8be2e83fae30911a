"""The ``catd`` strategy: Confidence-Aware Truth Discovery (Li et al., VLDB 2015) for
numeric claims.

CATD treats a source's errors as draws with an unknown variance and weights the
source by the reciprocal of an *upper confidence bound* on that variance:

.. code-block:: text

    w_s = chi2_quantile(alpha / 2, n_s) / (sum of the source's squared errors)

A source with few claims has a wide interval, so a small lower quantile, so a small
weight even if its few claims happened to agree: the long tail of occasional sources
is not over-trusted. Estimates are weighted medians of the claimed figures by default
(robust; the paper's weighted mean is available as ``estimate="mean"``).

See :mod:`claimrecon._strategies._truth` for the rules shared with ``crh`` and
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
    chi2_lower_quantile,
    claim_figures,
    relative_deviation,
    reliability_by_code,
    weighted_mean,
)
from .crh import WEIGHT_FLOOR, truth_change


def catd_kernel(
    segs: Segments,
    *,
    alpha: float = 0.05,
    estimate: str = "median",
    max_iter: int = 100,
    tol: float = 1e-6,
    prior_claims: float = 1.0,
    coverage: float = 0.5,
) -> Reduction:
    """CATD over every segment at once.

    :param alpha: the significance level of the variance bound (the paper's 0.05:
        a 95% interval, whose lower ``alpha / 2`` chi-square quantile is used).
    :param estimate: ``"median"`` (weighted medians, robust) or ``"mean"`` (weighted
        means, as in the paper; a vandal value can drag them).
    :param max_iter: the most weight updates.
    :param tol: stop when no estimate moves by more than this relative difference.
    :param prior_claims: pseudo-claims each source starts with, at the batch's mean
        squared error, counted in the degrees of freedom too; a source with no
        contested claim gets the weight these alone give.
    :param coverage: the share of the learned weight the range holds.
    """
    check_options("catd", max_iter=max_iter, tol=tol, coverage=coverage)
    if estimate not in ("median", "mean"):
        raise ValueError(f"catd: estimate must be 'median' or 'mean' (got {estimate!r})")
    if not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
        raise ValueError(f"catd: alpha must be in (0, 1) (got {alpha!r})")
    if not prior_claims > 0:
        raise ValueError(f"catd: prior_claims must be > 0 (got {prior_claims!r})")
    prior = segs.weight
    x = claim_figures(segs)
    has = ~np.isnan(x)
    n_fig = segs.sum(has)
    contested = np.repeat(n_fig >= 2, segs.counts) & has
    src = segs.source
    n_src = len(segs.sources)
    present = np.bincount(src, minlength=n_src) > 0
    by_value = Sorted(segs, x)

    def combine(w: FloatArray) -> FloatArray:
        if estimate == "median":
            return by_value.quantile(w, 0.5)
        return weighted_mean(segs, x, w)

    truth = combine(prior)
    w_src = np.ones(n_src)
    iterations, converged = 0, True
    if contested.any():
        converged = False
        xc, cc, sc = x[contested], segs.segment[contested], src[contested]
        n_claims = np.bincount(sc, minlength=n_src).astype(np.float64)
        # The chi-square quantile depends only on the claim count: once per call.
        q = chi2_lower_quantile(alpha / 2.0, n_claims + prior_claims)
        for _ in range(max_iter):
            iterations += 1
            e = relative_deviation(xc, truth[cc])
            e2 = e * e
            mean_e2 = float(e2.mean())
            ss = np.bincount(sc, weights=e2, minlength=n_src) + prior_claims * mean_e2
            if mean_e2 > 0:  # then every source's sum is at least the pseudo-claims'
                w_src = q / ss
                w_src = np.maximum(w_src / float(w_src[present].max()), WEIGHT_FLOOR)
            else:  # every contested claim agrees with its estimate: by the bound alone
                w_src = q / float(q[present].max())
            new = combine(prior * w_src[src])
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


CATD = Strategy(
    name="catd",
    summary="Truth discovery (CATD): source weights from a confidence bound on their "
    "error, so few-claim sources are not over-trusted.",
    kernel=catd_kernel,
    properties={"within_envelope", "accounts_for_all", "order_free", "idempotent",
                "scale_free"},
    options={"alpha": 0.05, "estimate": "median", "max_iter": 100, "tol": 1e-6,
             "prior_claims": 1.0, "coverage": 0.5},
)


@hookimpl
def claimrecon_strategies() -> list[Strategy]:
    """Provide ``catd``."""
    return [CATD]
