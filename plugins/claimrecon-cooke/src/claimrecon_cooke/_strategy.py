"""The ``cooke`` strategy: Cooke's classical model as a claimrecon kernel.

The kernel gets every segment (variable) at once, because an expert's calibration is
measured on all the seed variables together. Segments whose truth is known
(``Segments.truths`` not NaN) are the seed variables.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from typing import Any

import numpy as np
import numpy.typing as npt

import claimrecon as cr

from ._model import DEFAULT_OVERSHOOT, CookeError, DecisionMaker, Panel, Scale, is_log_scale

__all__ = ["COOKE", "cooke_kernel"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_DMS = ("global", "item", "equal")


def _g(x: float) -> str:
    return f"{x:.3g}"


def _levels_text(levels: tuple[float, ...]) -> str:
    return "/".join(f"{100 * p:g}" for p in levels) + "%"


class _Reasons:
    """Exclusion reasons: one code per row, one sentence per code."""

    def __init__(self, n: int) -> None:
        self.code = np.full(n, -1, np.int64)
        self.texts: dict[str, int] = {}

    def set(self, row: int, text: str) -> None:
        self.code[row] = self.texts.setdefault(text, len(self.texts))


def _check_options(dm: object, alpha: object, overshoot: object) -> None:
    if dm not in _DMS:
        raise CookeError(f"dm must be one of {', '.join(map(repr, _DMS))} (got {dm!r})")
    if alpha is not None and (
        isinstance(alpha, bool) or not isinstance(alpha, (int, float))
        or not 0 <= alpha <= 1
    ):
        raise CookeError(f"alpha must be None (optimise) or a number in [0, 1] (got {alpha!r})")
    if alpha is not None and dm == "equal":
        raise CookeError("alpha is a cut-off on performance weights; dm='equal' takes none")
    if isinstance(overshoot, bool) or not isinstance(overshoot, (int, float)) or not (
        math.isfinite(overshoot) and overshoot > 0
    ):
        raise CookeError(f"overshoot must be a positive number (got {overshoot!r})")


def cooke_kernel(
    segs: cr.Segments,
    *,
    dm: str = "global",
    alpha: float | None = None,
    scale: Scale = None,
    overshoot: float = DEFAULT_OVERSHOOT,
) -> cr.Reduction:
    """Reconcile expert quantiles with Cooke's classical model.

    Each claim is one expert's quantiles (``Quantity.quantiles``) for one variable;
    the source is the expert. The experts are scored on the segments whose truth is
    known, the decision maker pools them, and each variable's estimate is the decision
    maker's median with the range from its lowest to its highest elicited quantile.

    :param dm: ``"global"`` (performance weights with global information),
        ``"item"`` (item-specific information) or ``"equal"``.
    :param alpha: the calibration cut-off; ``None`` chooses the one that maximises the
        decision maker's calibration x information.
    :param scale: ``"uni"``, ``"log"``, or a mapping from variable to either (default:
        all uniform).
    :param overshoot: the intrinsic range's overshoot ``k``.
    """
    _check_options(dm, alpha, overshoot)
    n, m = segs.n, segs.m
    reasons = _Reasons(n)
    quantile_col = segs.table.quantiles
    log = np.array([is_log_scale(v, scale) for v in segs.variables], bool)

    # Which rows can enter the panel.
    answers: list[tuple[tuple[float, ...], tuple[float, ...]] | None] = [None] * n
    for i, row in enumerate(segs.rows.tolist()):
        q = None if quantile_col is None else quantile_col[row]
        if q is None:
            reasons.set(i, "states no quantiles: the classical model pools experts' "
                           "quantiles")
            continue
        levels = tuple(p for p, _ in q)
        xs = tuple(x for _, x in q)
        if any(b <= a for a, b in itertools.pairwise(xs)):
            reasons.set(i, "its quantiles do not increase strictly, so its distribution "
                           "has no density")
        elif xs[0] < segs.lower[i] or xs[-1] > segs.upper[i]:
            reasons.set(i, "its quantiles fall outside its own range [lower, upper]")
        elif log[segs.segment[i]] and xs[0] <= 0:
            reasons.set(i, "the variable is on a log scale and its quantiles are not all "
                           "positive")
        else:
            answers[i] = (levels, xs)
    counts = Counter(a[0] for a in answers if a is not None)
    panel_levels = min(counts, key=lambda lv: (-counts[lv], lv)) if counts else None
    for i, a in enumerate(answers):
        if a is not None and a[0] != panel_levels:
            assert panel_levels is not None
            reasons.set(i, f"its quantile levels {_levels_text(a[0])} differ from the "
                           f"panel's {_levels_text(panel_levels)}")
            answers[i] = None

    # One assessment per expert and variable: the lowest quantiles win; equal ones, the
    # lowest bounds, value and confidence, then the earliest as_of and published (none
    # first). Never input order, so that which one counts does not depend on it.
    def rank(i: int) -> tuple[Any, ...]:
        a = answers[i]
        assert a is not None
        figures = (segs.lower[i], segs.upper[i], segs.value[i], segs.confidence[i])
        return (a[1], *(-math.inf if math.isnan(x) else float(x) for x in figures),
                int(segs.as_of[i]), int(segs.published[i]))

    source_ids = [segs.sources[int(s)].id for s in segs.source.tolist()]
    chosen: dict[tuple[int, str], int] = {}
    for i, a in enumerate(answers):
        if a is None:
            continue
        key = (int(segs.segment[i]), source_ids[i])
        j = chosen.get(key)
        if j is None:
            chosen[key] = i
            continue
        keep, drop = (j, i) if rank(j) <= rank(i) else (i, j)
        chosen[key] = keep
        answers[drop] = None
        reasons.set(drop, "the same expert's other assessment of this variable counts")

    weight = np.zeros(n)
    if panel_levels is None:  # nothing usable: the engine reports every variable
        return _empty(segs, reasons)
    experts = sorted({source_ids[i] for i in chosen.values()})
    expert_index = {e: k for k, e in enumerate(experts)}
    values = np.full((len(experts), m, len(panel_levels)), np.nan)
    for (k, sid), i in chosen.items():
        a = answers[i]
        assert a is not None
        values[expert_index[sid], k] = a[1]
    truths = segs.truths if segs.truths is not None else np.full(m, np.nan)
    panel = Panel(values, panel_levels, truths=truths, log=log, experts=experts,
                  variables=segs.variables, overshoot=float(overshoot))
    result = panel.decision_maker("equal") if dm == "equal" else panel.decision_maker(
        "global" if dm == "global" else "item", alpha)

    # Weights and reasons per row.
    why = _expert_reasons(panel, result)
    for (k, sid), i in chosen.items():
        e = expert_index[sid]
        weight[i] = result.weights[e, k]
        if weight[i] == 0:
            reasons.set(i, why[e])

    defined = ~np.isnan(result.quantiles[:, 0])
    lower = np.where(defined, result.quantiles[:, 0], segs.min(segs.lower))
    upper = np.where(defined, result.quantiles[:, -1], segs.max(segs.upper))
    value = np.where(defined, result.median, np.nan)
    confidence = np.where(defined, round(panel_levels[-1] - panel_levels[0], 12), np.nan)

    reliability = np.zeros(len(segs.sources))
    code_of = {s.id: c for c, s in enumerate(segs.sources)}
    share = _reliability(panel, result)
    for sid, e in expert_index.items():
        reliability[code_of[sid]] = share[e]

    quantiles = np.empty(m, dtype=object)
    for k in range(m):
        quantiles[k] = (tuple(zip(panel_levels, result.quantiles[k].tolist(), strict=True))
                        if defined[k] else None)
    diagnostics: dict[str, Any] = {
        "dm": dm,
        "alpha": result.alpha,
        "alpha_optimised": result.optimised,
        "calibration": _by_expert(panel, panel.calibration),
        "information": _by_expert(panel, panel.information),
        "dm_calibration": result.calibration,
        "dm_information": result.information,
        "dm_combined": result.combined,
        "n_seed": int(panel.seeds.sum()),
        "n_effective": panel.n_effective,
        "seed": panel.seeds.copy(),
        "quantiles": quantiles,
        "information_dm": result.item_information,
    }
    return cr.Reduction(
        lower=lower, value=value, upper=upper, weight=weight, reason=reasons.code,
        reasons=tuple(reasons.texts), confidence=confidence, diagnostics=diagnostics,
        source_reliability=reliability,
    )


def _by_expert(panel: Panel, x: FloatArray) -> dict[str, float | None]:
    return {str(e): (None if math.isnan(v) else float(v))
            for e, v in zip(panel.experts, x.tolist(), strict=True)}


def _expert_reasons(panel: Panel, result: DecisionMaker) -> list[str]:
    """Why each expert might carry weight 0 in ``result``."""
    out = []
    for e in range(len(panel.experts)):
        c, i = float(panel.calibration[e]), float(panel.information[e])
        if result.kind == "equal":
            out.append("weight 0 in the equal-weight pool")
        elif not panel.scoreable[e]:
            out.append("answered no variable with a known realisation, so its calibration "
                       "cannot be scored")
        elif result.alpha is not None and c < result.alpha * (1 - 1e-9):
            kind = "optimised cut-off" if result.optimised else "cut-off"
            out.append(f"calibration {_g(c)} below the {kind} alpha={_g(result.alpha)}")
        else:
            out.append(f"performance weight 0 (calibration {_g(c)}, information {_g(i)})")
    return out


def _reliability(panel: Panel, result: DecisionMaker) -> FloatArray:
    """Each expert's share of the decision maker's weight: its normalised global weight
    (calibration x information over the seeds x [calibration >= alpha]); for equal
    weights, 1/E."""
    e = len(panel.experts)
    if result.kind == "equal":
        return np.full(e, 1.0 / e)
    assert result.alpha is not None
    w = panel.performance_weights(result.alpha, "global")
    per_expert = np.where(panel.answered.any(axis=1), w.max(axis=1, initial=0.0), 0.0)
    total = per_expert.sum()
    out: FloatArray = per_expert / total if total > 0 else per_expert
    return out


def _empty(segs: cr.Segments, reasons: _Reasons) -> cr.Reduction:
    return cr.Reduction(
        lower=segs.min(segs.lower), value=np.full(segs.m, np.nan),
        upper=segs.max(segs.upper), weight=np.zeros(segs.n), reason=reasons.code,
        reasons=tuple(reasons.texts),
    )


COOKE = cr.Strategy(
    name="cooke",
    summary="Cooke's classical model: experts' quantiles pooled with weights from "
            "calibration and information on seed variables (truths=).",
    kernel=cooke_kernel,
    options={"dm": "global", "alpha": None, "scale": None, "overshoot": DEFAULT_OVERSHOOT},
)
