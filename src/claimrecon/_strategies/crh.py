"""The ``crh`` strategy: Conflict Resolution on Heterogeneous data (Li et al., SIGMOD
2014) for numeric claims.

CRH alternates two steps over the whole batch until nothing changes:

1. with the estimates fixed, each source's loss is the *mean* deviation of its
   contested claims from them (shrunk towards the batch's mean by ``prior_claims``
   pseudo-claims), and its weight is ``w_s = -log(loss_s / sum of all losses)``;
2. with the weights fixed, each estimate minimises the weighted loss: the weighted
   median of the claimed figures for the absolute loss (the default: always a claimed
   figure, robust to vandal values), the weighted mean for the squared loss.

A deviation is, as in the paper for continuous data, the absolute difference divided
by the standard deviation of the variable's figures (``deviation="spread"``), or the
library's relative difference (``deviation="relative"``). The paper sums the
deviations of a source (``aggregate="sum"``); a sum grows with the number of claims,
so on long-tailed data it distrusts prolific sources for their volume and trusts
one-claim sources most. The default ``aggregate="mean"`` judges each source by its
loss per claim instead.

See :mod:`claimrecon._strategies._truth` for the rules shared with ``catd`` and
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
    finish,
    is_number,
    learn,
    problem_counts,
    run_method,
)


def crh_kernel(
    segs: Segments,
    *,
    loss: str = "absolute",
    aggregate: str = "mean",
    deviation: str = "spread",
    prior_claims: float = 1.0,
    max_iter: int = 100,
    tol: float = 1e-6,
    coverage: float = 0.5,
) -> Reduction:
    """CRH over every segment at once.

    :param loss: ``"absolute"`` (the deviations; estimates are weighted medians) or
        ``"squared"`` (their squares; estimates are weighted means, which a vandal
        value can drag: use only on clean data).
    :param aggregate: ``"mean"`` (a source's loss is its mean loss per contested
        claim, with the pseudo-claims: ``(sum + prior_claims x batch mean) / (n +
        prior_claims)``) or ``"sum"`` (the paper's summed loss, plus the
        pseudo-claims), which distrusts sources for making many claims.
    :param deviation: ``"spread"`` (absolute difference over the standard deviation
        of the variable's figures, as in the paper) or ``"relative"``
        (``|a - b| / (|a| + |b|)``).
    :param prior_claims: pseudo-claims each source starts with, at the batch's mean
        loss per claim, so a source whose claims all agree is not infinitely trusted.
    :param max_iter: the most weight updates.
    :param tol: stop when no estimate or weight moves by more than this relative
        difference.
    :param coverage: the share of the learned weight the range holds.
    """
    options = {"loss": loss, "aggregate": aggregate, "deviation": deviation,
               "prior_claims": prior_claims, "max_iter": max_iter, "tol": tol,
               "coverage": coverage}
    _check(options)
    return run_method(CRH_METHOD, segs, options)


def _check(options: Mapping[str, Any]) -> None:
    check_options("crh", max_iter=options["max_iter"], tol=options["tol"],
                  coverage=options["coverage"])
    loss, aggregate, deviation = options["loss"], options["aggregate"], options["deviation"]
    prior_claims = options["prior_claims"]
    if loss not in ("absolute", "squared"):
        raise ValueError(f"crh: loss must be 'absolute' or 'squared' (got {loss!r})")
    if aggregate not in ("mean", "sum"):
        raise ValueError(f"crh: aggregate must be 'mean' or 'sum' (got {aggregate!r})")
    if deviation not in DEVIATIONS:
        raise ValueError(f"crh: deviation must be 'spread' or 'relative' (got {deviation!r})")
    if not is_number(prior_claims) or not prior_claims > 0:
        raise ValueError(f"crh: prior_claims must be a finite number > 0 (got {prior_claims!r})")


def _make(segs: Segments, **options: Any) -> ProblemShard:
    return ProblemShard(segs)


def _fit(shards: Shards, *, loss: str, aggregate: str, deviation: str, prior_claims: float,
         max_iter: int, tol: float, coverage: float) -> Learned:
    """The CRH weights over every shard."""
    counts = problem_counts(shards)
    n_claims, present = counts.n_claims, counts.present
    squared = loss == "squared"
    per_claim = aggregate == "mean"

    def source_weights(losses: Losses) -> FloatArray:
        src_loss = losses.by_source + prior_claims * (losses.total / losses.count)
        if per_claim:
            src_loss = src_loss / (n_claims + prior_claims)
        total = float(src_loss[present].sum())
        n_src = len(present)
        if not total > 0:  # every contested claim agrees with its reference
            return np.ones(n_src)
        ratio = np.where(present, src_loss / total, 1.0)
        w = -np.log(np.maximum(ratio, np.finfo(np.float64).tiny))
        top = float(w[present].max())
        return np.maximum(w / top, WEIGHT_FLOOR) if top > 0 else np.ones(n_src)

    return learn(shards, source_weights, counts=counts, how="mean" if squared else "median",
                 max_iter=max_iter, tol=tol, deviation=deviation, power=2 if squared else 1)


def _finish(shard: ProblemShard, fit: Learned, truth: FloatArray | None, *, loss: str,
            coverage: float, **options: Any) -> Reduction:
    return finish(shard, fit, truth, how="mean" if loss == "squared" else "median",
                  coverage=coverage)


CRH_METHOD = Method(name="crh", make=_make, fit=_fit, finish=_finish, options=_check)
METHODS[crh_kernel] = CRH_METHOD


CRH = Strategy(
    name="crh",
    summary="Truth discovery (CRH): source weights from each source's mean deviation "
    "across all variables; weighted medians.",
    kernel=crh_kernel,
    properties={"within_envelope", "accounts_for_all", "order_free", "idempotent",
                "scale_free"},
    options={"loss": "absolute", "aggregate": "mean", "deviation": "spread",
             "prior_claims": 1.0,
             "max_iter": 100, "tol": 1e-6, "coverage": 0.5},
)


@hookimpl
def claimrecon_strategies() -> list[Strategy]:
    """Provide ``crh``."""
    return [CRH]
