"""The ``crh`` strategy: Conflict Resolution on Heterogeneous data (Li et al., SIGMOD
2014) for numeric claims.

CRH alternates two steps over the whole batch until nothing changes:

1. with the estimates fixed, each source's loss is the *sum* of the deviations of its
   claims from them, and its weight is ``w_s = -log(loss_s / sum of all losses)``;
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
    WEIGHT_FLOOR,
    FloatArray,
    Problem,
    check_options,
    finish,
    learn,
)


def crh_kernel(
    segs: Segments,
    *,
    loss: str = "absolute",
    prior_claims: float = 1.0,
    max_iter: int = 100,
    tol: float = 1e-6,
    coverage: float = 0.5,
) -> Reduction:
    """CRH over every segment at once.

    :param loss: ``"absolute"`` (relative deviations; estimates are weighted medians)
        or ``"squared"`` (their squares; estimates are weighted means, which a vandal
        value can drag: use only on clean data).
    :param prior_claims: pseudo-claims each source starts with, at the batch's mean
        loss per claim, so a source whose claims all agree is not infinitely trusted.
    :param max_iter: the most weight updates.
    :param tol: stop when no estimate or weight moves by more than this relative
        difference.
    :param coverage: the share of the learned weight the range holds.
    """
    check_options("crh", max_iter=max_iter, tol=tol, coverage=coverage)
    if loss not in ("absolute", "squared"):
        raise ValueError(f"crh: loss must be 'absolute' or 'squared' (got {loss!r})")
    if not isinstance(prior_claims, (int, float)) or not prior_claims > 0:
        raise ValueError(f"crh: prior_claims must be > 0 (got {prior_claims!r})")
    p = Problem(segs)
    squared = loss == "squared"

    def source_weights(e: FloatArray) -> FloatArray:
        d = e * e if squared else e
        src_loss = np.bincount(p.src_contested, weights=d, minlength=p.n_src).astype(
            np.float64) + prior_claims * float(d.mean())
        total = float(src_loss[p.present].sum())
        if not total > 0:  # every contested claim agrees with its reference
            return np.ones(p.n_src)
        ratio = np.where(p.present, src_loss / total, 1.0)
        w = -np.log(np.maximum(ratio, np.finfo(np.float64).tiny))
        top = float(w[p.present].max())
        return np.maximum(w / top, WEIGHT_FLOOR) if top > 0 else np.ones(p.n_src)

    fit = learn(p, source_weights, how="mean" if squared else "median",
                max_iter=max_iter, tol=tol)
    return finish(segs, p, fit, coverage)


CRH = Strategy(
    name="crh",
    summary="Truth discovery (CRH): source weights from summed deviations across all "
    "variables; weighted medians.",
    kernel=crh_kernel,
    properties={"within_envelope", "accounts_for_all", "order_free", "idempotent",
                "scale_free"},
    options={"loss": "absolute", "prior_claims": 1.0,
             "max_iter": 100, "tol": 1e-6, "coverage": 0.5},
)


@hookimpl
def claimrecon_strategies() -> list[Strategy]:
    """Provide ``crh``."""
    return [CRH]
