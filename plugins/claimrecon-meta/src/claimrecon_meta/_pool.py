"""Columnar kernels for inverse-variance (fixed-effect) and random-effects pooling.

Every claim is read as a normal-model confidence interval: the centre of
``[lower, upper]`` is the effect estimate ``y`` and the half-width divided by the
two-sided normal quantile of its confidence level is its standard error. All
variables (segments) are pooled at once; the iterative estimators (REML, Paule-Mandel)
run one safeguarded Newton iteration for all segments together, dropping each segment
from the working set as it converges.

Source reliability ``r`` (the claim weight the engine passes) multiplies every claim's
term: the pooling weights are ``r / (v + tau2)``; the moment equations of DL and PM give
each claim's term the factor ``r`` too, and REML weights each claim's likelihood with the
power ``r / mean(r)``. So scaling all weights by one factor changes nothing, and all
reliabilities equal give the textbook estimators.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable, Mapping
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from claimrecon import Reduction, Segments

from ._stats import chi2_sf, normal_two_sided_p, two_sided_z

__all__ = ["METHODS", "REASONS", "fixed_effect_kernel", "random_effects_kernel"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

Method = Literal["REML", "DL", "PM"]

#: The estimators of the between-claim variance tau² that ``random-effects`` offers.
METHODS: Mapping[str, str] = {
    "REML": "restricted maximum likelihood",
    "DL": "DerSimonian-Laird (method of moments)",
    "PM": "Paule-Mandel (generalised Q equals its expectation)",
}

#: Why a claim gives no standard error, by reason code.
REASONS: tuple[str, ...] = (
    "states no two-sided interval (a bound is missing), so it gives no standard error",
    "states a zero-width interval, so its standard error would be 0",
    "states no confidence level, so its interval gives no standard error "
    "(set the quantity's confidence, or the default_confidence option)",
    "states an interval too wide for its variance to be a finite number",
    "its value lies off the centre of its interval by more than symmetry_tolerance "
    "allows, and the normal model needs an interval symmetric about its estimate "
    "(pool ratios on the log scale)",
)
_OPEN, _ZERO, _NO_CONFIDENCE, _HUGE, _ASYMMETRIC = range(5)

#: The level of the result when the claims of a variable state different levels.
MIXED_LEVEL = 0.95


# -- options --------------------------------------------------------------------------------


def _probability(name: str, x: object, *, optional: bool) -> float | None:
    if x is None and optional:
        return None
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not 0.0 < float(x) < 1.0:
        allowed = "None or " if optional else ""
        raise ValueError(f"{name} must be {allowed}a probability strictly between 0 and 1 "
                         f"(got {x!r})")
    return float(x)


def _tolerance(x: object) -> float | None:
    if x is None:
        return None
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not float(x) >= 0.0:
        raise ValueError(f"symmetry_tolerance must be None or a number >= 0 (got {x!r})")
    return float(x)


def _method(x: object) -> Method:
    if isinstance(x, str) and x.upper() in METHODS:
        m: Method = x.upper()  # type: ignore[assignment]
        return m
    raise ValueError(f"method must be one of {', '.join(map(repr, METHODS))} (got {x!r})")


# -- the claims as normal-model intervals ------------------------------------------------------


class _Groups:
    """The usable claims, grouped by the segment they belong to (empty segments
    dropped): group ``g`` holds rows ``starts[g]:starts[g + 1]`` and came from segment
    ``segment_of[g]``."""

    def __init__(self, group: IntArray, starts: IntArray, segment_of: IntArray) -> None:
        self.group = group
        self.starts = starts
        self.segment_of = segment_of
        self.counts: IntArray = np.diff(starts)

    @property
    def size(self) -> int:
        return len(self.counts)

    def sum(self, x: FloatArray) -> FloatArray:
        return np.add.reduceat(x, self.starts[:-1])

    def keep(self, which: BoolArray) -> tuple[_Groups, BoolArray]:
        """The groups where ``which`` holds, and the mask of their rows."""
        rows = np.repeat(which, self.counts)
        counts = self.counts[which]
        starts = np.zeros(len(counts) + 1, np.int64)
        np.cumsum(counts, out=starts[1:])
        group = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
        return _Groups(group, starts, self.segment_of[which]), rows


class _Input:
    """Each usable claim as ``(y, v, r, level)``, and a reason code for the others."""

    def __init__(
        self, segs: Segments, default_confidence: float | None, tolerance: float | None
    ) -> None:
        lo, up, val = segs.lower, segs.upper, segs.value
        conf = segs.confidence
        if default_confidence is not None:
            conf = np.where(np.isnan(conf), default_confidence, conf)
        reason = np.full(segs.n, -1, np.int64)
        bounded = np.isfinite(lo) & np.isfinite(up)
        with np.errstate(invalid="ignore", over="ignore"):
            mid = np.where(bounded, 0.5 * lo + 0.5 * up, 0.0)
            half = np.where(bounded, 0.5 * up - 0.5 * lo, 0.0)
            z = two_sided_z(conf)
            se = half / z
            v = se * se
        asym = np.zeros(segs.n, bool)
        if tolerance is not None:
            with np.errstate(invalid="ignore"):
                asym = ~np.isnan(val) & (np.abs(val - mid) > tolerance * half)
        # The first that applies, in this order, is the reason.
        for code, bad in (
            (_ASYMMETRIC, asym),
            (_HUGE, ~np.isfinite(v)),
            (_NO_CONFIDENCE, np.isnan(conf)),
            (_ZERO, (half == 0) | (v < np.finfo(np.float64).tiny)),  # 1 / v must be finite
            (_OPEN, ~bounded),
        ):
            reason[bad] = code
        ok = reason < 0
        self.reason = reason
        self.ok = ok
        rows = np.flatnonzero(ok)
        self.rows = rows
        self.y = mid[rows]
        self.v = v[rows]
        self.r = np.asarray(segs.weight, np.float64)[rows]
        self.level = conf[rows]
        seg = segs.segment[rows]
        counts = np.bincount(seg, minlength=segs.m)
        present = counts > 0
        starts = np.zeros(int(present.sum()) + 1, np.int64)
        np.cumsum(counts[present], out=starts[1:])
        group_of = np.cumsum(present) - 1
        self.groups = _Groups(group_of[seg], starts, np.flatnonzero(present))


def _levels(inp: _Input, level: float | None) -> FloatArray:
    g = inp.groups
    if level is not None:
        return np.full(g.size, level)
    if g.size == 0:
        return np.zeros(0)
    lo = np.minimum.reduceat(inp.level, g.starts[:-1])
    hi = np.maximum.reduceat(inp.level, g.starts[:-1])
    return np.where(lo == hi, lo, MIXED_LEVEL)


# -- numerically careful group sums ---------------------------------------------------------
#
# Weights of one variable can differ by many orders of magnitude (a precise trial next to a
# vague guess). Two habits keep the sums accurate then: residuals are taken about the
# figure of the heaviest claim, and a "sum of the others" (S - x_i) is computed for the
# heaviest claim by summing the others directly, so that no difference of two nearly equal
# large numbers is ever formed.


def _top(g: _Groups, x: FloatArray) -> BoolArray:
    """The first row of each group holding the group's largest ``x``."""
    n = len(x)
    biggest = np.maximum.reduceat(x, g.starts[:-1])
    candidate = x == biggest[g.group]
    first = np.minimum.reduceat(np.where(candidate, np.arange(n), n), g.starts[:-1])
    top = np.zeros(n, bool)
    top[first] = True
    return top


