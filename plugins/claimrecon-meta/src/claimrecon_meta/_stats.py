"""Distribution functions the pooling needs, on numpy arrays, with the standard library
only: the normal quantile from :class:`statistics.NormalDist`, the normal tail from
:func:`math.erfc`, and the chi-square tail for whole degrees of freedom."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_STD_NORMAL = NormalDist()


def two_sided_z(level: FloatArray) -> FloatArray:
    """``z`` with ``P(-z <= Z <= z) = level`` for a standard normal ``Z``, elementwise
    (``NaN`` where ``level`` is ``NaN``): the 0.975 quantile for ``level = 0.95``."""
    level = np.asarray(level, np.float64)
    out = np.full(level.shape, np.nan)
    known = ~np.isnan(level)
    if known.any():
        uniq, inverse = np.unique(level[known], return_inverse=True)
        zs = np.array([_STD_NORMAL.inv_cdf((1.0 + c) / 2.0) for c in uniq.tolist()])
        out[known] = zs[inverse]
    return out


def normal_two_sided_p(z: FloatArray) -> FloatArray:
    """``P(|Z| >= |z|)`` for a standard normal ``Z``, elementwise (``NaN`` stays)."""
    z = np.asarray(z, np.float64)
    return np.array(
        [math.nan if math.isnan(x) else math.erfc(abs(x) / math.sqrt(2.0)) for x in z.tolist()],
        np.float64,
    )


def chi2_sf(x: FloatArray, df: IntArray) -> FloatArray:
    """``P(X >= x)`` for ``X`` chi-square with ``df`` (whole, >= 1) degrees of freedom,
    elementwise; ``NaN`` where ``df < 1`` or ``x`` is ``NaN``.

    With ``y = x / 2`` the tail is the regularised upper incomplete gamma function
    ``Q(df / 2, y)``, and ``Q(a + 1, y) = Q(a, y) + y**a * exp(-y) / Gamma(a + 1)``. For
    even ``df`` the chain starts at ``Q(1, y) = exp(-y)``, for odd ``df`` at
    ``Q(1/2, y) = erfc(sqrt(y))``, so the tail is a finite sum of positive terms:

    - even: ``sum over j = 0 .. df/2 - 1 of y**j exp(-y) / j!``;
    - odd: ``erfc(sqrt(y)) + sum over j = 0 .. (df-1)/2 - 1 of
      y**(j + 1/2) exp(-y) / Gamma(j + 3/2)``.

    The terms of all elements are laid out in one flat array (about ``df / 2`` per
    element) and summed per element, each computed in logs to avoid overflow.
    """
    x = np.asarray(x, np.float64)
    df = np.asarray(df, np.int64)
    out = np.full(x.shape, np.nan)
    ok = (df >= 1) & ~np.isnan(x)
    if not ok.any():
        return out
    idx = np.flatnonzero(ok)
    y = np.maximum(x[idx], 0.0) / 2.0
    d = df[idx]
    odd = (d % 2) == 1
    nterms = np.where(odd, (d - 1) // 2, d // 2)
    total = np.zeros(len(idx))
    base = np.zeros(len(idx))
    if odd.any():
        base[odd] = [math.erfc(math.sqrt(v)) for v in y[odd].tolist()]
    if nterms.sum() > 0:
        has = nterms > 0
        counts = nterms[has]
        owner = np.repeat(np.flatnonzero(has), counts)
        starts = np.zeros(len(counts), np.int64)
        np.cumsum(counts[:-1], out=starts[1:])
        j = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(starts, counts)
        half = np.where(odd[owner], 0.5, 0.0)
        a = j + half
        # log Gamma(a + 1) for a = 0, 1, 2, ... and a = 1/2, 3/2, ...
        jmax = int(j.max())
        lg_int = np.array([math.lgamma(i + 1.0) for i in range(jmax + 1)])
        lg_half = np.array([math.lgamma(i + 1.5) for i in range(jmax + 1)])
        lg = np.where(half > 0, lg_half[j], lg_int[j])
        yo = y[owner]
        with np.errstate(divide="ignore", invalid="ignore"):
            # y = 0: only the j = 0 term of an even df is non-zero (it is 1).
            logterm = np.where(yo > 0, a * np.log(yo) - yo - lg,
                               np.where(a == 0, 0.0, -np.inf))
        terms = np.exp(logterm)
        total[has] = np.add.reduceat(terms, starts)
    out[idx] = np.minimum(base + total, 1.0)
    return out
