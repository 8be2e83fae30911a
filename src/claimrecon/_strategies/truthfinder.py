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

from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np

from .._plugins import hookimpl
from .._strategy import Reduction, Segments, Strategy
from ._kernels import midpoint_or_value
from ._truth import (
    METHODS,
    TOLERANCE,
    WEIGHT_FLOOR,
    BoolArray,
    FloatArray,
    IntArray,
    Method,
    Shard,
    Shards,
    Sorted,
    central_range,
    check_options,
    is_number,
    relative_deviation,
    reliability_by_code,
    run_method,
    shard_median,
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


def _nearest(f_seg: IntArray, f_val: FloatArray) -> FloatArray:
    """For each figure that has a distinct neighbour in its variable, the relative
    difference to the nearest one.

    Nearest neighbours, not all pairs: a vandal's figure is far from every other, so
    it would weigh in every pair of its variable, but it is only one figure among
    the figures whose nearest distance is taken; the median of these (the default
    similarity scale) stands until half of all figures are such outliers."""
    if len(f_seg) < 2:
        return np.zeros(0)
    same = f_seg[1:] == f_seg[:-1]
    gap = np.where(same, relative_deviation(f_val[1:], f_val[:-1]), np.inf)
    nearest = np.minimum(np.concatenate((gap, [np.inf])), np.concatenate(([np.inf], gap)))
    out: FloatArray = nearest[np.isfinite(nearest)]
    return out


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
    options = {"initial_trust": initial_trust, "gamma": gamma, "rho": rho,
               "base_sim": base_sim, "similarity_scale": similarity_scale,
               "max_iter": max_iter, "tol": tol, "coverage": coverage}
    _check(options)
    return run_method(TRUTHFINDER_METHOD, segs, options)


def _check(options: Mapping[str, Any]) -> None:
    check_options("truthfinder", max_iter=options["max_iter"], tol=options["tol"],
                  coverage=options["coverage"])
    for name, lo, hi in (("initial_trust", 0.0, 1.0), ("base_sim", 0.0, 1.0)):
        val = options[name]
        if not is_number(val) or not lo < val < hi:
            raise ValueError(f"truthfinder: {name} must be in ({lo}, {hi}) (got {val!r})")
    for name in ("gamma", "rho"):
        val = options[name]
        if not is_number(val) or not val >= 0:
            raise ValueError(f"truthfinder: {name} must be a finite number >= 0 (got {val!r})")
    similarity_scale = options["similarity_scale"]
    if similarity_scale is not None and not (
        is_number(similarity_scale) and similarity_scale > 0
    ):
        raise ValueError("truthfinder: similarity_scale must be a finite number > 0 or None "
                         f"(got {similarity_scale!r})")


class _Shard(Shard):
    """A shard's figures (facts), the pairs of facts that imply each other, and which
    claims are contested: all that does not change between iterations."""

    def __init__(self, segs: Segments) -> None:
        super().__init__(segs)
        self.prior = segs.weight
        self.prior_max = float(self.prior.max())
        x = midpoint_or_value(segs)
        self.has: BoolArray = ~np.isnan(x)
        contested = np.repeat(segs.sum(self.has) >= 2, segs.counts) & self.has
        self.src_present: BoolArray = np.bincount(segs.source, minlength=len(segs.sources)) > 0
        self.fact_of_row, self.f_seg, self.f_val = _facts(segs, Sorted(segs, x))
        self.nf = len(self.f_val)
        self.pa, self.pb = _pairs(self.f_seg)
        self.d = relative_deviation(self.f_val[self.pa], self.f_val[self.pb])
        self.nearest = _nearest(self.f_seg, self.f_val)
        rows = np.flatnonzero(self.has)
        self.rows = rows
        self.r_fact, self.r_src = self.fact_of_row[rows], segs.source[rows]
        c_rows = contested[rows]
        self.c_src: IntArray = self.r_src[c_rows]
        self.c_fact: IntArray = self.r_fact[c_rows]
        self._sim: tuple[float, FloatArray] | None = None
        self._row_weight: tuple[float, FloatArray] | None = None

    def similarity(self, scale: float) -> FloatArray:
        """``exp(-d / scale)`` of each pair (kept for the fit's one scale)."""
        if self._sim is None or self._sim[0] != scale:
            self._sim = (scale, np.exp(-self.d / scale))
        return self._sim[1]

    def row_weight(self, prior_max: float) -> FloatArray:
        """The prior weights of the rows with a figure, over the fit's largest one
        (scale-free: only ratios of prior weights count)."""
        if self._row_weight is None or self._row_weight[0] != prior_max:
            self._row_weight = (prior_max, (self.prior / prior_max)[self.rows])
        return self._row_weight[1]


@attrs.frozen
class _Constants:
    n_contested: FloatArray  # contested claims per source of the fit
    present: BoolArray
    prior_max: float


def _constants(shard: _Shard, carry: Any) -> tuple[Any, _Constants]:
    return carry, _Constants(shard.by_source(shard.c_src), shard.present(shard.src_present),
                             shard.prior_max)


def _add_constants(a: _Constants, b: _Constants) -> _Constants:
    return _Constants(a.n_contested + b.n_contested, a.present | b.present,
                      max(a.prior_max, b.prior_max))


def _confidence(
    shard: _Shard, carry: Any, trust: FloatArray, scale: float, prior_max: float,
    gamma: float, rho: float, base_sim: float,
) -> tuple[FloatArray, FloatArray]:
    """The confidence of each of a shard's facts under ``trust`` (kept as the carry),
    and the sums of the confidences of each source's contested claims."""
    if not shard.nf:
        return np.zeros(0), np.zeros(shard.n_fit)
    tau = -np.log1p(-shard.gather(trust))  # trust <= _T_MAX: tau <= 27.6
    nf, f_seg = shard.nf, shard.f_seg
    sigma = np.bincount(shard.r_fact, weights=shard.row_weight(prior_max) * tau[shard.r_src],
                        minlength=nf)
    seg_total = np.bincount(f_seg, weights=sigma, minlength=shard.segs.m)
    support = np.bincount(shard.pa, weights=sigma[shard.pb] * shard.similarity(scale),
                          minlength=nf)
    adjusted = sigma + rho * (support - base_sim * (seg_total[f_seg] - sigma))
    # The logistic function, written with tanh so that no score overflows exp.
    conf: FloatArray = 0.5 * (1.0 + np.tanh(0.5 * gamma * adjusted))
    return conf, shard.by_source(shard.c_src, conf[shard.c_fact])


def _add(a: FloatArray, b: FloatArray) -> FloatArray:
    return a + b


@attrs.frozen
class _Fit:
    trust: FloatArray  # per source of the fit
    iterations: int
    converged: bool
    scale: float
    prior_max: float
    present: BoolArray

    @property
    def source_weight(self) -> FloatArray:
        """The learned reliability of each source of the fit (its trustworthiness)."""
        return self.trust


def _make(segs: Segments, **options: Any) -> _Shard:
    return _Shard(segs)


def _fit(shards: Shards, *, initial_trust: float, gamma: float, rho: float, base_sim: float,
         similarity_scale: float | None, max_iter: int, tol: float,
         coverage: float) -> _Fit:
    """The trustworthiness of every source over every shard."""
    consts = shards.run(_constants, _add_constants)
    scale = similarity_scale
    if scale is None:
        median = shard_median(shards, "nearest")
        scale = median if median is not None and median > 0 else 1.0
    n_contested = consts.n_contested
    learns = n_contested > 0
    trust = np.full(len(n_contested), min(float(initial_trust), _T_MAX))
    step = (_confidence, _add)
    args = (scale, consts.prior_max, gamma, rho, base_sim)
    sums = shards.run(*step, trust, *args)
    iterations, converged = 0, True
    if learns.any():
        converged = False
        for _ in range(max_iter):
            iterations += 1
            mean_conf = sums / np.maximum(n_contested, 1)
            new = np.where(learns, np.minimum(mean_conf, _T_MAX), trust)
            change = float(np.abs(new - trust).max())
            trust = new
            sums = shards.run(*step, trust, *args)
            if change <= tol:
                converged = True
                break
    return _Fit(trust, iterations, converged, scale, consts.prior_max, consts.present)


def _finish(shard: _Shard, fit: _Fit, conf: FloatArray | None, *, gamma: float, rho: float,
            base_sim: float, coverage: float, **options: Any) -> Reduction:
    segs = shard.segs
    if conf is None:
        conf, _ = _confidence(shard, None, fit.trust, fit.scale, fit.prior_max, gamma, rho,
                              base_sim)
    f_seg, f_val, nf = shard.f_seg, shard.f_val, shard.nf
    trust = shard.gather(fit.trust)

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
    learned = np.where(shard.has, conf[np.maximum(shard.fact_of_row, 0)] if nf else 0.0,
                       trust[segs.source])
    weight = shard.prior * np.maximum(learned, WEIGHT_FLOOR)
    lower, upper = central_range(segs, weight, value, coverage)
    return Reduction(
        lower=lower,
        value=value,
        upper=upper,
        weight=weight,
        diagnostics={"iterations": fit.iterations, "converged": fit.converged,
                     "similarity_scale": fit.scale, "confidence": best_conf},
        source_reliability=reliability_by_code(len(segs.sources), shard.src_present, trust),
    )


TRUTHFINDER_METHOD = Method(name="truthfinder", make=_make, fit=_fit, finish=_finish,
                            options=_check)
METHODS[truthfinder_kernel] = TRUTHFINDER_METHOD


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
