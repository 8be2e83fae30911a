"""The ``truthfinder`` strategy: TruthFinder (Yin, Han and Yu, KDD 2007) for numeric
claims.

TruthFinder iterates between the *trustworthiness* ``t(s)`` of sources and the
*confidence* ``c(f)`` of the figures claimed. A figure's score sums the trust scores
``tau(s) = -ln(1 - t(s))`` of the sources claiming it; similar figures of the same
variable support each other and dissimilar ones compete (the *implication*
``sim(a, b) - base_sim``); a logistic function with dampening factor ``gamma`` turns
the adjusted score into a confidence; a source's trustworthiness is the mean
confidence of the figures it claims. The estimate is the most confident figure.

Numeric similarity: ``sim(a, b) = exp(-d(a, b) / scale)`` with ``d`` the relative
difference ``|a - b| / (|a| + |b|)``. By default ``scale`` is the median, over the
distinct figures of contested variables in the batch, of the relative difference to
the nearest other figure of the same variable: a rule that adapts to how close
competing figures typically are, and that vandal values (far from everything) cannot
stretch unless they make up half of all figures.

See :mod:`claimrecon._strategies._truth` for the rules shared with ``crh`` and
``catd`` (figures, contested variables, relative deviations, the range).
"""

from __future__ import annotations

import numpy as np

from .._plugins import hookimpl
from .._strategy import Reduction, Segments, Strategy
from ._truth import (
    TOLERANCE,
    WEIGHT_FLOOR,
    FloatArray,
    IntArray,
    Sorted,
    central_range,
    check_options,
    claim_figures,
    relative_deviation,
    reliability_by_code,
)

#: Each figure's similarity is summed over at most this many nearest distinct figures
#: on each side (all of them in a variable with up to 2 x NEIGHBOURS + 1 distinct
#: figures); the ``- base_sim`` part of the implication always covers every figure.
NEIGHBOURS = 64

#: Trustworthiness is kept below 1 so that ``-ln(1 - t)`` stays finite.
_T_MAX = 1.0 - 1e-12


def _facts(segs: Segments, by_value: Sorted) -> tuple[IntArray, IntArray, FloatArray]:
    """The distinct figures (facts) of each segment: each row's fact (``-1`` for rows
    without a figure), each fact's segment and figure, facts in (segment, figure)
    order."""
    n = segs.n
    order = by_value.order
    usable = by_value.usable[order]
    key = by_value.key
    seg = segs.segment[order]
    new = usable.copy()
    if n > 1:
        new[1:] &= (seg[1:] != seg[:-1]) | (key[1:] != key[:-1])
    fact_sorted = np.cumsum(new) - 1
    fact_of_row = np.full(n, -1, np.int64)
    fact_of_row[order[usable]] = fact_sorted[usable]
    first = np.flatnonzero(new)
    return fact_of_row, seg[first], key[first]


def _pairs(f_seg: IntArray) -> tuple[IntArray, IntArray]:
    """Ordered pairs (a, b), a != b, of facts of one segment within NEIGHBOURS places
    of each other in figure order."""
    nf = len(f_seg)
    a_parts: list[IntArray] = []
    b_parts: list[IntArray] = []
    for j in range(1, min(NEIGHBOURS, nf - 1) + 1):
        same = np.flatnonzero(f_seg[j:] == f_seg[:-j])
        if len(same) == 0:
            break
        a_parts += [same, same + j]
        b_parts += [same + j, same]
    if not a_parts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(a_parts), np.concatenate(b_parts)


def _nearest_scale(f_seg: IntArray, f_val: FloatArray) -> float:
    """The median, over figures that have a distinct neighbour in their variable, of
    the relative difference to the nearest one (1.0 when there are none).

    Nearest neighbours, not all pairs: a vandal's figure is far from every other, so
    it would weigh in every pair of its variable, but it is only one figure among
    the figures whose nearest distance is taken; the median stands until half of
    all figures are such outliers."""
    if len(f_seg) < 2:
        return 1.0
    same = f_seg[1:] == f_seg[:-1]
    gap = np.where(same, relative_deviation(f_val[1:], f_val[:-1]), np.inf)
    nearest = np.minimum(np.concatenate((gap, [np.inf])), np.concatenate(([np.inf], gap)))
    nearest = nearest[np.isfinite(nearest)]
    scale = float(np.median(nearest)) if len(nearest) else 1.0
    return scale if scale > 0 else 1.0


