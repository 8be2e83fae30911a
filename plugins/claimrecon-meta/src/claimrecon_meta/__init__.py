"""Meta-analytic pooling for claimrecon: ``inverse-variance`` and ``random-effects``.

Each claim is read as a confidence interval under a normal model. A claim with
``lower``, ``upper`` and ``confidence = c`` has the effect estimate ``y`` at the centre of
its interval and the standard error ``se = (upper - lower) / (2 z)``, with
``z = NormalDist().inv_cdf((1 + c) / 2)`` (1.959964... for ``c = 0.95``). The stated
``value`` is not pooled: it only checks that the interval is symmetric about it.

Claims that give no standard error are excluded with a reason, never dropped: an open
range, a zero-width interval (a point), no confidence level (unless the
``default_confidence`` option supplies one), a variance that overflows, or a value off
the centre of its interval by more than ``symmetry_tolerance`` times the half-width.

``inverse-variance`` (fixed effect) pools with weights ``r / v`` (``v = se²``, ``r`` the
claim weight the engine passes: source reliability times row weight times weight
hooks). ``random-effects`` adds the between-claim variance ``tau²`` and pools with
weights ``r / (v + tau²)``; ``method`` chooses the estimator of ``tau²``: ``"REML"``
(default), ``"DL"`` (DerSimonian-Laird) or ``"PM"`` (Paule-Mandel). With all ``r``
equal, every figure is the textbook one (metafor's ``rma`` with ``test="z"``).

The estimate's ``value`` is the pooled effect and ``[lower, upper]`` its confidence
interval at ``level``: by default the claims' common confidence level, or 0.95 when
they state different ones. ``diagnostics`` hold ``method``, ``k`` (claims pooled),
Cochran's ``Q``, its ``df`` and ``Q_pvalue``, ``I2`` (in percent), the pooled effect's
``se``, ``z`` and two-sided ``pvalue``, and for random effects ``tau2``, ``tau``, the
prediction interval ``pi_lower``/``pi_upper`` and, for REML and PM, ``iterations`` and
``converged``.

See the documentation page "Meta-analysis: pooling confidence intervals" for the
mathematics.
"""

from __future__ import annotations

import claimrecon as cr

from ._pool import METHODS, MIXED_LEVEL, REASONS, fixed_effect_kernel, random_effects_kernel

__all__ = [
    "INVERSE_VARIANCE",
    "METHODS",
    "MIXED_LEVEL",
    "RANDOM_EFFECTS",
    "REASONS",
    "claimrecon_strategies",
    "fixed_effect_kernel",
    "random_effects_kernel",
]

# Not within_envelope: a pooled confidence interval at a chosen or mixed level, or a
# random-effects interval widened by tau², can reach beyond every claim's interval.
_PROPERTIES = frozenset({"accounts_for_all", "order_free", "idempotent", "scale_free"})

_COMMON_OPTIONS = {"level": None, "default_confidence": None, "symmetry_tolerance": 0.1}

#: Fixed-effect pooling of confidence intervals with inverse-variance weights.
INVERSE_VARIANCE = cr.Strategy(
    name="inverse-variance",
    summary="Fixed-effect meta-analysis: pools confidence intervals by inverse variance.",
    kernel=fixed_effect_kernel,
    properties=_PROPERTIES,
    options=_COMMON_OPTIONS,
)

#: Random-effects pooling of confidence intervals (REML, DerSimonian-Laird, Paule-Mandel).
RANDOM_EFFECTS = cr.Strategy(
    name="random-effects",
    summary="Random-effects meta-analysis of confidence intervals (tau² by REML, DL or PM).",
    kernel=random_effects_kernel,
    properties=_PROPERTIES,
    options={"method": "REML", **_COMMON_OPTIONS, "tol": 1e-10, "max_iter": 100},
)


@cr.hookimpl
def claimrecon_strategies() -> list[cr.Strategy]:
    """Provide ``inverse-variance`` and ``random-effects``."""
    return [INVERSE_VARIANCE, RANDOM_EFFECTS]
