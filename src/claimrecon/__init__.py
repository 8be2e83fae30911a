"""claimrecon: reconcile conflicting quantitative claims."""

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
)
from ._model import Claim, Contribution, Estimate, Exclusion, Source
from ._quantity import Quantity
from ._engine import Estimates, reconcile, reconcile_all
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
from ._strategy import PROPERTIES, Outcome, Reduction, Segments, Strategy
from ._table import MISSING_TIME, ClaimTable
from ._io import read_claims