def truthfinder_kernel(
    segs: Segments,
    *,
    initial_trust: float = 0.9,
    gamma: float = 0.3,
    rho: float = 0.5,
    base_sim: float = 0.5,
    similarity_scale: float | None = None,
    max_iter: int = 1000,
    tol: float = 1e-6,
    coverage: float = 0.5,
) -> Reduction:
    """TruthFinder over every segment at once.

    :param initial_trust: every source's trustworthiness before the first iteration,
        and that of a source with no contested claim (the paper's 0.9).
    :param gamma: the dampening factor of the logistic confidence (the paper's 0.3).
    :param rho: the weight of implications between figures (the paper's 0.5).
    :param base_sim: the similarity at which one figure neither supports nor opposes
        another (the paper's 0.5).
    :param similarity_scale: the relative difference over which similarity decays by
        ``1/e``; ``None`` (default) takes the median, over distinct figures, of the
        relative difference to the nearest other figure of the same variable (1.0 if
        no variable has two distinct figures).
    :param max_iter: the most trust updates.
    :param tol: stop when no source's trustworthiness moves by more than this.
    :param coverage: the share of the learned weight the range holds.
    """
    check_options("truthfinder", max_iter=max_iter, tol=tol, coverage=coverage)
    for name, val, lo, hi in (("initial_trust", initial_trust, 0.0, 1.0),
                              ("base_sim", base_sim, 0.0, 1.0)):
        if not isinstance(val, (int, float)) or not lo < val < hi:
            raise ValueError(f"truthfinder: {name} must be in ({lo}, {hi}) (got {val!r})")
    for name, val in (("gamma", gamma), ("rho", rho)):
        if not isinstance(val, (int, float)) or not val >= 0:
            raise ValueError(f"truthfinder: {name} must be >= 0 (got {val!r})")
    if similarity_scale is not None and not (
        isinstance(similarity_scale, (int, float)) and similarity_scale > 0
    ):
        raise ValueError("truthfinder: similarity_scale must be > 0 or None "
                         f"(got {similarity_scale!r})")
    prior = segs.weight
    w_rel = prior / float(prior.max())  # scale-free: only ratios of prior weights count
    x = claim_figures(segs)
    has = ~np.isnan(x)
    n_fig = segs.sum(has)
    contested = np.repeat(n_fig >= 2, segs.counts) & has
    src = segs.source
    n_src = len(segs.sources)
    present = np.bincount(src, minlength=n_src) > 0
    by_value = Sorted(segs, x)
    fact_of_row, f_seg, f_val = _facts(segs, by_value)
    nf = len(f_val)
    pa, pb = _pairs(f_seg)
    d = relative_deviation(f_val[pa], f_val[pb])
    scale = similarity_scale
    if scale is None:
        scale = _nearest_scale(f_seg, f_val)
    sim = np.exp(-d / scale)

    rows = np.flatnonzero(has)
    r_fact, r_src, r_w = fact_of_row[rows], src[rows], w_rel[rows]
    c_rows = contested[rows]
    c_src = r_src[c_rows]
    n_contested = np.bincount(c_src, minlength=n_src)
    learns = n_contested > 0

    trust = np.full(n_src, float(initial_trust))
    conf = np.zeros(nf)

    def confidence(trust: FloatArray) -> FloatArray:
        tau = -np.log1p(-np.minimum(trust, _T_MAX))
        sigma = np.bincount(r_fact, weights=r_w * tau[r_src], minlength=nf)
        seg_total = np.bincount(f_seg, weights=sigma, minlength=segs.m)
        support = np.bincount(pa, weights=sigma[pb] * sim, minlength=nf)
        adjusted = sigma + rho * (support - base_sim * (seg_total[f_seg] - sigma))
        # The logistic function, written with tanh so that no score overflows exp.
        out: FloatArray = 0.5 * (1.0 + np.tanh(0.5 * gamma * adjusted))
        return out

    iterations, converged = 0, True
    if nf:
        conf = confidence(trust)
    if c_rows.any():
        converged = False
        c_fact = r_fact[c_rows]
        for _ in range(max_iter):
            iterations += 1
            mean_conf = np.bincount(c_src, weights=conf[c_fact], minlength=n_src) / np.maximum(
                n_contested, 1)
            new = np.where(learns, mean_conf, trust)
            change = float(np.abs(new - trust).max())
            trust = new
            conf = confidence(trust)
            if change <= tol:
                converged = True
                break

    # The estimate: the most confident figure of each segment (ties: the smallest).
    value = np.full(segs.m, np.nan)
    best_conf = np.full(segs.m, np.nan)
    if nf:
        f_counts = np.bincount(f_seg, minlength=segs.m)
        f_starts = np.zeros(segs.m + 1, np.int64)
        np.cumsum(f_counts, out=f_starts[1:])
        with_facts = f_counts > 0
        top = np.full(segs.m, -np.inf)
        top[with_facts] = np.maximum.reduceat(conf, f_starts[:-1][with_facts])
        is_top = np.flatnonzero(conf >= top[f_seg] * (1.0 - TOLERANCE))
        first = is_top[np.minimum(np.searchsorted(is_top, f_starts[:-1]), len(is_top) - 1)]
        value = np.where(with_facts, f_val[first], np.nan)
        best_conf = np.where(with_facts, conf[first], np.nan)

    # A claim's weight: its prior weight times the confidence of its figure (a claim
    # without a figure: times its source's trustworthiness).
    learned = np.where(has, conf[np.maximum(fact_of_row, 0)] if nf else 0.0, trust[src])
    weight = prior * np.maximum(learned, WEIGHT_FLOOR)
    lower, upper = central_range(segs, weight, value, coverage)
    return Reduction(
        lower=lower,
        value=value,
        upper=upper,
        weight=weight,
        diagnostics={"iterations": iterations, "converged": converged,
                     "similarity_scale": scale, "confidence": best_conf},
        source_reliability=reliability_by_code(n_src, present, trust),
    )


TRUTHFINDER = Strategy(
    name="truthfinder",
    summary="Truth discovery (TruthFinder): source trust and figure confidence "
    "reinforce each other; similar figures support each other.",
    kernel=truthfinder_kernel,
    properties={"within_envelope", "accounts_for_all", "order_free", "idempotent",
                "scale_free"},
    options={"initial_trust": 0.9, "gamma": 0.3, "rho": 0.5, "base_sim": 0.5,
             "similarity_scale": None, "max_iter": 1000, "tol": 1e-6, "coverage": 0.5},
)


@hookimpl
def claimrecon_strategies() -> list[Strategy]:
    """Provide ``truthfinder``."""
    return [TRUTHFINDER]
