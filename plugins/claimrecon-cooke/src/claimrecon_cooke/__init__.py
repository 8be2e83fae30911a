"""Cooke's classical model for claimrecon: the ``cooke`` strategy, EXCALIBUR's file
readers and a scorer that reproduces EXCALIBUR's summary of a study.

>>> import claimrecon as cr
>>> from claimrecon_cooke import read_dtt, read_rls
>>> claims = read_dtt("study.dtt")                            # doctest: +SKIP
>>> truths = read_rls("study.rls")                            # doctest: +SKIP
>>> es = cr.reconcile_all(claims, "cooke", truths=truths,
...                       scale=claims.scales)                # doctest: +SKIP
"""

from __future__ import annotations

import claimrecon as cr

from ._excalibur import Judgments, Realisations, evaluate_study, read_dtt, read_rls
from ._model import (
    DEFAULT_OVERSHOOT,
    CookeError,
    DecisionMaker,
    Panel,
    bin_probabilities,
    calibration_score,
    chi2_sf,
    relative_information,
)
from ._strategy import COOKE, cooke_kernel

__all__ = [
    "COOKE",
    "DEFAULT_OVERSHOOT",
    "CookeError",
    "DecisionMaker",
    "Judgments",
    "Panel",
    "Realisations",
    "bin_probabilities",
    "calibration_score",
    "chi2_sf",
    "claimrecon_strategies",
    "cooke_kernel",
    "evaluate_study",
    "read_dtt",
    "read_rls",
    "relative_information",
]


@cr.hookimpl
def claimrecon_strategies() -> list[cr.Strategy]:
    """Provide ``cooke``."""
    return [COOKE]