def _others(g: _Groups, x: npt.NDArray[Any], top: BoolArray) -> npt.NDArray[Any]:
    """``sum_{j != i} x_j`` within each group, for every row ``i`` (``top``: each
    group's largest ``x``)."""
    total = g.sum(x)
    rest = g.sum(np.where(top, 0.0, x))
    return np.where(top, rest[g.group], total[g.group] - x)


def _mean(
    g: _Groups, y: FloatArray, b: npt.NDArray[Any]
) -> tuple[npt.NDArray[Any], npt.NDArray[Any], npt.NDArray[Any], BoolArray]:
    """The ``b``-weighted mean of ``y`` per group, each row's residual, the total weight
    and the heaviest row of each group (about whose figure the sums are taken)."""
    top = _top(g, b.real)
    d = y - y[top][g.group]
    total = g.sum(b)
    shift = g.sum(b * d) / total
    return y[top] + shift, d - shift[g.group], total, top


# -- tau² -------------------------------------------------------------------------------------


def _dersimonian_laird(g: _Groups, y: FloatArray, v: FloatArray, r: FloatArray) -> FloatArray:
    """The method-of-moments estimate with weights ``a = r / v``:
    ``tau2 = (Q_a - sum r (1 - p)) / sum a (1 - p)`` with ``p = a / sum a``, at least 0."""
    a = r / v
    _, e, big_a, top = _mean(g, y, a)
    q_a = g.sum(a * e * e)
    rest = _others(g, a, top) / big_a[g.group]  # 1 - p_i, without cancellation
    expected = g.sum(r * rest)
    den = g.sum(a * rest)
    with np.errstate(divide="ignore", invalid="ignore"):
        tau2 = (q_a - expected) / den
    return np.where((g.counts >= 2) & (den > 0) & (tau2 > 0), tau2, 0.0)


