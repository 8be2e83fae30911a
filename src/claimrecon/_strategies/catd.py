"""The ``catd`` strategy: Confidence-Aware Truth Discovery (Li et al., VLDB 2015) for
numeric claims.

CATD treats a source's errors as draws with an unknown scale and weights the source
by the reciprocal of an *upper confidence bound* on that scale. The paper assumes
normal errors (``errors="normal"``, the default): the sum of a source's ``n`` squared
errors is ``sigma^2 chi2(n)``, so

.. code-block:: text

    w_s = chi2_quantile(alpha / 2, n_s) / (sum of the source's squared errors)

With ``errors="laplace"`` it is the same bound for Laplace errors, the model
under which the weighted *median* is the maximum-likelihood estimate (as the weighted
mean is under normal errors): the sum of ``n`` absolute errors is ``b Gamma(n)``, so
``2 sum / b`` is ``chi2(2n)``, and

.. code-block:: text

    w_s = chi2_quantile(alpha / 2, 2 n_s) / (2 x sum of the source's absolute errors)

Its weights fall as the reciprocal of the error scale rather than of its square, so
they are less steep: a source ten times noisier gets about a tenth of the weight, not
a hundredth.

Either way a source with few claims has a wide interval, so a small lower quantile,
so a small weight even if its few claims happened to agree: the long tail of
occasional sources is not over-trusted. Estimates are weighted medians of the claimed
figures by default (robust; the paper's weighted mean is available as
``estimate="mean"``). Errors are deviations normalised by the standard deviation of
the variable's figures (``deviation="spread"``, the default: the normalisation of
continuous losses in CRH, which CATD builds on) or relative differences
(``deviation="relative"``).

See :mod:`claimrecon._strategies._truth` for the rules shared with ``crh`` and
``truthfinder`` (figures, contested variables, relative deviations, the range).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .._plugins import hookimpl
from .._strategy import Reduction, Segments, Strategy
from ._truth import (
    DEVIATIONS,
    METHODS,
    WEIGHT_FLOOR,
    FloatArray,
    Learned,
    Losses,
    Method,
    ProblemShard,
    Shards,
    check_options,
    chi2_lower_quantile,
    finish,
    is_number,
    learn,
    problem_counts,
    run_method,
)


def catd_kernel(
    segs: Segments,
    *,
    alpha: float = 0.05,
    errors: str = "normal",
    deviation: str = "spread",
    estimate: str = "median",
    prior_claims: float = 1.0,
    max_iter: int = 100,
    tol: float = 1e-6,
    coverage: float = 0.5,
) -> Reduction:
    """CATD over every segment at once.

    :param alpha: the significance level of the variance bound (the paper's 0.05:
        a 95% interval, whose lower ``alpha / 2`` chi-square quantile is used).
    :param errors: ``"normal"`` (squared errors, ``n_s`` degrees of freedom, as in
        the paper) or ``"laplace"`` (absolute errors, ``2 n_s`` degrees of freedom:
        the error model of the weighted median; gentler weights).
    :param deviation: ``"spread"`` (absolute difference over the standard deviation
        of the variable's figures) or ``"relative"`` (``|a - b| / (|a| + |b|)``).
    :param estimate: ``"median"`` (weighted medians, robust) or ``"mean"`` (weighted
        means, as in the paper; a vandal value can drag them).
    :param prior_claims: pseudo-claims each source starts with, at the batch's mean
        (absolute or squared) error, counted in the degrees of freedom too; a source
        with no contested claim gets the weight these alone give.
    :param max_iter: the most weight updates.
    :param tol: stop when no estimate or weight moves by more than this relative
        difference.
    :param coverage: the share of the learned weight the range holds.
    """
    options = {"alpha": alpha, "errors": errors, "deviation": deviation,
               "estimate": estimate, "prior_claims": prior_claims, "max_iter": max_iter,
               "tol": tol, "coverage": coverage}
    _check(options)
    return run_method(CATD_METHOD, segs, options)


def _check(options: Mapping[str, Any]) -> None:
    check_options("catd", max_iter=options["max_iter"], tol=options["tol"],
                  coverage=options["coverage"])
    estimate, errors, deviation = options["estimate"], options["errors"], options["deviation"]
    alpha, prior_claims = options["alpha"], options["prior_claims"]
    if estimate not in ("median", "mean"):
        raise ValueError(f"catd: estimate must be 'median' or 'mean' (got {estimate!r})")
    if errors not in ("laplace", "normal"):
        raise ValueError(f"catd: errors must be 'laplace' or 'normal' (got {errors!r})")
    if deviation not in DEVIATIONS:
        raise ValueError(f"catd: deviation must be 'spread' or 'relative' (got {deviation!r})")
    if not is_number(alpha) or not 0 < alpha < 1:
        raise ValueError(f"catd: alpha must be in (0, 1) (got {alpha!r})")
    if not is_number(prior_claims) or not prior_claims > 0:
        raise ValueError(f"catd: prior_claims must be a finite number > 0 (got {prior_claims!r})")


def _make(segs: Segments, **options: Any) -> ProblemShard:
    return ProblemShard(segs)


def _fit(shards: Shards, *, alpha: float, errors: str, deviation: str, estimate: str,
         prior_claims: float, max_iter: int, tol: float, coverage: float) -> Learned:
    """The CATD weights over every shard."""
    counts = problem_counts(shards)
    present = counts.present
    laplace = errors == "laplace"
    # The chi-square quantile depends only on the claim counts: once per fit.
    q = chi2_lower_quantile(alpha / 2.0,
                            (counts.n_claims + prior_claims) * (2 if laplace else 1))

    def source_weights(losses: Losses) -> FloatArray:
        mean_d = losses.total / losses.count
        if not mean_d > 0:  # every contested claim agrees: the bound's numerator only
            return np.maximum(q / float(q[present].max()), WEIGHT_FLOOR)
        # (The factor 2 of the Laplace bound is common to all: the scaling drops it.)
        w = q / (losses.by_source + prior_claims * mean_d)
        return np.maximum(w / float(w[present].max()), WEIGHT_FLOOR)

    return learn(shards, source_weights, counts=counts, how=estimate, max_iter=max_iter,
                 tol=tol, deviation=deviation, power=1 if laplace else 2)


def _finish(shard: ProblemShard, fit: Learned, truth: FloatArray | None, *, estimate: str,
            coverage: float, **options: Any) -> Reduction:
    return finish(shard, fit, truth, how=estimate, coverage=coverage)


CATD_METHOD = Method(name="catd", make=_make, fit=_fit, finish=_finish, options=_check)
METHODS[catd_kernel] = CATD_METHOD


CATD = Strategy(
    name="catd",
    summary="Truth discovery (CATD): source weights from a confidence bound on their "
    "error, so few-claim sources are not over-trusted.",
    kernel=catd_kernel,
    properties={"within_envelope", "accounts_for_all", "order_free", "idempotent",
                "scale_free"},
    options={"alpha": 0.05, "errors": "normal", "deviation": "spread",
             "estimate": "median", "prior_claims": 1.0, "max_iter": 100, "tol": 1e-6,
             "coverage": 0.5},
)


@hookimpl
def claimrecon_strategies() -> list[Strategy]:
    """Provide ``catd``."""
    return [CATD]
