"""Reconcile claims held in a Dask DataFrame (the ``dask`` extra: ``pip install
'claimrecon[dask]'``).

The frame is split by variable (Dask's shuffle on the ``variable`` column), so that all
claims of a variable are in one partition, and each partition goes through the same
engine as :func:`claimrecon.reconcile_all`: the results are those of the in-memory
call on the whole frame. Truth discovery (``crh``, ``catd``, ``truthfinder``) learns
source reliability across every variable, so it runs as Dask reductions: each
iteration every partition sums what it knows about each source under the current
weights, Dask adds the sums up, and the weights are updated; then every partition
finishes with the learned weights.

>>> import dask
>>> import dask.dataframe as dd
>>> import pandas as pd
>>> import claimrecon.dask
>>> frame = pd.DataFrame({
...     "variable": ["troops", "troops", "casualties", "casualties"],
...     "source": ["nis", "ua", "nis", "ua"],
...     "value": [12_000, 14_000, 1_000, 3_000],
... })
>>> result = claimrecon.dask.reconcile_all(dd.from_pandas(frame, npartitions=2), "range")
>>> with dask.config.set(scheduler="synchronous"):
...     estimates, claims, errors = result.compute()
>>> estimates.sort_index()[["variable", "lower", "upper"]]
             variable   lower    upper
first_row
0              troops  12000.0  14000.0
2          casualties   1000.0   3000.0
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import attrs
import dask
import numpy as np
import pandas as pd
import pluggy
from dask.base import compute, persist
from dask.delayed import delayed

from . import _dask
from ._engine import _check_options
from ._errors import EmptyInputError, InvalidClaimError, UnsupportedStrategyError, describe
from ._io import table_from_frame
from ._model import Variable
from ._plugins import get_plugin_manager, strategy_info
from ._strategies import _truth

__all__ = ["DaskEstimates", "reconcile_all"]


@attrs.frozen(kw_only=True)
class DaskEstimates:
    """What :func:`reconcile_all` returns: lazy frames, computed when asked.

    Compute them together (:meth:`compute`, or :func:`dask.compute` on several), so
    that the partitions are reconciled once for both frames. A bad row or a failing
    variable (with ``on_error="raise"``) raises when they are computed, the first
    of the whole input as in memory.

    :param estimates: one row per variable, the columns of
        :meth:`claimrecon.Estimates.to_pandas` (variable, strategy, lower, value,
        upper, unit, n_used, n_excluded, conflict), indexed by ``first_row``, the
        position of the variable's first claim in the input: sorted by it, the rows
        come in the in-memory order.
    :param claims: one row per input claim, the columns of
        :meth:`claimrecon.Estimates.claims_to_pandas` (variable, source, weight,
        excluded, reason), indexed by ``row``, the claim's 0-based position in the
        input (over all partitions): sorted by it, the rows come in input order.
    :param errors: a Dask delayed object whose value is, for ``on_error="collect"``,
        the error of each variable that failed (a dict from variable to exception).
    :param source_reliability: the reliability a truth-discovery strategy learned,
        by source id (``NaN`` for sources it did not judge), or ``None`` for
        strategies that do not learn it. It is learned when :func:`reconcile_all` is
        called, so it is a plain mapping.
    """

    estimates: Any
    claims: Any
    errors: Any
    source_reliability: Mapping[str, float] | None
    # The frames' partitions as delayed objects: computed with the errors in one graph.
    _parts: tuple[list[Any], list[Any]] = attrs.field(alias="parts", repr=False)

    def compute(self, **kwargs: Any) -> tuple[pd.DataFrame, pd.DataFrame,
                                               dict[Variable, Exception]]:
        """Compute the estimates, the claims and the errors in one pass.

        :param kwargs: passed to :func:`dask.compute` (``scheduler=`` and so on).
        :returns: ``(estimates, claims, errors)`` as pandas frames and a dict.
        """
        est, cl = self._parts
        estimates, claims, errors = compute(delayed(_dask.concat)(est),
                                                 delayed(_dask.concat)(cl), self.errors,
                                                 **kwargs)
        return estimates, claims, errors


def reconcile_all(
    claims: Any,
    strategy: str | Mapping[Variable, str] = "weighted",
    *,
    independent: bool = True,
    on_error: Literal["raise", "collect"] = "raise",
    plugin_manager: pluggy.PluginManager | None = None,
    **options: Any,
) -> DaskEstimates:
    """Reconcile the claims of a Dask DataFrame, one estimate per variable, as
    :func:`claimrecon.reconcile_all` does for the whole frame in memory.

    The frame is in the claims schema (see :func:`claimrecon.read_claims`); each
    partition is converted as :func:`claimrecon.reconcile_all` converts a pandas
    frame, and a bad row raises the same :class:`~claimrecon.ClaimFileError`, naming
    its 0-based position in the whole frame.

    This call counts the rows of each partition (one pass over the input). For
    truth-discovery strategies it also learns the source reliability (one pass per
    iteration over the claims, which stay in memory, persisted, while it learns).
    Everything else happens when the results are computed.

    Weight hooks (:func:`~claimrecon.hookspecs.claimrecon_claim_weights`) are called
    once per partition. A strategy other than the built-in truth discovery runs
    partition by partition; one that learns across variables is refused when it is
    computed (:class:`~claimrecon.UnsupportedStrategyError`).

    :param claims: a :class:`dask.dataframe.DataFrame` in the claims schema.
    :param strategy: a strategy name for all variables, or a mapping from variable to
        strategy name (every variable must be in it).
    :param independent: see :func:`claimrecon.reconcile`.
    :param on_error: ``"raise"`` raises the error of the first failing variable of the
        input; ``"collect"`` records each in :attr:`DaskEstimates.errors` and carries on.
    :param plugin_manager: default :func:`claimrecon.get_plugin_manager`. Partitions
        run on Dask's workers: with a distributed cluster, leave it ``None`` (each
        worker uses its own default manager) or pass one that can be pickled.
    :param options: the strategy's options.
    :raises EmptyInputError: the frame has no rows.
    :raises ClaimFileError: a required column is missing.
    """
    import dask.dataframe as dd

    if on_error not in ("raise", "collect"):
        raise ValueError(f"on_error must be 'raise' or 'collect' (got {on_error!r})")
    if not isinstance(claims, dd.DataFrame):
        raise InvalidClaimError(f"expected a dask DataFrame in the claims schema "
                                f"(got {describe(claims)})")
    # The schema's required columns, checked as the reader checks them (no data read).
    columns = [str(c) for c in claims.columns]
    table_from_frame(pd.DataFrame(columns=[c for c in columns
                                           if c in ("variable", "source", "value", "lower",
                                                    "upper")]))
    pm = plugin_manager or get_plugin_manager()
    if isinstance(strategy, str):
        names = [strategy]
    elif isinstance(strategy, Mapping):
        names = list(dict.fromkeys(strategy.values()))
    else:
        raise TypeError(f"strategy must be a name or a mapping (got {describe(strategy)})")
    infos = {name: strategy_info(name, pm) for name in names}
    merged = {name: _check_options(info, options) for name, info in infos.items()}
    methods = {name: _truth.METHODS[info.strategy.kernel] for name, info in infos.items()
               if info.strategy.kernel in _truth.METHODS}
    if len({m.name for m in methods.values()}) < len(methods):
        raise UnsupportedStrategyError(
            f"strategies {', '.join(map(repr, sorted(methods)))} share one truth-discovery "
            "method; claimrecon.dask learns each method once per call",
            strategy=sorted(methods)[0])
    spec = _dask.Spec(strategy=strategy, independent=independent, on_error=on_error,
                      plugin_manager=plugin_manager, options=dict(options),
                      learners=frozenset(methods))

    lengths = [int(x) for x in claims.map_partitions(len).compute()]
    if sum(lengths) == 0:
        raise EmptyInputError("no claims to reconcile (got an empty input)")
    offsets = tuple(int(x) for x in np.concatenate(([0], np.cumsum(lengths)))[:-1])

    # Keep every column's type (a variable may be an int or a str): no conversion of
    # object columns to Dask's string type in the frames built here.
    with dask.config.set({"dataframe.convert-string": False}):
        numbered = claims.map_partitions(_dask.number, offsets)
        frames = numbered.shuffle(on="variable").to_delayed()
        checked_sources = [c for c in ("source_name", "source_kind", "source_reliability")
                           if c in columns]
        more = []
        if checked_sources:
            by_source = numbered[["source", *checked_sources]].shuffle(on="source")
            more = [delayed(_dask.source_problems)(p) for p in by_source.to_delayed()]

        reliability: dict[str, float] | None = None
        if methods:
            results, reliability = _learn(frames, spec, methods, merged, more)
            more = []
        else:
            results = [delayed(_dask.run_partition)(f, spec, None) for f in frames]
        summaries = [delayed(_dask.Result.summary)(r) for r in results]
        checked = delayed(_dask.check)(summaries, *more)
        est_parts = [delayed(_dask.estimates_of)(r, checked) for r in results]
        claim_parts = [delayed(_dask.claims_of)(r, checked) for r in results]
        estimates = dd.from_delayed(
            est_parts, meta=_dask.empty(_dask.ESTIMATE_DTYPES, _dask.FIRST_ROW),
            verify_meta=False)
        claims_out = dd.from_delayed(
            claim_parts, meta=_dask.empty(_dask.CLAIM_DTYPES, _dask.ROW), verify_meta=False)
    return DaskEstimates(estimates=estimates, claims=claims_out, errors=checked,
                         source_reliability=reliability, parts=(est_parts, claim_parts))


def _learn(
    frames: list[Any], spec: _dask.Spec, methods: Mapping[str, _truth.Method],
    merged: Mapping[str, Mapping[str, Any]], more: list[Any],
) -> tuple[list[Any], dict[str, float] | None]:
    """Truth discovery over every partition: a first pass keeps each partition's shards
    (and checks the input), each fit runs over them as Dask reductions, and a second
    pass finishes every partition with the learned weights."""
    first = persist(*[delayed(_dask.run_partition)(f, spec, _truth.Distributed(True),
                                                        keep=True) for f in frames])
    summaries = [delayed(_dask.Result.summary)(r) for r in first]
    _, source_ids, counts = compute(
        delayed(_dask.check)(summaries, *more), delayed(_dask.source_order)(summaries),
        [delayed(_dask.shard_counts)(r) for r in first])
    fits: dict[str, Any] = {}
    for name, method in methods.items():
        shards = [delayed(_dask.bind)(r, method.name, i, source_ids)
                  for r, c in zip(first, counts, strict=True) for i in range(c.get(method.name, 0))]
        if shards:
            fits[method.name] = method.fit(_dask.DaskShards(persist(*shards)),
                                           **merged[name])
    mode = _truth.Distributed(False, source_ids=source_ids, fits=fits)
    results = [delayed(_dask.run_partition)(delayed(_dask.frame_of)(r), spec, mode)
               for r in first]
    reliability = None
    if len(fits) == 1:
        (fit,) = fits.values()
        learned = _truth.reliability_by_code(len(source_ids), fit.present, fit.source_weight)
        reliability = {sid: float(r) for sid, r in zip(source_ids, learned.tolist(),
                                                        strict=True)}
    return results, reliability
