"""Typed usage of the public API, checked by mypy --strict (not run by pytest).

Written the way users and plugin authors write code, so a change to a public
signature that would break them fails the typing job.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

import claimrecon as cr

ua = cr.Source(id="ua-officials", name="Ukrainian officials", reliability=0.7)
mod = cr.Source(id="kr-mnd", name="South Korea's Defense Ministry")
claims: list[cr.Claim] = [
    cr.Claim(variable="troops", source=mod, quantity=cr.Quantity(value=12_000),
             as_of=datetime.date(2024, 10, 18), via=("Reuters",)),
    cr.Claim(variable="troops", source=ua,
             quantity=cr.Quantity(value=14_000, lower=12_600, upper=15_400, unit="troops")),
]

estimate: cr.Estimate = cr.reconcile(claims, "weighted")
low: float | None = estimate.lower
text: str = estimate.explain()
shares: list[float] = [c.weight for c in estimate.contributions]
reasons: list[str] = [x.reason for x in estimate.excluded]

estimates: cr.Estimates = cr.reconcile_all(claims, strategy={"troops": "median"},
                                           on_error="collect")
by_variable: dict[str | int, cr.Estimate] = dict(estimates)
failures: dict[str | int, Exception] = dict(estimates.errors)

table: cr.ClaimTable = cr.ClaimTable.from_claims(claims)
back: list[cr.Claim] = table.to_claims()


# A plugin with a simple per-variable strategy ...
def lowest(claims: Sequence[cr.Claim], weights: npt.NDArray[np.float64]) -> cr.Outcome:
    first = min(claims, key=lambda c: float("-inf") if c.quantity.lower is None
                else c.quantity.lower)
    return cr.Outcome(lower=first.quantity.lower, value=first.quantity.value,
                      upper=first.quantity.upper)


# ... and one with a columnar kernel.
def envelope(segs: cr.Segments) -> cr.Reduction:
    return cr.Reduction(lower=segs.min(segs.lower), value=np.full(segs.m, np.nan),
                        upper=segs.max(segs.upper), weight=segs.weight.copy())


class MyPlugin:
    @cr.hookimpl
    def claimrecon_strategies(self) -> list[cr.Strategy]:
        return [
            cr.Strategy(name="lowest", summary="The lowest claim.", function=lowest,
                        properties={"accounts_for_all"}),
            cr.Strategy(name="envelope2", summary="The envelope.", kernel=envelope),
        ]

    @cr.hookimpl
    def claimrecon_claim_weights(self, table: cr.ClaimTable) -> npt.NDArray[np.float64] | None:
        return np.ones(len(table))


pm = cr.make_plugin_manager()
name: str = cr.register(MyPlugin(), plugin_manager=pm)
infos: list[cr.StrategyInfo] = cr.list_strategies(plugin_manager=pm)
strategy: cr.Strategy = cr.get_strategy("lowest", plugin_manager=pm)
