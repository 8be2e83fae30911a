"""claimrecon: reconcile conflicting quantitative claims.

Hedged figures become explicit ranges; claims from many sources become one estimate
per variable, with an account of every claim. Strategies are pluggy plugins.
"""

from importlib.metadata import PackageNotFoundError, version

from ._engine import Estimates, reconcile, reconcile_all
from ._errors import (
    AmbiguousStrategyError,
    ClaimFileError,
    ClaimreconError,
    EmptyInputError,
    HedgeParseError,
    InconsistentSourceError,
    InvalidClaimError,
    InvalidQuantityError,
    InvalidSourceError,
    MixedVariablesError,
    NoUsableClaimsError,
    PluginError,
    UnitMismatchError,
    UnknownStrategyError,
    UnsupportedStrategyError,
)
from ._hedges import FoundQuantity, Hedge, HedgePolicy, find_quantities, parse_quantity
from ._io import read_claims
from ._model import Claim, Contribution, Estimate, Exclusion, Source
from ._plugins import (
    PluginWarning,
    StrategyInfo,
    get_plugin_manager,
    get_strategy,
    hookimpl,
    list_strategies,
    make_plugin_manager,
    register,
)
from ._quantity import Quantity
from ._seeds import load_seed_claims
from ._strategy import PROPERTIES, Outcome, Reduction, Segments, Strategy
from ._table import MISSING_TIME, ClaimTable

try:
    __version__ = version("claimrecon")
except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
    __version__ = "0+unknown"

__all__ = [
    "MISSING_TIME",
    "PROPERTIES",
    "AmbiguousStrategyError",
    "Claim",
    "ClaimFileError",
    "ClaimTable",
    "ClaimreconError",
    "Contribution",
    "EmptyInputError",
    "Estimate",
    "Estimates",
    "Exclusion",
    "FoundQuantity",
    "Hedge",
    "HedgeParseError",
    "HedgePolicy",
    "InconsistentSourceError",
    "InvalidClaimError",
    "InvalidQuantityError",
    "InvalidSourceError",
    "MixedVariablesError",
    "NoUsableClaimsError",
    "Outcome",
    "PluginError",
    "PluginWarning",
    "Quantity",
    "Reduction",
    "Segments",
    "Source",
    "Strategy",
    "StrategyInfo",
    "UnitMismatchError",
    "UnknownStrategyError",
    "UnsupportedStrategyError",
    "find_quantities",
    "get_plugin_manager",
    "get_strategy",
    "hookimpl",
    "list_strategies",
    "load_seed_claims",
    "make_plugin_manager",
    "parse_quantity",
    "read_claims",
    "reconcile",
    "reconcile_all",
    "register",
]