Rows = tuple[FloatArray, ...]
Equation = Callable[[_Groups, Rows, Rows, npt.NDArray[Any]], npt.NDArray[Any]]


def _pm_equation(g: _Groups, rows: Rows, per_group: Rows, t: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Paule-Mandel: the generalised Q, ``sum b e²`` with ``b = r / (v + tau2)`` and
    residuals about the ``b``-weighted mean, minus its expectation under the model,
    ``sum r (1 - p)`` with ``p = b / sum b`` (``k - 1`` when all ``r`` are 1). One entry
    per group; positive while ``tau2`` is too small; complex ``t`` for the complex step."""
    y, v, r = rows
    b = r / (v + t[g.group])
    _, e, big_b, top = _mean(g, y, b)
    rest = _others(g, b, top) / big_b[g.group]  # 1 - p_i, without cancellation
    return g.sum(b * e * e) - g.sum(r * rest)


def _reml_score(g: _Groups, rows: Rows, per_group: Rows, t: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Twice the derivative of the reliability-weighted restricted log-likelihood
    (see :func:`_reml_objective`): ``sum b w e² - sum r w + rbar sum r w² / sum b``,
    written as ``sum b w e² - sum r w (1 - p) - sum w p (r - rbar)`` so that no two
    large numbers are subtracted. Positive while ``tau2`` is too small."""
    y, v, r, dr = rows
    w = 1.0 / (v + t[g.group])
    b = r * w
    _, e, big_b, top = _mean(g, y, b)
    p = b / big_b[g.group]
    rest = _others(g, b, top) / big_b[g.group]  # 1 - p_i
    return g.sum(b * w * e * e) - g.sum(r * w * rest) - g.sum(w * p * dr)


def _reml_objective(g: _Groups, y: FloatArray, v: FloatArray, r: FloatArray, rbar: FloatArray,
                    t: FloatArray) -> FloatArray:
    """Minus twice the reliability-weighted restricted log-likelihood at ``tau2 = t``,
    relative to its value at 0: ``L(t) - L(0)`` with
    ``L = sum r log(v + tau2) + rbar log sum b + sum b e²``, ``b = r / (v + tau2)``.

    Each claim's likelihood enters with the power ``r / rbar`` (``rbar`` the mean
    ``r``), so scaling every ``r`` changes nothing and all ``r`` equal give the textbook
    REML. The difference is formed term by term with ``log1p``, so that it keeps its
    precision where the likelihood is nearly flat (a claim far vaguer than the others).
    """
    ratio = t[g.group] / v
    a0 = r / v
    p0 = a0 / g.sum(a0)[g.group]
    _, e0, _, _ = _mean(g, y, a0)
    b = r / (v + t[g.group])
    _, e, _, _ = _mean(g, y, b)
    # log(sum b(t) / sum b(0)) = log(1 - s) = log(sum p0 v / (v + t)): log1p(-s) while s
    # is small, the sum of positive terms once it is not.
    shrink = g.sum(p0 * ratio / (1.0 + ratio))
    with np.errstate(divide="ignore"):
        log_b = np.where(shrink < 0.5, np.log1p(-np.minimum(shrink, 0.5)),
                         np.log(g.sum(p0 / (1.0 + ratio))))
    return (
        g.sum(r * np.log1p(ratio)) + rbar * log_b + (g.sum(b * e * e) - g.sum(a0 * e0 * e0))
    )


def _slope(eq: Equation, g: _Groups, rows: Rows, per_group: Rows, t: FloatArray,
           scale: FloatArray) -> tuple[FloatArray, FloatArray]:
    """``F(t)`` and ``F'(t)`` by one complex-step evaluation: ``F(t + ih) = F(t) +
    ih F'(t) + O(h²)``, exact to rounding for tiny ``h`` (no difference is formed)."""
    h = 1e-20 * (t + scale)
    f = eq(g, rows, per_group, t + 1j * h)
    return np.asarray(f.real, np.float64), np.asarray(f.imag / h, np.float64)


def _solve(
    eq: Equation,
    g: _Groups,
    rows: Rows,
    per_group: Rows,
    work: IntArray,
    t: FloatArray,
    lo: FloatArray,
    hi: FloatArray,
    tau2: FloatArray,
    tol: float,
    max_iter: int,
) -> tuple[IntArray, BoolArray]:
    """Solve ``eq = 0`` for the groups ``work`` at once, from ``t`` within ``[lo, hi]``
    (``hi`` may be infinite), writing the roots into ``tau2``.

    A safeguarded Newton iteration: the bracket shrinks with the sign of ``F`` at each
    iterate; a Newton step that leaves it is replaced by a bisection (geometric while the
    bracket spans orders of magnitude) or, before ``hi`` is known, by quadrupling. A
    group stops when a step moves tau² by at most ``tol * (tau2 + min v)`` and leaves
    the working set. Returns the iterations and convergence of every group.
    """
    m = g.size
    iterations = np.zeros(m, np.int64)
    converged = np.ones(m, bool)
    if len(work) == 0:
        return iterations, converged
    sub, mask = g.keep(np.isin(np.arange(m), work))
    rows = tuple(x[mask] for x in rows)
    per_group = tuple(x[work] for x in per_group)
    scale = np.minimum.reduceat(rows[1], sub.starts[:-1])
    for it in range(1, max_iter + 1):
        f, slope = _slope(eq, sub, rows, per_group, t, scale)
        lo = np.where(f > 0, t, lo)
        hi = np.where(f < 0, t, hi)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            newton = t - f / slope
            wide = hi > 16.0 * np.maximum(lo, scale)
            split = np.where(wide, np.where(lo > 0, np.sqrt(lo * hi), hi / 16.0),
                             0.5 * (lo + hi))
        usable = (slope < 0) & np.isfinite(newton)
        # A Newton step this small ends the iteration, even onto the bracket's end (at
        # the root itself F may come out a hair negative and make it the end).
        small = usable & (np.abs(newton - t) <= tol * (t + scale)) & (newton >= lo) & (
            newton <= hi)
        good = small | (usable & (newton > lo) & (newton < hi))
        fallback = np.where(np.isfinite(hi), split, 4.0 * t)
        t_new = np.where(f == 0, t, np.where(good, newton, fallback))
        done = (f == 0) | small | (hi - lo <= tol * (lo + scale))
        t = t_new
        iterations[work] = it
        tau2[work] = t
        if done.all():
            return iterations, converged
        if done.any():
            keep = ~done
            sub, mask = sub.keep(keep)
            rows = tuple(x[mask] for x in rows)
            per_group = tuple(x[keep] for x in per_group)
            work, t, lo, hi, scale = work[keep], t[keep], lo[keep], hi[keep], scale[keep]
    converged[work] = False
    return iterations, converged


def _paule_mandel(
    g: _Groups, y: FloatArray, v: FloatArray, r: FloatArray, tol: float, max_iter: int
) -> tuple[FloatArray, IntArray, BoolArray]:
    """tau² = 0 where the generalised Q at 0 is at most its expectation, else the root
    of :func:`_pm_equation`, started from the DerSimonian-Laird estimate. With all ``r``
    equal the generalised Q falls as tau² grows and the root is unique."""
    rows = (y, v, r)
    tau2 = np.zeros(g.size)
    f0 = np.asarray(_pm_equation(g, rows, (), np.zeros(g.size)).real, np.float64)
    work = np.flatnonzero((g.counts >= 2) & (f0 > 0))
    start = _dersimonian_laird(g, y, v, r)[work]
    scale = np.minimum.reduceat(v, g.starts[:-1])[work]
    t = np.where(start > 0, start, scale)
    iterations, converged = _solve(_pm_equation, g, rows, (), work, t, np.zeros(len(work)),
                                   np.full(len(work), np.inf), tau2, tol, max_iter)
    return tau2, iterations, converged


_GRID = 40


def _reml(
    g: _Groups, y: FloatArray, v: FloatArray, r: FloatArray, tol: float, max_iter: int
) -> tuple[FloatArray, IntArray, BoolArray]:
    """The global maximum over tau² >= 0 of the reliability-weighted restricted
    likelihood (:func:`_reml_objective`).

    The restricted likelihood can have two local maxima (one at 0, one inside), so a
    scan comes first: the score (:func:`_reml_score`, accurate to rounding) at 0 and at
    ``_GRID`` points spaced geometrically from ``1e-4 min v`` to
    ``4 (range(y)² + max v)``, beyond which the likelihood only falls. Every change of
    the score from positive to negative brackets a local maximum, and a score not
    positive at 0 makes 0 one; where there are several, the objective at the scan's
    points picks the best. :func:`_solve` then finds the chosen root of the score.
    """
    m = g.size
    tau2 = np.zeros(m)
    starts = g.starts[:-1]
    # rbar exactly equal to r when all r are equal: r_first + mean(r - r_first).
    r0 = r[starts]
    rbar = r0 + g.sum(r - r0[g.group]) / g.counts
    dr = r - rbar[g.group]
    rows = (y, v, r, dr)
    multi = np.flatnonzero(g.counts >= 2)
    if len(multi) == 0:
        return tau2, np.zeros(m, np.int64), np.ones(m, bool)
    sub, mask = g.keep(g.counts >= 2)
    ys, vs, rs = y[mask], v[mask], r[mask]
    sub_rows = (ys, vs, rs, dr[mask])
    first = sub.starts[:-1]
    low = 1e-4 * np.minimum.reduceat(vs, first)
    spread = np.maximum.reduceat(ys, first) - np.minimum.reduceat(ys, first)
    high = 4.0 * (spread * spread + np.maximum.reduceat(vs, first)) + low
    steps = np.linspace(0.0, 1.0, _GRID)
    grid = np.vstack([np.zeros(len(multi)), low[None, :] * (high / low)[None, :] ** steps[:, None]])
    score = np.vstack([np.asarray(_reml_score(sub, sub_rows, (), t).real, np.float64)
                       for t in grid])
    objective = np.vstack([_reml_objective(sub, ys, vs, rs, rbar[multi], t) for t in grid])
    objective[0] = 0.0  # exactly: L(0) - L(0)
    up = score > 0
    inf = np.inf
    # Candidates, in order: tau² = 0; a root in (grid[j], grid[j + 1]); a root above the
    # last point. Each is rated by the objective (lower is better) near it.
    candidates = np.vstack([
        np.where(up[0], inf, 0.0),
        np.where(up[:-1] & ~up[1:], np.minimum(objective[:-1], objective[1:]), inf),
        np.where(up[-1], objective[-1], inf),
    ])
    choice = np.argmin(candidates, axis=0)  # ties: the smallest tau²
    cols = np.arange(len(multi))
    n_pts = len(grid)
    solve = choice > 0
    lo = grid[np.clip(choice - 1, 0, n_pts - 1), cols]
    hi = np.where(choice < n_pts, grid[np.clip(choice, 0, n_pts - 1), cols], inf)
    t = np.where(np.isinf(hi), 2.0 * lo, np.where(lo > 0, np.sqrt(lo * hi), 0.5 * hi))
    work = multi[solve]
    iterations, converged = _solve(_reml_score, g, rows, (), work, t[solve], lo[solve],
                                   hi[solve], tau2, tol, max_iter)
    return tau2, iterations, converged


# -- pooling ------------------------------------------------------------------------------------


def _cochran(g: _Groups, y: FloatArray, v: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Cochran's Q with plain inverse-variance weights, and Higgins and Thompson's
    typical within-claim variance ``s² = (k - 1) sum w / ((sum w)² - sum w²)``."""
    w = 1.0 / v
    _, e, big_w, top = _mean(g, y, w)
    q = g.sum(w * e * e)
    den = g.sum(w * _others(g, w, top))  # (sum w)² - sum w²
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = np.where(den > 0, (g.counts - 1) * big_w / den, np.nan)
    return q, s2


def _reduce(
    segs: Segments,
    *,
    random: bool,
    method: Method,
    level: object,
    default_confidence: object,
    symmetry_tolerance: object,
    tol: object = 1e-10,
    max_iter: object = 100,
) -> Reduction:
    lvl = _probability("level", level, optional=True)
    default = _probability("default_confidence", default_confidence, optional=True)
    tolerance = _tolerance(symmetry_tolerance)
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not float(tol) > 0:
        raise ValueError(f"tol must be a number > 0 (got {tol!r})")
    if isinstance(max_iter, bool) or not isinstance(max_iter, numbers.Integral) or (
        int(max_iter) < 1
    ):
        raise ValueError(f"max_iter must be a whole number >= 1 (got {max_iter!r})")

    inp = _Input(segs, default, tolerance)
    g = inp.groups
    y, v, r = inp.y, inp.v, inp.r
    m = segs.m

    levels = _levels(inp, lvl)
    k = g.counts
    iterations: IntArray | None = None
    converged: BoolArray | None = None
    if random and g.size:
        if method == "DL":
            tau2 = _dersimonian_laird(g, y, v, r)
        else:
            solver = _paule_mandel if method == "PM" else _reml
            tau2, iterations, converged = solver(g, y, v, r, float(tol), int(max_iter))
            if not converged.all():
                names = [repr(segs.variables[int(s)]) for s in g.segment_of[~converged][:3]]
                warnings.warn(
                    f"random-effects ({method}) did not converge within {max_iter} "
                    f"iterations for variable {', '.join(names)}; the diagnostics say "
                    "converged=False",
                    RuntimeWarning,
                    stacklevel=2,
                )
    else:
        tau2 = np.zeros(g.size)

    b = r / (v + tau2[g.group])
    mu, _, big_b, _ = _mean(g, y, b)
    se = np.sqrt(g.sum(r * b)) / big_b
    z = two_sided_z(levels)
    lower, upper = mu - z * se, mu + z * se
    q, s2 = _cochran(g, y, v)
    dof = k - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        if random:
            i2 = np.where(tau2 > 0, 100.0 * tau2 / (tau2 + s2), 0.0)
        else:
            # Divide only where Q exceeds its degrees of freedom (elsewhere Q may be
            # tiny enough to overflow the quotient np.where would compute anyway).
            over = q > dof
            i2 = np.where(over, 100.0 * (q - dof) / np.where(over, q, 1.0), 0.0)
        zval = mu / se

    def per_segment(x: npt.NDArray[Any], fill: Any = np.nan) -> npt.NDArray[Any]:
        out = np.full(m, fill, dtype=x.dtype)
        out[g.segment_of] = x
        return out

    weight = np.zeros(segs.n)
    weight[inp.rows] = b
    diagnostics: dict[str, Any] = {"method": method if random else "FE", "k": per_segment(k, 0)}
    diagnostics.update(
        Q=per_segment(q),
        df=per_segment(dof, 0),
        Q_pvalue=per_segment(chi2_sf(q, dof)),
        I2=per_segment(i2),
    )
    if random:
        half_pi = z * np.sqrt(se * se + tau2)
        diagnostics.update(tau2=per_segment(tau2), tau=per_segment(np.sqrt(tau2)))
    diagnostics.update(se=per_segment(se), z=per_segment(zval),
                       pvalue=per_segment(normal_two_sided_p(zval)))
    if random:
        diagnostics.update(pi_lower=per_segment(mu - half_pi), pi_upper=per_segment(mu + half_pi))
        if iterations is not None and converged is not None:
            diagnostics.update(iterations=per_segment(iterations, 0),
                               converged=per_segment(converged, False))
    return Reduction(
        lower=per_segment(lower, -math.inf),
        value=per_segment(mu),
        upper=per_segment(upper, math.inf),
        weight=weight,
        reason=inp.reason,
        reasons=REASONS,
        confidence=per_segment(levels),
        diagnostics=diagnostics,
    )


def fixed_effect_kernel(
    segs: Segments,
    *,
    level: float | None = None,
    default_confidence: float | None = None,
    symmetry_tolerance: float | None = 0.1,
) -> Reduction:
    """The ``inverse-variance`` kernel (fixed effect); see the package docstring."""
    return _reduce(segs, random=False, method="DL", level=level,
                   default_confidence=default_confidence,
                   symmetry_tolerance=symmetry_tolerance)


def random_effects_kernel(
    segs: Segments,
    *,
    method: str = "REML",
    level: float | None = None,
    default_confidence: float | None = None,
    symmetry_tolerance: float | None = 0.1,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> Reduction:
    """The ``random-effects`` kernel; see the package docstring."""
    return _reduce(segs, random=True, method=_method(method), level=level,
                   default_confidence=default_confidence,
                   symmetry_tolerance=symmetry_tolerance, tol=tol, max_iter=max_iter)
