"""The ``recency`` strategy: the latest figures win."""

from __future__ import annotations

import numpy as np

from .._plugins import hookimpl
from .._strategy import Reduction, Segments, Strategy
from .._table import MISSING_TIME
from ._kernels import weighted_bounds

REASONS = (
    "superseded: another claim holds as of a later date",
    "superseded: another claim was published later (no claim states an as-of date)",
)


def recency_kernel(segs: Segments) -> Reduction:
    """Keep the claims with the latest ``as_of`` (undated ones rank older than every
    dated one); if none has an ``as_of``, the latest ``published``; if neither, all.
    Combine the winners as ``weighted``."""
    seg = segs.segment
    latest_as_of = segs.max(segs.as_of)
    by_as_of = latest_as_of > MISSING_TIME
    n_dated = int(np.count_nonzero(by_as_of))
    # Each claim's deciding time: as_of in variables where some claim has one, else
    # published (MISSING_TIME throughout a variable with neither: nobody loses). The
    # basis of each variable indexes _BASIS: 0 = as_of, 1 = published, 2 = neither.
    if n_dated == segs.m:
        key, latest = segs.as_of, latest_as_of
        basis = _BASIS[np.zeros(segs.m, np.intp)]
    else:
        latest_pub = segs.max(segs.published)
        undated = 2 - (latest_pub > MISSING_TIME).view(np.int8)  # 1 or 2
        if n_dated == 0:
            key, latest = segs.published, latest_pub
            basis = _BASIS[undated]
        else:
            key = np.where(by_as_of[seg], segs.as_of, segs.published)
            latest = np.where(by_as_of, latest_as_of, latest_pub)
            basis = _BASIS[np.where(by_as_of, 0, undated)]
    held = latest[seg]  # each claim's variable's latest time
    lose = key != held
    weight, reason = segs.weight, None
    if np.count_nonzero(lose):
        # The weights of the winners, 0 for the others, written over the latest times
        # (eight bytes a row, no longer needed): no second fresh array of every row.
        weight = np.multiply(segs.weight, ~lose, out=held.view(np.float64))
        # REASONS[0] where as_of decides, else REASONS[1]; -1 for the winners.
        if n_dated == segs.m:
            reason = lose.view(np.int8) - np.int8(1)
        else:
            reason = np.where(lose, np.int8(1) - by_as_of[seg].view(np.int8), np.int8(-1))
    lower, value, upper = weighted_bounds(segs, weight)
    return Reduction(
        lower=lower, value=value, upper=upper, weight=weight, reason=reason,
        reasons=REASONS, diagnostics={"recency_basis": basis},
    )


_BASIS = np.array(["as_of", "published", "none (as weighted)"], dtype=object)


RECENCY = Strategy(
    name="recency",
    summary="The latest as_of claims (else the latest published), combined as weighted.",
    kernel=recency_kernel,
    properties={"within_envelope", "accounts_for_all", "order_free", "idempotent",
                "scale_free", "ignores_older"},
    grouped=False,
)


@hookimpl
def claimrecon_strategies() -> list[Strategy]:
    """Provide ``recency``."""
    return [RECENCY]
