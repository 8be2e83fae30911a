"""Cooke's classical model: calibration, information, weights and the decision maker.

Everything here works on one *panel*: ``E`` experts who each gave the same quantiles
(probability levels ``p_1 < ... < p_n``) for some of ``M`` variables. Some variables
have a known realisation: these are the seed (calibration) variables on which the
experts are scored. The conventions are EXCALIBUR's (see ``docs/explanation/cooke.rst``).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any, Literal

import attrs
import numpy as np
import numpy.typing as npt

import claimrecon as cr

__all__ = [
    "DEFAULT_OVERSHOOT",
    "CookeError",
    "DecisionMaker",
    "Panel",
    "bin_probabilities",
    "calibration_score",
    "chi2_sf",
    "relative_information",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

#: EXCALIBUR's overshoot ``k``: the intrinsic range of a variable is widened by this
#: share of its width on each side.
DEFAULT_OVERSHOOT = 0.1

# Calibration scores that differ by less than this (relatively) are one score: two
# experts whose bin counts are mirror images have the same score mathematically, and
# must not be split by floating-point noise when the cut-off alpha is chosen.
_TIE = 1e-9

Scale = str | Mapping[Any, str] | None


class CookeError(cr.ClaimreconError, ValueError):
    """Input that the classical model cannot score: no seed variable, quantile levels
    that differ between experts, a degenerate intrinsic range, a non-positive figure
    on a log scale, an unknown option value."""


# -- the two scores --------------------------------------------------------------------------


def chi2_sf(x: float, df: int) -> float:
    """The survival function ``P(X > x)`` of the chi-square distribution with an
    integer number of degrees of freedom ``df``, in closed form.

    >>> round(chi2_sf(7.814727903251178, 3), 12)
    0.05
    """
    if df < 1:
        raise ValueError(f"df must be a positive integer (got {df})")
    if not x > 0:
        return 1.0
    h = x / 2.0
    if df % 2 == 0:
        term = total = 1.0
        for j in range(1, df // 2):
            term *= h / j
            total += term
        return min(1.0, math.exp(-h) * total)
    total = math.erfc(math.sqrt(h))
    term = math.sqrt(2.0 * x / math.pi) * math.exp(-h)
    for r in range(1, (df - 1) // 2 + 1):
        total += term
        term *= x / (2 * r + 1)
    return min(1.0, total)


def bin_probabilities(levels: Sequence[float] | FloatArray) -> FloatArray:
    """The probabilities of the interquantile bins: ``p_1, p_2 - p_1, ..., 1 - p_n``.

    >>> bin_probabilities([0.05, 0.5, 0.95]).round(2).tolist()
    [0.05, 0.45, 0.45, 0.05]
    """
    p = np.asarray(levels, np.float64)
    # Rounded, so that mirror-image bins get the same probability: 1 - 0.95 is
    # 0.05000000000000004 in floating point, and 0.05 is 0.05.
    out: FloatArray = np.asarray(np.round(np.diff(np.concatenate(([0.0], p, [1.0]))), 12),
                                 dtype=np.float64)
    return out


def calibration_score(
    counts: Sequence[int] | IntArray | FloatArray,
    levels: Sequence[float] | FloatArray,
    n_effective: float | None = None,
) -> float:
    """Cooke's calibration score (statistical accuracy) of one assessor.

    ``counts[j]`` is how many realisations fell in interquantile bin ``j`` (a
    realisation equal to a quantile counts in the bin below it). With ``s`` the
    empirical bin shares and ``p`` the bin probabilities, the score is the probability
    that a chi-square variable with ``len(p) - 1`` degrees of freedom exceeds
    ``2 N I(s, p)``, where ``I(s, p) = sum s_j ln(s_j / p_j)`` and ``N`` is
    ``n_effective`` (default: the number of realisations).

    >>> calibration_score([1, 9, 9, 1], [0.05, 0.5, 0.95])
    1.0
    >>> round(calibration_score([5, 0, 0, 5], [0.05, 0.5, 0.95]), 6)
    0.0
    """
    c = np.asarray(counts, np.float64)
    probs = bin_probabilities(levels)
    if c.shape != probs.shape:
        raise ValueError(f"expected {len(probs)} bin counts for {len(probs) - 1} quantiles "
                         f"(got {c.shape})")
    total = float(c.sum())
    if not total > 0:
        raise ValueError("calibration needs at least one realisation")
    n = total if n_effective is None else float(n_effective)
    s = c / total
    pos = s > 0
    terms = np.zeros_like(s)
    terms[pos] = s[pos] * np.log(s[pos] / probs[pos])
    # Sorted, so that mirror-image counts give bit-identical scores.
    divergence = max(float(np.sort(terms).sum()), 0.0)
    return chi2_sf(2.0 * n * divergence, len(probs) - 1)


def relative_information(
    quantiles: npt.ArrayLike,
    levels: Sequence[float] | FloatArray,
    lower: npt.ArrayLike,
    upper: npt.ArrayLike,
) -> FloatArray:
    """The relative information (Kullback-Leibler divergence) of the minimum-information
    distribution with the given quantiles with respect to the uniform distribution on
    ``[lower, upper]``.

    The distribution spreads the probability of each interquantile bin uniformly over
    it, the outer bins reaching to ``lower`` and ``upper``. Works over leading axes:
    ``quantiles`` has shape ``(..., n)``, ``lower`` and ``upper`` shape ``(...)``.

    >>> float(relative_information([0.5, 5.0, 9.5], [0.05, 0.5, 0.95], 0.0, 10.0).round(4))
    0.0
    """
    q = np.asarray(quantiles, np.float64)
    lo = np.broadcast_to(np.asarray(lower, np.float64), q.shape[:-1])[..., None]
    hi = np.broadcast_to(np.asarray(upper, np.float64), q.shape[:-1])[..., None]
    probs = bin_probabilities(levels)
    widths = np.diff(np.concatenate([lo, q, hi], axis=-1), axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = probs * np.log(probs * (hi - lo) / widths)
    out: FloatArray = np.maximum(terms.sum(axis=-1), 0.0)
    return out


def _fsum_sorted(x: FloatArray) -> float:
    """An order-free sum: the same bits whatever the order of ``x``."""
    return float(np.sort(x).sum())


def is_log_scale(variable: Any, scale: Scale) -> bool:
    """Whether ``variable`` is scored on a log scale under the option ``scale``: ``None``
    (all uniform), ``"uni"``/``"log"`` for all, or a mapping from variable to either
    (variables not in it are uniform)."""
    if scale is None:
        return False
    if not isinstance(scale, str | Mapping):
        raise CookeError(f"scale must be None, 'uni', 'log' or a mapping from variable to "
                         f"either (got {scale!r})")
    name = scale if isinstance(scale, str) else scale.get(variable, "uni")
    if not isinstance(name, str) or name.lower() not in ("uni", "log"):
        raise CookeError(f"a scale must be 'uni' or 'log' (got {name!r} for variable "
                         f"{variable!r})")
    return name.lower() == "log"


# -- the decision maker -------------------------------------------------------------------


@attrs.frozen(kw_only=True, eq=False)
class DecisionMaker:
    """A decision maker: the weighted linear pool of the experts' distributions.

    :param kind: ``"equal"``, ``"global"``, ``"item"``, ``"best-expert"`` or
        ``"custom"``.
    :param alpha: the calibration cut-off used (``None`` for equal weights).
    :param optimised: whether ``alpha`` was chosen to maximise :attr:`combined`.
    :param weights: ``(E, M)`` unnormalised weights of each expert on each variable
        (0 where the expert did not answer or fell below the cut-off).
    :param quantiles: ``(M, n)`` the pool's quantiles at the panel's levels (NaN rows
        where no weighted expert answered).
    :param median: ``(M,)`` the pool's median.
    :param item_information: ``(M,)`` the information of the pool's quantiles.
    :param calibration: its calibration score on the seed variables.
    :param information: its mean information over the seed variables.
    """

    kind: str
    alpha: float | None
    optimised: bool
    weights: FloatArray
    quantiles: FloatArray
    median: FloatArray
    item_information: FloatArray
    calibration: float
    information: float

    @property
    def combined(self) -> float:
        """Calibration times information: what the optimisation of alpha maximises."""
        return self.calibration * self.information

    def shares(self) -> FloatArray:
        """``(E, M)`` each expert's share of the pool on each variable (columns sum to 1
        where the pool is defined)."""
        total = self.weights.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            out: FloatArray = np.where(total > 0, self.weights / total, 0.0)
        return out

    def scores(self) -> dict[str, float]:
        """``calibration``, ``information`` and ``combined``, as EXCALIBUR reports them."""
        return {"calibration": self.calibration, "information": self.information,
                "combined": self.combined}


# -- the panel --------------------------------------------------------------------------------


class Panel:
    """The assessments of ``E`` experts on ``M`` variables, each a set of quantiles at
    common probability levels, with the known realisations of the seed variables.

    :param values: ``(E, M, n)`` quantile values in the variables' own units; a row of
        NaN (or any NaN in it) means the expert did not answer that variable.
    :param levels: the ``n`` probability levels, strictly increasing in (0, 1).
    :param truths: ``(M,)`` realisations, NaN where unknown.
    :param log: ``(M,)`` True for variables scored on a log scale (log-uniform
        background, quantiles and realisations compared after taking ``ln``).
    :param experts: the experts' names (default ``0 .. E-1``).
    :param variables: the variables' names (default ``0 .. M-1``).
    :param overshoot: ``k``: the intrinsic range is widened by ``k`` times its width
        on each side.
    :raises CookeError: values that do not increase strictly, a non-positive figure on
        a log scale, a variable whose intrinsic range is a single point.
    """

    def __init__(
        self,
        values: npt.ArrayLike,
        levels: Sequence[float],
        *,
        truths: npt.ArrayLike | None = None,
        log: npt.ArrayLike | None = None,
        experts: Sequence[Hashable] | None = None,
        variables: Sequence[Hashable] | None = None,
        overshoot: float = DEFAULT_OVERSHOOT,
    ) -> None:
        v = np.array(values, dtype=np.float64)
        if v.ndim != 3:
            raise CookeError(f"values must have shape (experts, variables, quantiles) "
                             f"(got {v.shape})")
        e, m, n = v.shape
        p = np.asarray(levels, np.float64)
        if p.shape != (n,) or n < 1 or not (np.all(p > 0) and np.all(p < 1)) or (
            np.any(np.diff(p) <= 0)
        ):
            raise CookeError(f"levels must be {n} strictly increasing probabilities in "
                             f"(0, 1) (got {list(levels)})")
        if not (math.isfinite(overshoot) and overshoot > 0):
            raise CookeError(f"overshoot must be a positive number (got {overshoot})")
        t = (np.full(m, np.nan) if truths is None
             else np.array(truths, dtype=np.float64).reshape(m))
        lg = np.zeros(m, bool) if log is None else np.array(log, dtype=bool).reshape(m)
        self.experts: tuple[Hashable, ...] = tuple(range(e) if experts is None else experts)
        self.variables: tuple[Hashable, ...] = tuple(
            range(m) if variables is None else variables)
        if len(self.experts) != e or len(self.variables) != m:
            raise CookeError("experts and variables must name every row and column of values")
        self.levels: tuple[float, ...] = tuple(float(x) for x in p)
        self.overshoot = float(overshoot)
        self.log: BoolArray = lg

        answered: BoolArray = np.asarray(~np.isnan(v).any(axis=2), dtype=bool)
        v[~answered] = np.nan
        if np.isinf(v).any() or np.isinf(t).any():
            raise CookeError("quantiles and realisations must be finite numbers")
        rising = np.all(np.diff(v, axis=2) > 0, axis=2)
        if (answered & ~rising).any():
            ei, mi = np.argwhere(answered & ~rising)[0]
            raise CookeError(f"the quantiles of expert {self.experts[ei]!r} for variable "
                             f"{self.variables[mi]!r} do not increase strictly: "
                             f"{v[ei, mi].tolist()}")
        bad = answered & lg[None, :] & (v[:, :, 0] <= 0)
        if bad.any():
            ei, mi = np.argwhere(bad)[0]
            raise CookeError(f"variable {self.variables[mi]!r} is on a log scale, but "
                             f"expert {self.experts[ei]!r} gives a quantile <= 0")
        if (lg & (t <= 0)).any():
            mi = int(np.flatnonzero(lg & (t <= 0))[0])
            raise CookeError(f"variable {self.variables[mi]!r} is on a log scale, but its "
                             f"realisation {t[mi]} is not positive")
        self.values: FloatArray = v
        self.truths: FloatArray = t
        self.answered: BoolArray = answered
        self.seeds: BoolArray = ~np.isnan(t)

        with np.errstate(invalid="ignore", divide="ignore"):
            self._scaled: FloatArray = np.where(lg[None, :, None], np.log(v), v)
            self._truths_scaled: FloatArray = np.where(lg, np.log(t), t)
        low = np.where(answered, self._scaled[:, :, 0], np.inf).min(axis=0, initial=np.inf)
        high = np.where(answered, self._scaled[:, :, -1], -np.inf).max(
            axis=0, initial=-np.inf)
        has = answered.any(axis=0)
        low = np.where(has, np.fmin(low, self._truths_scaled), np.nan)
        high = np.where(has, np.fmax(high, self._truths_scaled), np.nan)
        width = high - low
        if (has & ~(width > 0)).any():
            mi = int(np.flatnonzero(has & ~(width > 0))[0])
            raise CookeError(f"the intrinsic range of variable {self.variables[mi]!r} is a "
                             "single point: every quantile and the realisation coincide")
        #: ``(M,)`` each variable's background range (on the log scale for log variables):
        #: the intrinsic range widened by the overshoot.
        self.lower: FloatArray = low - self.overshoot * width
        self.upper: FloatArray = high + self.overshoot * width

        #: ``(E, M)`` each expert's information on each variable (NaN: not answered).
        self.item_information: FloatArray = np.where(
            answered, relative_information(self._scaled, self.levels, self.lower[None, :],
                                           self.upper[None, :]), np.nan)

        seed_answers = answered & self.seeds[None, :]
        self.n_seed_answers: IntArray = seed_answers.sum(axis=1).astype(np.int64)
        #: Experts with at least one answered seed variable: only they can be scored.
        self.scoreable: BoolArray = np.asarray(self.n_seed_answers > 0, dtype=bool)
        #: The number of seed variables the chi-square statistic uses: the fewest that
        #: any scoreable expert answered (EXCALIBUR's convention).
        self.n_effective: int = (int(self.n_seed_answers[self.scoreable].min())
                                 if self.scoreable.any() else 0)
        bins = np.sum(v < t[None, :, None], axis=2)  # a realisation equal to q: lower bin
        self.bin_counts: IntArray = np.stack(
            [np.sum((bins == j) & seed_answers, axis=1) for j in range(n + 1)], axis=1
        ).astype(np.int64)
        self.calibration: FloatArray = np.array([
            calibration_score(self.bin_counts[k], self.levels, self.n_effective)
            if self.scoreable[k] else np.nan for k in range(e)
        ], dtype=np.float64)
        self.information: FloatArray = np.array([
            _fsum_sorted(self.item_information[k, seed_answers[k]]) / self.n_seed_answers[k]
            if self.scoreable[k] else np.nan for k in range(e)
        ], dtype=np.float64)

        # Each expert's distribution function on the knots of each variable, once: a
        # pool of any weights is then a matrix product (its distribution function is
        # piecewise linear between these knots).
        cum = np.concatenate(([0.0], p, [1.0]))
        self._knots: list[tuple[IntArray, FloatArray, FloatArray] | None] = []
        for i in range(m):
            idx = np.flatnonzero(answered[:, i]).astype(np.int64)
            if len(idx) == 0:
                self._knots.append(None)
                continue
            edges = np.concatenate([
                np.full((len(idx), 1), self.lower[i]), self._scaled[idx, i, :],
                np.full((len(idx), 1), self.upper[i])], axis=1)
            knots = np.unique(edges)
            cdf = np.stack([np.interp(knots, edges[k], cum) for k in range(len(idx))])
            self._knots.append((idx, knots, cdf))

    # -- construction from claims ----------------------------------------------------------

    @classmethod
    def from_claims(
        cls,
        claims: Iterable[cr.Claim],
        *,
        truths: Mapping[Any, float] | None = None,
        scale: Scale = None,
        overshoot: float = DEFAULT_OVERSHOOT,
    ) -> Panel:
        """A panel from claims whose quantities carry ``quantiles`` (experts = source
        ids and variables in order of first appearance).

        :param truths: the known realisations by variable.
        :param scale: ``"uni"``, ``"log"`` or a mapping from variable to either.
        :raises CookeError: a claim without quantiles, quantile levels that differ
            between claims, two claims of one expert on one variable.
        """
        experts: dict[str, int] = {}
        variables: dict[Any, int] = {}
        levels: tuple[float, ...] | None = None
        answers: dict[tuple[int, int], tuple[float, ...]] = {}
        for c in claims:
            q = c.quantity.quantiles
            if q is None:
                raise CookeError(f"the claim of {c.source.id!r} on {c.variable!r} states no "
                                 "quantiles")
            lv = tuple(p for p, _ in q)
            if levels is None:
                levels = lv
            elif lv != levels:
                raise CookeError(f"the claim of {c.source.id!r} on {c.variable!r} has "
                                 f"quantile levels {lv}, the others {levels}")
            key = (experts.setdefault(c.source.id, len(experts)),
                   variables.setdefault(c.variable, len(variables)))
            if key in answers:
                raise CookeError(f"{c.source.id!r} assesses {c.variable!r} twice")
            answers[key] = tuple(x for _, x in q)
        if levels is None:
            raise CookeError("no claims to score")
        values = np.full((len(experts), len(variables), len(levels)), np.nan)
        for (ei, vi), xs in answers.items():
            values[ei, vi] = xs
        names = list(variables)
        t = [math.nan if truths is None else float(truths.get(x, math.nan)) for x in names]
        return cls(values, levels, truths=t, log=[is_log_scale(x, scale) for x in names],
                   experts=list(experts), variables=names, overshoot=overshoot)

    # -- pooling ---------------------------------------------------------------------------

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(experts, variables, quantiles)``."""
        e, m, n = self.values.shape
        return e, m, n

    def pool(
        self, weights: npt.ArrayLike, *, kind: str = "custom", alpha: float | None = None,
        optimised: bool = False,
    ) -> DecisionMaker:
        """The decision maker that pools the experts with ``weights``: one per expert
        ``(E,)`` or one per expert and variable ``(E, M)``, non-negative and unnormalised;
        on each variable they are normalised over the experts who answered it."""
        e, m, n = self.shape
        w = np.asarray(weights, np.float64)
        if w.shape == (e,):
            w = np.repeat(w[:, None], m, axis=1)
        if w.shape != (e, m) or not bool(np.all(w >= 0)):
            raise CookeError(f"weights must be non-negative with shape ({e},) or ({e}, {m})")
        w = np.where(self.answered, w, 0.0)
        levels = np.asarray(self.levels)
        scaled = np.full((m, n), np.nan)
        quantiles = np.full((m, n), np.nan)
        median = np.full(m, np.nan)
        for i in range(m):
            entry = self._knots[i]
            if entry is None:
                continue
            idx, knots, cdf = entry
            wi = w[idx, i]
            pos = wi > 0
            if not pos.any():
                continue
            f = (wi / wi.sum()) @ cdf
            # Guard against rounding: the pool's quantiles lie, mathematically, between
            # the lowest and the highest quantile of the experts it pools.
            lo, hi = self._scaled[idx[pos], i, 0].min(), self._scaled[idx[pos], i, -1].max()
            qs = np.maximum.accumulate(np.clip(np.interp(levels, f, knots), lo, hi))
            md = float(np.clip(np.interp(0.5, f, knots), lo, hi))
            scaled[i] = qs
            if self.log[i]:
                olo = self.values[idx[pos], i, 0].min()
                ohi = self.values[idx[pos], i, -1].max()
                quantiles[i] = np.maximum.accumulate(np.clip(np.exp(qs), olo, ohi))
                median[i] = float(np.clip(math.exp(md), olo, ohi))
            else:
                quantiles[i] = qs
                median[i] = md
        defined = ~np.isnan(scaled[:, 0])
        info = np.where(defined, relative_information(
            np.where(defined[:, None], scaled, 0.0), self.levels, self.lower, self.upper),
            np.nan)
        seeds = self.seeds & defined
        if seeds.any() and self.n_effective > 0:
            bins = np.sum(quantiles[seeds] < self.truths[seeds, None], axis=1)
            counts = np.bincount(bins, minlength=n + 1)
            calibration = calibration_score(counts, self.levels, self.n_effective)
            information = _fsum_sorted(info[seeds]) / int(seeds.sum())
        else:
            calibration = information = math.nan
        return DecisionMaker(kind=kind, alpha=alpha, optimised=optimised, weights=w,
                             quantiles=quantiles, median=median, item_information=info,
                             calibration=calibration, information=information)

    def performance_weights(
        self, alpha: float, kind: Literal["global", "item"] = "global"
    ) -> FloatArray:
        """``(E, M)`` the classical model's unnormalised weights for cut-off ``alpha``:
        calibration x information x [calibration >= alpha], with the information over
        the seed variables (``"global"``) or on each variable (``"item"``)."""
        keep = self.scoreable & (np.nan_to_num(self.calibration) >= alpha * (1 - _TIE))
        c = np.where(keep, self.calibration, 0.0)
        if kind == "global":
            w = np.repeat((c * np.where(keep, self.information, 0.0))[:, None],
                          self.shape[1], axis=1)
        else:
            w = c[:, None] * np.nan_to_num(self.item_information)
        out: FloatArray = np.where(self.answered, w, 0.0)
        return out

    def alphas(self) -> list[float]:
        """The candidate cut-offs: the distinct calibration scores, ascending."""
        out: list[float] = []
        for c in np.sort(self.calibration[self.scoreable]).tolist():
            if out and c <= out[-1] * (1 + _TIE):
                continue
            out.append(float(c))
        return out

    def decision_maker(
        self, kind: Literal["equal", "global", "item"] = "global", alpha: float | None = None
    ) -> DecisionMaker:
        """The equal-weight decision maker, or the performance-weighted one with global or
        item weights; ``alpha=None`` chooses the cut-off that maximises the decision
        maker's combined score (ties: the lowest cut-off).

        :raises CookeError: performance weights without any seed variable.
        """
        if kind == "equal":
            if alpha is not None:
                raise CookeError("alpha is a cut-off on performance weights; equal weights "
                                 "take none")
            return self.pool(self.answered.astype(np.float64), kind="equal")
        if kind not in ("global", "item"):
            raise CookeError(f"kind must be 'equal', 'global' or 'item' (got {kind!r})")
        if not self.scoreable.any():
            raise CookeError("performance weights need known realisations: no expert "
                             "answered a variable whose realisation was given (pass "
                             "truths= for some of the variables the experts answered; "
                             "a truth of a variable no claim is about is not read)")
        if alpha is not None:
            if not (isinstance(alpha, (int, float)) and 0 <= alpha <= 1):
                raise CookeError(f"alpha must be a number in [0, 1] or None (got {alpha!r})")
            return self.pool(self.performance_weights(float(alpha), kind), kind=kind,
                             alpha=float(alpha))
        best: DecisionMaker | None = None
        for a in self.alphas():
            w = self.performance_weights(a, kind)
            if not (w > 0).any():
                continue
            dm = self.pool(w, kind=kind, alpha=a, optimised=True)
            if math.isnan(dm.combined):
                continue
            if best is None or dm.combined > best.combined:
                best = dm
        if best is None:
            raise CookeError("no cut-off alpha gives a decision maker with a score")
        return best

    def best_expert(self) -> int:
        """The index of the expert with the highest calibration x information."""
        if not self.scoreable.any():
            raise CookeError("no expert answered a seed variable")
        combined = np.where(self.scoreable, self.calibration * self.information, -np.inf)
        return int(np.argmax(combined))

    def expert_scores(self, k: int) -> dict[str, float]:
        """Expert ``k``'s ``calibration``, ``information`` (over the seed variables it
        answered) and ``combined``."""
        c, i = float(self.calibration[k]), float(self.information[k])
        return {"calibration": c, "information": i, "combined": c * i}

    def scores(self) -> dict[str, dict[str, float]]:
        """The five decision makers of EXCALIBUR's summary, by name: ``equal``,
        ``global-nonopt`` (global weights, alpha = 0), ``global`` (optimised alpha),
        ``item`` (item weights, optimised alpha) and ``best-expert``, each with its
        ``calibration``, ``information`` and ``combined`` score."""
        return {
            "equal": self.decision_maker("equal").scores(),
            "global-nonopt": self.decision_maker("global", alpha=0.0).scores(),
            "global": self.decision_maker("global").scores(),
            "item": self.decision_maker("item").scores(),
            "best-expert": self.expert_scores(self.best_expert()),
        }
