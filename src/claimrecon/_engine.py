"""The one engine: claims table in, one estimate per variable out.

Both shapes go through :func:`run`: :func:`reconcile` builds a one-segment table from
Claim objects, :func:`reconcile_all` takes many variables at once. Grouping,
weighting, independence, units and the strategy's kernel all work on columns.
"""

from __future__ import annotations

import concurrent.futures
import enum
import math
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal

import attrs
import numpy as np
import numpy.typing as npt
import pluggy

from ._errors import (
    ClaimreconError,
    EmptyInputError,
    InvalidClaimError,
    MixedVariablesError,
    NoUsableClaimsError,
    PluginError,
    UnitMismatchError,
    describe,
)
from ._model import Claim, Contribution, Estimate, Exclusion, Variable
from ._order import group_codes
from ._plugins import StrategyInfo, claim_weights, get_plugin_manager, strategy_info
from ._strategies.range import RANGE
from ._strategies.recency import RECENCY
from ._strategies.weighted import WEIGHTED
from ._strategy import (
    Outcome,
    Reduction,
    Segments,
    Strategy,
    _read_only,
    all_nonzero,
    conflict_at,
    extreme_at,
)
from ._table import ClaimTable, _every, object_array
from ._units import convert_units, have_pint

__all__ = ["Estimates", "reconcile", "reconcile_all"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# Row status codes.
_ACTIVE, _REPEAT, _PLUGIN_ZERO, _STRATEGY = 0, 1, 2, 3


_BAD_BOUNDS = ("lower and upper must be numbers with lower <= upper (-inf/+inf for "
               "unbounded sides, never NaN)")
_BAD_VALUE = "value must be finite and lie within [lower, upper]"
_BAD_WEIGHTS = "weights must be finite and non-negative"


_NO_INTS: IntArray = np.zeros(0, np.int64)
_NO_FLOATS: FloatArray = np.zeros(0)
_NO_BOOLS: npt.NDArray[np.bool_] = np.zeros(0, bool)


class _Unstated(enum.Enum):
    """A diagnostic a strategy function did not state for a variable (an enum member,
    so that it is still itself in Estimates loaded from a pickle)."""

    UNSTATED = 0


_UNSTATED = _Unstated.UNSTATED


class _MalformedError(Exception):
    """A strategy returned something that breaks the Reduction contract."""


def _as_table(data: object, summary: dict[str, Any] | None = None) -> ClaimTable:
    """``data`` as a ClaimTable; a frame's conversion fills ``summary`` (see
    :func:`~claimrecon._io.table_from_frame`)."""
    if isinstance(data, ClaimTable):
        return data
    if isinstance(data, _frame_types()):
        from ._io import table_from_frame

        return table_from_frame(data, summary=summary)
    # (a Series, a lazy frame, a group-by or an Arrow array is no frame: refused here,
    # not iterated nor taken for a frame)
    if (isinstance(data, (str, bytes, Claim)) or not isinstance(data, Iterable)
            or type(data).__module__.split(".")[0] in ("pandas", "polars", "pyarrow")):
        raise InvalidClaimError(
            "expected Claim objects, a ClaimTable or a data frame (a pandas or polars "
            f"DataFrame, or an Arrow Table or RecordBatch) (got {describe(data)})"
        )
    return ClaimTable.from_claims(data)


def _frame_types() -> tuple[type, ...]:
    """The data frame types :func:`reconcile_all` takes, of the libraries loaded (a
    frame's library is: none is imported to check)."""
    types: list[type] = []
    if (pd := sys.modules.get("pandas")) is not None:
        types.append(pd.DataFrame)
    if (pl := sys.modules.get("polars")) is not None:
        types.append(pl.DataFrame)
    if (pa := sys.modules.get("pyarrow")) is not None:
        types += [pa.Table, pa.RecordBatch]
    return tuple(types)


def reconcile(
    claims: Iterable[Claim],
    strategy: str = "weighted",
    *,
    independent: bool = True,
    plugin_manager: pluggy.PluginManager | None = None,
    **options: Any,
) -> Estimate:
    """Reconcile the claims of ONE variable into an :class:`Estimate`.

    >>> import claimrecon as cr
    >>> ua = cr.Source(id="ua", name="Ukrainian officials")
    >>> nis = cr.Source(id="nis", name="South Korea's NIS")
    >>> claims = [
    ...     cr.Claim(variable="troops", source=ua, quantity=cr.parse_quantity("around 14,000")),
    ...     cr.Claim(variable="troops", source=nis, quantity=cr.Quantity(value=12_000)),
    ... ]
    >>> print(cr.reconcile(claims, strategy="range"))
    12,000 to 15,400

    :param claims: Claim objects, all about the same variable.
    :param strategy: the strategy's name (see ``claimrecon strategies``).
    :param independent: count a figure once when one origin gave it and several
        outlets repeated it (same variable, source, quantity and ``as_of``).
    :param plugin_manager: default :func:`get_plugin_manager`.
    :param options: the strategy's options.
    :raises EmptyInputError: no claims.
    :raises MixedVariablesError: claims of several variables.
    :raises NoUsableClaimsError: every claim was excluded.
    """
    table: ClaimTable
    if isinstance(claims, ClaimTable):
        table = claims
    else:
        items = claims if isinstance(claims, (list, tuple)) else list(claims)
        if not items:
            raise EmptyInputError("reconcile needs at least one claim (got none)")
        table = ClaimTable.from_claims(items)
    if len(table) == 0:
        raise EmptyInputError("reconcile needs at least one claim (got none)")
    if table.n_variables > 1:
        shown = ", ".join(repr(v) for v in table.variables[:5])
        raise MixedVariablesError(
            f"reconcile takes claims of one variable; got {len(table.variables)}: {shown}"
            f"{', ...' if len(table.variables) > 5 else ''}. Use reconcile_all for several.",
            variables=table.variables,
        )
    result = run(table, strategy, independent=independent, plugin_manager=plugin_manager,
                 options=options)
    return result._only()


def reconcile_all(
    claims: object,
    strategy: str | Mapping[Variable, str] = "weighted",
    *,
    independent: bool = True,
    on_error: Literal["raise", "collect"] = "raise",
    truths: Mapping[Any, float] | None = None,
    plugin_manager: pluggy.PluginManager | None = None,
    **options: Any,
) -> Estimates:
    """Reconcile the claims of many variables, one estimate per variable.

    >>> import claimrecon as cr
    >>> es = cr.reconcile_all(cr.load_seed_claims(), strategy="median")
    >>> es["nk-troops-sent"].strategy
    'median'

    :param claims: Claim objects, a :class:`ClaimTable`, or a pandas, polars or
        Arrow table in the claims schema.
    :param strategy: a strategy name for all variables, or a mapping from variable to
        strategy name (every variable must be in it).
    :param independent: see :func:`reconcile`.
    :param on_error: ``"raise"`` stops at the first failing variable; ``"collect"``
        records the error in :attr:`Estimates.errors` and carries on.
    :param truths: known realisations of some variables, for strategies that
        calibrate sources on them (Cooke's classical model); others ignore it.
    :param plugin_manager: default :func:`get_plugin_manager`.
    :param options: the strategy's options.
    """
    if on_error not in ("raise", "collect"):
        raise ValueError(f"on_error must be 'raise' or 'collect' (got {on_error!r})")
    if truths is not None and not isinstance(truths, Mapping):
        raise TypeError(f"truths must be a mapping from variable to its known value "
                        f"(got {describe(truths)})")
    summary: dict[str, Any] = {}
    table = _as_table(claims, summary)
    return run(table, strategy, independent=independent, plugin_manager=plugin_manager,
               options=options, on_error=on_error, truths=truths, summary=summary)


# -- the engine ---------------------------------------------------------------------------


def _check_options(info: StrategyInfo, options: Mapping[str, Any]) -> dict[str, Any]:
    allowed = info.strategy.options
    if not options:
        return dict(allowed)
    unknown = [k for k in options if k not in allowed]
    if unknown:
        shown = ", ".join(f"{k}={v!r}" for k, v in allowed.items()) or "none"
        raise TypeError(
            f"strategy {info.name!r} takes no option {unknown[0]!r}; its options: {shown}"
        )
    return {**allowed, **options}


def _repeats(table: ClaimTable) -> tuple[IntArray, IntArray]:
    """The repeats in ``table`` and the row each repeats.

    A repeat has the same variable, source id, quantity and ``as_of`` as another row;
    the earliest published survives (ties: the first document name, then the heaviest
    row weight, then input order: repeats tied on all of these count alike, so which one
    survives does not change an estimate).
    Only rows whose (variable, source) pair occurs twice are compared
    (:func:`_pairs_twice` finds them without a permutation of the table).
    """
    n = len(table)
    none = _NO_INTS, _NO_INTS
    if n < 2:
        return none
    if n < 64 and len(set(zip(table.variable.tolist(), table.source.tolist(),
                                  strict=True))) == n:
        return none  # no (variable, source) pair twice: no repeat
    nsrc = max(len(table.sources), 1)
    cand = _pairs_twice(table.variable, table.source, table.n_variables, nsrc)
    if len(cand) == 0:
        return none
    value = np.where(np.isnan(table.value[cand]), -np.inf, table.value[cand])
    conf = np.where(np.isnan(table.confidence[cand]), -1.0, table.confidence[cand])
    if table.quantiles is not None:
        qkeys = [table.quantiles[i] for i in cand]
        qindex: dict[Any, int] = {}
        qcode = np.array([qindex.setdefault(q, len(qindex)) for q in qkeys], np.int64)
    else:
        qcode = np.zeros(len(cand), np.int64)
    published = table.published[cand]
    pub_key = np.where(published == np.iinfo(np.int64).min, np.iinfo(np.int64).max, published)
    docs = [table.document_of(int(i)) for i in cand]
    # Equal names rank equal (a rank per row made input order decide before the weight).
    names = sorted(set(docs), key=lambda d: (d is None, d or ""))
    rank_of = {d: r for r, d in enumerate(names)}
    doc_rank = np.array([rank_of[d] for d in docs], np.int64)
    keys = (
        table.variable[cand], table.source[cand], table.lower[cand], value,
        table.upper[cand], table.unit[cand], conf, table.as_of[cand], qcode,
    )
    order = np.lexsort((cand, -table.weight[cand], doc_rank, pub_key, *reversed(keys)))
    differs = np.zeros(len(cand) - 1, bool)
    for k in keys:
        ks = k[order]
        differs |= ks[1:] != ks[:-1]
    new_group = np.concatenate(([True], differs))
    group_first = np.maximum.accumulate(np.where(new_group, np.arange(len(cand)), 0))
    is_rep = ~new_group
    rep_rows = cand[order][is_rep]
    of_rows = cand[order][group_first][is_rep]
    return rep_rows, of_rows


def _pairs_twice(variable: IntArray, source: IntArray, nvar: int, nsrc: int) -> IntArray:
    """The rows whose (variable, source) pair occurs more than once, in row order.
    Variables are codes below ``nvar``, sources codes below ``nsrc``.

    One sort of the pair keys (values only: numpy's vectorised sort, several times
    faster than an argsort) finds the pairs that occur twice; their rows are then
    among the rows of their variables (one lookup per row in a table of ``nvar``
    flags, small enough to stay in cache), and a binary search over those few keeps
    exactly the rows of a repeated pair. No hash table and no permutation of the rows.
    """
    ordered = variable * nsrc
    ordered += source  # in place, as the sort: no second array of ten million keys
    ordered.sort()
    twice = ordered[1:][ordered[1:] == ordered[:-1]]  # sorted, a pair once per extra row
    del ordered
    if len(twice) == 0:
        return _NO_INTS
    flagged = np.zeros(nvar, bool)
    flagged[twice // nsrc] = True
    rows = np.flatnonzero(flagged[variable])
    keys = variable[rows] * nsrc + source[rows]
    found = twice[np.minimum(np.searchsorted(twice, keys), len(twice) - 1)]
    repeated: IntArray = rows[found == keys]
    return repeated


class _Part:
    """The columnar result of one engine run, from which Estimates are built."""

    def __init__(self, table: ClaimTable) -> None:
        self.table = table
        n = len(table)
        self._status = np.zeros(n, np.int8)
        # Each usable row's share of its estimate, computed on first use (the estimates
        # frame does not need it): _store leaves (rows or None for every row, weights,
        # per-segment totals, segments) per strategy run.
        self._share: FloatArray | None = None
        self.pending_shares: list[tuple[IntArray | None, FloatArray, FloatArray, IntArray]] = []
        # Where status != 0: the row repeated, the plugin index, or the reason index
        # (int32 while row numbers fit, else int64; or a strategy's own reason codes
        # when it alone excluded rows).
        self._detail: npt.NDArray[np.integer[Any]] = np.empty(
            n, np.int32 if n < 2**31 else np.int64)
        # The rows each strategy run set aside, written into status and detail on first
        # use (the estimates frame does not need them): _store leaves (rows or None for
        # every row, the rows of weight 0, their reason codes) per strategy run.
        self.pending_status: list[tuple[IntArray | None, npt.NDArray[np.bool_],
                                        npt.NDArray[np.integer[Any]]]] = []
        self.plugins: list[str] = []
        self.reasons: list[str] = []
        # Filled in by run(): each row's segment, the variable code of each segment,
        # and per-segment results.
        self.seg_code: IntArray = _NO_INTS
        self.seg_var: IntArray = _NO_INTS
        self.seg_total: IntArray = _NO_INTS  # rows per segment
        self.used: IntArray = _NO_INTS  # rows per segment that count (set by _store)
        self._grouped: tuple[IntArray, IntArray] | None = None
        self.lower: FloatArray = _NO_FLOATS
        self.value: FloatArray = _NO_FLOATS
        self.upper: FloatArray = _NO_FLOATS
        self.confidence: FloatArray = _NO_FLOATS
        self.conflict: npt.NDArray[np.bool_] = _NO_BOOLS
        self.unit: IntArray = _NO_INTS
        # Per segment: the index of its strategy in ``strategies`` (-1: none ran) and
        # its position among that strategy's segments (for the diagnostics' arrays).
        self.strategies: list[tuple[str, Mapping[str, Any] | None]] = []
        self.strategy_of: IntArray = _NO_INTS
        self.position: IntArray = _NO_INTS
        self.ok: npt.NDArray[np.bool_] = _NO_BOOLS
        self.source_reliability: dict[str, float] | None = None

    @property
    def status(self) -> npt.NDArray[np.int8]:
        """Each row's status: _ACTIVE, _REPEAT, _PLUGIN_ZERO or _STRATEGY."""
        if self.pending_status:
            self._set_aside()
        return self._status

    @property
    def detail(self) -> npt.NDArray[np.integer[Any]]:
        """Where status is not _ACTIVE: the row repeated, the plugin index, or the
        reason index."""
        if self.pending_status:
            self._set_aside()
        return self._detail

    def _set_aside(self) -> None:
        """Write the rows the strategy runs set aside into status and detail."""
        for rows, zero, codes in self.pending_status:
            if rows is None:  # every row, in table order, none set aside before
                self._status = zero.view(np.int8) * np.int8(_STRATEGY)
                # The reason codes as the detail of every row (read only where status
                # is set): no gather or scatter of the millions recency sets aside.
                self._detail = codes
            elif 2 * np.count_nonzero(zero) > len(zero):  # most of these rows set
                # aside (recency): write each of them (status 0 where it counts) rather
                # than gather the millions
                self._status[rows] = zero.view(np.int8) * np.int8(_STRATEGY)
                self._detail[rows] = codes
            else:
                zr = rows[zero]
                self._status[zr] = _STRATEGY
                self._detail[zr] = codes[zero]
        self.pending_status = []

    @property
    def share(self) -> FloatArray:
        """Each row's share of its estimate (read only where the row is usable)."""
        if self._share is None:
            share = np.empty(len(self.table), np.float64)
            for rows, w, totals, segment in self.pending_shares:
                part = np.divide(w, totals[segment])
                if rows is None:
                    share = part
                else:
                    share[rows] = part
            self._share, self.pending_shares = share, []
        return self._share

    def reason_text(self, r: int) -> str:
        st = self.status[r]
        d = int(self.detail[r])
        if st == _REPEAT:
            doc = self.table.document_of(d)
            if not doc:
                at = d if self.table._positions is None else int(self.table._positions[d])
                return f"repeats the claim at input position {at}"
            if self.table.document_of(r) == doc:  # one document stating it twice
                return f"repeats an earlier mention in {doc}"
            return f"repeats {doc}"
        if st == _PLUGIN_ZERO:
            return f"weight 0 from plugin {self.plugins[d]}"
        return self.reasons[d]

    def rows_of(self, k: int) -> IntArray:
        """The rows of segment ``k``, in input order (groups all rows on first use)."""
        if len(self.seg_var) == 1:
            return np.arange(len(self.table))
        if self._grouped is None:
            order = group_codes(self.seg_code, len(self.seg_var))[0]
            starts = np.zeros(len(self.seg_var) + 1, np.int64)
            np.cumsum(self.seg_total, out=starts[1:])
            self._grouped = order, starts
        order, starts = self._grouped
        return order[starts[k] : starts[k + 1]]

    def estimate(self, k: int) -> Estimate:
        t = self.table
        contributions: list[Contribution] = []
        excluded: list[Exclusion] = []
        if len(self.seg_var) == 1:  # every row, in order
            rows_list: Iterable[int] = range(len(t))
            status, share = self.status.tolist(), self.share.tolist()
        else:
            rows = self.rows_of(k)
            rows_list = rows.tolist()
            status, share = self.status[rows].tolist(), self.share[rows].tolist()
        for r, st, sh in zip(rows_list, status, share, strict=True):
            claim = t.claim(r)
            if st == _ACTIVE:
                contributions.append(Contribution(claim=claim, weight=sh))
            else:
                excluded.append(Exclusion(claim=claim, reason=self.reason_text(r)))
        diag: dict[str, Any] = {}
        name, mapping = self.strategies[int(self.strategy_of[k])]
        if mapping is not None:
            j = int(self.position[k])
            for key, arr in mapping.items():
                x = arr[j] if isinstance(arr, np.ndarray) and arr.ndim else arr
                if x is not _UNSTATED:
                    diag[key] = _scalar(x)
        lo, v, up, c = (float(self.lower[k]), float(self.value[k]), float(self.upper[k]),
                        float(self.confidence[k]))
        u = int(self.unit[k])
        return Estimate(
            variable=t.variables[int(self.seg_var[k])],
            strategy=name,
            value=None if math.isnan(v) else v,
            lower=None if lo == -math.inf else lo,
            upper=None if up == math.inf else up,
            unit=None if u < 0 else t.units[u],
            confidence=None if math.isnan(c) else c,
            conflict=bool(self.conflict[k]),
            contributions=tuple(contributions),
            excluded=tuple(excluded),
            diagnostics=diag,
        )


def _take(a: npt.NDArray[Any], rows: IntArray | None) -> npt.NDArray[Any]:
    """``a`` at ``rows`` (``None``: every row, ``a`` itself); a column that is one
    number for every row stays one number."""
    if rows is None:
        return a
    if a.strides == (0,):
        return np.broadcast_to(a[:1], (len(rows),))
    return a[rows]


def _nans(m: int) -> FloatArray:
    out = np.empty(m)
    out.fill(np.nan)
    return out


def _rows(a: npt.NDArray[Any], rows: IntArray | None) -> npt.NDArray[Any]:
    """A fresh array of ``a``'s entries at ``rows`` (``None``: all of them)."""
    return a.copy() if rows is None else a[rows]


def _picked(items: Sequence[Any], codes: IntArray, rows: IntArray | None,
            identity: bool = False) -> npt.NDArray[np.object_]:
    """An object array of ``items[codes[r]]`` for the ``rows`` (``None``: all), built
    without a gather where it can: ``identity`` says ``codes`` count 0, 1, 2, ...;
    with one item the array holds it throughout."""
    n = len(codes) if rows is None else len(rows)
    if len(items) == 1:
        one = np.empty(n, dtype=object)
        one.fill(items[0])  # the item itself (np.full would make a string per entry)
        return one
    if identity and rows is None:
        return object_array(items)
    picked: npt.NDArray[np.object_] = object_array(items)[_take(codes, rows)]
    return picked


def _scalar(x: Any) -> Any:
    if isinstance(x, np.generic):
        return x.item()
    return x


def run(
    table: ClaimTable,
    strategy: str | Mapping[Variable, str],
    *,
    independent: bool = True,
    plugin_manager: pluggy.PluginManager | None = None,
    options: Mapping[str, Any] | None = None,
    on_error: str = "raise",
    truths: Mapping[Any, float] | None = None,
    summary: Mapping[str, Any] | None = None,
) -> Estimates:
    """Run one reconciliation over a whole claims table (the engine behind
    :func:`reconcile` and :func:`reconcile_all`). ``summary``: each variable's row
    count and conflict flag by variable code, if the table's conversion found them.

    The steps, all on columns: group the rows by variable; weigh each claim (source
    reliability x row weight x weight hooks); check units and note conflicts per
    variable (:func:`_plan`); set aside repeats of one origin and claims weighted 0;
    run each strategy's kernel over its variables' usable claims; check what it
    returned (:func:`_settle`).

    On a large table whose strategies each take a pass or a few over the rows, the
    search for repeats (a sort of every row's pair of codes) runs on a second thread
    while the strategies run as if no claim repeated another; only if some does are
    they run again, without the repeats. Their results are the same either way.
    """
    plan = _plan(table, strategy, plugin_manager or get_plugin_manager(), options or {},
                 on_error, truths, summary)
    if not independent:
        return _settle(plan, _NO_INTS, _NO_INTS)
    if len(table) < _BESIDE_ROWS or not all(
            any(info.strategy is s for s in _SINGLE_PASS) for info in plan.infos.values()):
        return _settle(plan, *_repeats(table))
    try:
        pool = concurrent.futures.ThreadPoolExecutor(1, "claimrecon-repeats")
        search = pool.submit(_repeats, table)
    except RuntimeError:  # no thread to be had (the interpreter shutting down)
        return _settle(plan, *_repeats(table))
    with pool:
        try:
            guess: Estimates | Exception = _settle(plan, _NO_INTS, _NO_INTS)
        except Exception as exc:  # (what the run gives: raised below if it stands)
            guess = exc
        rep, of = search.result()
    if len(rep):
        del guess  # (its memory, before the second run)
        return _settle(plan, rep, of)
    if isinstance(guess, Exception):
        raise guess
    return guess


#: From this many rows, the repeat search runs beside the strategies (:func:`run`).
_BESIDE_ROWS = 1 << 18


#: The strategies that run beside the repeat search: built in (they have no effect
#: but their result) and each a few passes over the rows, about what the search costs,
#: so running one again when repeats turn up costs at most about what the overlap saved.
_SINGLE_PASS: tuple[Strategy, ...] = (RANGE, RECENCY, WEIGHTED)


@attrs.frozen(eq=False)
class _Plan:
    """What a run decides before it sets any claim aside (none of it depends on which
    claims repeat others): strategies, segments, weights, units and conflicts."""

    stated: ClaimTable  # the table as given: the account shows its claims
    table: ClaimTable  # the same, with convertible units converted
    infos: dict[str, StrategyInfo]
    options: dict[str, dict[str, Any]]  # by strategy name
    strategy_of_var: list[str] | None  # by variable code; None: one strategy for all
    present: IntArray  # the variable code of each segment
    seg_code: IntArray  # each row's segment
    seg_total: IntArray  # rows per segment
    weight: FloatArray
    zeroed: list[tuple[str, npt.NDArray[np.bool_]]]  # rows a plugin weighs 0, by plugin
    unit: IntArray  # each segment's unit code (-1: none)
    unit_failures: list[tuple[int, Exception]]  # by segment
    conflict: npt.NDArray[np.bool_]
    truths: Mapping[Any, float] | None  # as given (read once no variable has failed)
    variables: Sequence[Any] | IntArray  # each segment's variable
    collect: bool


def _plan(
    table: ClaimTable, strategy: str | Mapping[Variable, str], pm: pluggy.PluginManager,
    options: Mapping[str, Any], on_error: str, truths: Mapping[Any, float] | None,
    summary: Mapping[str, Any] | None,
) -> _Plan:
    """The steps of :func:`run` before claims are set aside."""
    n = len(table)
    if n == 0:
        raise EmptyInputError("no claims to reconcile (got an empty input)")
    stated = table

    # Which strategy for which variable; look names up (and check options) first.
    nvar = table.n_variables
    if isinstance(strategy, str):
        infos = {strategy: strategy_info(strategy, pm)}
        strat_of_var = None
    elif isinstance(strategy, Mapping):
        missing = [v for v in table.variables if v not in strategy]
        if missing:
            raise ValueError(
                f"the strategy mapping names no strategy for variable {missing[0]!r}"
                f"{f' and {len(missing) - 1} more' if len(missing) > 1 else ''}"
            )
        infos = {name: strategy_info(name, pm) for name in dict.fromkeys(strategy.values())}
        strat_of_var = [strategy[v] for v in table.variables]
    else:
        raise TypeError(f"strategy must be a name or a mapping (got {describe(strategy)})")
    merged = {name: _check_options(info, options) for name, info in infos.items()}

    # Each row's segment: its variable, numbered among the variables present.
    var = table.variable
    if nvar == 1:
        present = np.zeros(1, np.int64)
        seg_code = np.zeros(n, np.int64)
        seg_total = np.array([n], np.int64)
    else:
        counts_all = (summary["counts"] if summary and "counts" in summary
                      else np.bincount(var, minlength=nvar))
        if counts_all.all():
            present, seg_code, seg_total = np.arange(nvar, dtype=np.int64), var, counts_all
        else:
            present = np.flatnonzero(counts_all)
            remap = np.full(nvar, -1, np.int64)
            remap[present] = np.arange(len(present))
            seg_code, seg_total = remap[var], counts_all[present]
    m = len(present)

    # Weights: source reliability x row weight x plugin answers.
    reliability = table.reliability()
    if (table.weight.strides == (0,) and table.weight[0] == 1.0
            and not np.count_nonzero(reliability != 1.0)):
        weight = table.weight  # every weight 1: the table's read-only view of one number
    else:
        weight = reliability[table.source] * table.weight
    answers, zeroed = claim_weights(pm, table)
    if answers:
        # (a product past the largest float, or below the smallest, is taken again
        # from the logs of its factors in the variables it reaches: _fit_weights)
        with np.errstate(over="ignore", under="ignore"):
            product = answers[0]
            for answer in answers[1:]:
                product = product * answer
            weight = weight * product
    hook_zero = (None if not zeroed
                 else np.logical_or.reduce([zero for _, zero in zeroed]))
    weight = _fit_weights(weight, table, reliability, answers, hook_zero, seg_code,
                          seg_total, m)

    # Per variable, before exclusion: units (converted where pint can).
    unit_failures: list[tuple[int, Exception]] = []
    if table.units:
        u = table.unit
        umax = extreme_at(np.maximum, u, seg_code, m)
        umin = extreme_at(np.minimum, np.where(u < 0, np.iinfo(np.int64).max, u), seg_code, m)
        mixed = np.flatnonzero((umax >= 0) & (umin != umax)).tolist()
    else:
        umax, mixed = _every(m, "unit"), []
    why: dict[int, str] = {}
    if mixed:  # convertible units (pint, the "units" extra) are converted, not refused
        # (the converted figures are computed with; the account shows the claims as
        # stated, _Plan.stated)
        table, why = convert_units(table, seg_code, mixed)
        umax = extreme_at(np.maximum, table.unit, seg_code, m)
    hint = "" if not why or have_pint() else (
        " (install claimrecon[units] to convert units that are convertible)")
    for k, reason in why.items():
        rows_k = np.flatnonzero(seg_code == k)
        seg_units = sorted({table.units[x] for x in table.unit[rows_k].tolist() if x >= 0})
        v = table.variables[int(present[k])]
        unit_failures.append((k, UnitMismatchError(
            f"claims of variable {v!r} state units that cannot be reconciled: "
            + ", ".join(repr(x) for x in seg_units) + (reason or hint),
            variable=v, units=seg_units)))

    # Per variable, before exclusion: whether the claims conflict, from the table's
    # columns in table order (grouped rows would first gather both columns).
    if summary and "conflict" in summary and not mixed:  # (converted units: found again)
        conflict = summary["conflict"][present]
    else:
        conflict = conflict_at(table.lower, table.upper, seg_code, m)

    keys = table.variable_keys  # (integer keys: numbers, no Python object each)
    seg_variables: Sequence[Any] | IntArray
    if keys is not None:
        seg_variables = keys if nvar == m else keys[present]
    else:
        seg_variables = (table.variables if nvar == m
                         else object_array(table.variables)[present].tolist())
    return _Plan(
        stated=stated, table=table, infos=infos, options=merged, strategy_of_var=strat_of_var,
        present=present, seg_code=seg_code, seg_total=seg_total, weight=weight,
        zeroed=zeroed, unit=umax, unit_failures=unit_failures,
        conflict=conflict, truths=truths, variables=seg_variables,
        collect=on_error == "collect",
    )


def _truth_array(truths: Mapping[Any, float], table: ClaimTable,
                 present: IntArray) -> FloatArray:
    """Each segment's known value from ``truths`` (NaN where none is given)."""
    out = np.full(len(present), math.nan)
    for k, v in enumerate(present.tolist()):
        variable = table.variables[v]
        x: Any = truths.get(variable)
        if x is None:
            continue
        try:
            if isinstance(x, (str, bytes, bool, np.bool_)):
                raise TypeError
            out[k] = float(x)
        except (TypeError, ValueError):
            raise TypeError(f"truths[{variable!r}] must be a number (got {describe(x)})"
                            ) from None
    return out


def _settle(plan: _Plan, rep: IntArray, of: IntArray) -> Estimates:
    """The steps of :func:`run` from setting claims aside (``rep``, the repeats, each
    of the row ``of`` gives) to the estimates."""
    table, collect = plan.table, plan.collect
    part = _Part(plan.stated)
    part.seg_code, part.seg_var, part.seg_total = plan.seg_code, plan.present, plan.seg_total
    part.unit, part.conflict = plan.unit, plan.conflict
    seg_code, m = plan.seg_code, len(plan.present)
    errors: dict[Variable, Exception] = {}

    # Independence, then zero weights from plugins.
    if len(rep):
        part.status[rep] = _REPEAT
        part.detail[rep] = of
    for name, zero in plan.zeroed:
        hit = zero & (part.status == _ACTIVE)
        part.plugins.append(name)
        part.status[hit] = _PLUGIN_ZERO
        part.detail[hit] = len(part.plugins) - 1

    failed = np.zeros(m, bool)
    order_of_failure = list(plan.unit_failures)
    for k, _ in order_of_failure:
        failed[k] = True
    act_rows: IntArray | None = None  # None: every row counts
    n_active = plan.seg_total
    if np.count_nonzero(part.status):
        act_rows = np.flatnonzero(part.status == _ACTIVE)
        n_active = np.bincount(seg_code[act_rows], minlength=m)
        for k in np.flatnonzero((n_active == 0) & ~failed).tolist():
            order_of_failure.append((k, _no_usable(part, k)))
            failed[k] = True
    if order_of_failure and not collect:
        # (a unit failure is made once, in _plan: raised anew, without the traceback
        # of a run before this one)
        raise min(order_of_failure, key=lambda e: e[0])[1].with_traceback(None)
    for k, exc in order_of_failure:
        errors[table.variables[int(plan.present[k])]] = exc
    truth_arr = None if not plan.truths else _truth_array(plan.truths, table, plan.present)

    # Run each strategy's kernel over its usable segments.
    act_weight = _take(plan.weight, act_rows)
    views: dict[bool, Segments] = {}

    def view(grouped: bool) -> Segments:
        """Every usable row, grouped by segment or in table order."""
        if grouped not in views:
            rows, w, starts = act_rows, act_weight, None
            seg = _take(seg_code, rows)
            # One segment is grouped anyway, but a hash-style kernel still gets it in
            # table order: its sums then run over the rows in the same order, with the
            # same rounding, as among many variables.
            if grouped:
                if m > 1 and bool(np.any(seg[1:] < seg[:-1])):
                    o, seg = group_codes(seg, m)
                    rows, w = (o if rows is None else rows[o]), _take(w, o)
                if m == 1:
                    starts = np.array([0, len(seg)], np.int64)
                else:
                    starts = np.zeros(m + 1, np.int64)
                    np.cumsum(n_active, out=starts[1:])
            views[grouped] = Segments(table=table, rows=rows, segment=seg, m=m, starts=starts,
                                      weight=w, variables=plan.variables, truths=truth_arr,
                                      counts=n_active)
        return views[grouped]

    # When every claim counts and one strategy serves all, its view keeps the
    # conflict flags for its kernel (Segments.conflict).
    if act_rows is None and plan.strategy_of_var is None:
        (only,) = plan.infos.values()
        view(only.strategy.grouped or only.strategy.function is not None)._conflict = (
            _read_only(part.conflict))

    part.strategy_of = np.empty(m, np.int64)
    part.strategy_of.fill(-1)
    part.position = np.zeros(m, np.int64)
    learned: list[FloatArray] = []
    any_failed = bool(order_of_failure)  # every failure so far is in that list
    for name, info in plan.infos.items():
        if plan.strategy_of_var is None:
            ks = np.flatnonzero(~failed) if any_failed else np.arange(m)
        else:
            ks = np.array([k for k in range(m) if not failed[k]
                           and plan.strategy_of_var[int(plan.present[k])] == name], np.int64)
        if len(ks) == 0:
            continue
        full = view(info.strategy.grouped or info.strategy.function is not None)
        segs = full if len(ks) == m else full.take(ks)
        options = plan.options[name]
        try:
            red = _call(info, segs, options)
        except ClaimreconError as exc:
            if not collect:
                raise
            kept, kept_segs, kept_red, lost = _isolate(info, segs, options, exc)
            for j in sorted(lost):
                errors[segs.variables[j]] = lost[j]
                failed[ks[j]] = True
            if kept_segs is None or kept_red is None:
                continue
            segs, ks, red = kept_segs, ks[kept], kept_red
        _store(part, info, segs, ks, red, failed, errors, collect)
        if red.source_reliability is not None:
            learned.append(red.source_reliability)
    if len(learned) == 1:
        part.source_reliability = {
            s.id: float(r) for s, r in zip(table.sources, learned[0], strict=True)
        }
    part.ok = ~failed
    return Estimates([part], errors)


# Weights from the smallest normal float up to this, times the rows of a variable,
# neither lose precision nor overflow when summed.
_TINY = float(np.finfo(np.float64).tiny)
_SUM_LIMIT = 2.0**1022


def _fit_weights(weight: FloatArray, table: ClaimTable, reliability: FloatArray,
                 answers: list[FloatArray], hook_zero: npt.NDArray[np.bool_] | None,
                 seg_code: IntArray, seg_total: IntArray, m: int) -> FloatArray:
    """``weight`` (reliability x row weight x weight hooks), rescaled in each variable
    whose weights the product underflowed (below the smallest normal float, or to 0
    without a hook saying 0) or whose sum could overflow: only the ratios of weights
    within a variable count, so there each weight is recomputed from the logs of its
    factors and divided by the variable's largest. Other variables are untouched, and
    a variable is rescaled or not by its own claims alone (the same in one call for
    one variable as among many). No rescaled weight is below the smallest normal
    float unless a hook said 0."""
    if weight.strides == (0,):  # every weight one number (the table's view of 1.0)
        return weight
    # (a row a hook weighed 0 is set aside, not rescaled; a product that underflowed
    # to 0, or overflowed, is: the answers are taken by their logs one by one)
    live = weight if hook_zero is None else np.where(hook_zero, 1.0, weight)
    if len(weight) <= 64:  # a one-variable call: Python floats are cheaper than reductions
        low, high = min(live.tolist()), max(weight.tolist())
    else:
        low, high = float(np.min(live)), float(np.max(weight))
    if low >= _TINY and high * float(np.max(seg_total)) < _SUM_LIMIT:
        return weight  # the common case: two passes, nothing to rescale
    top = extreme_at(np.maximum, weight, seg_code, m)
    off = extreme_at(np.minimum, live, seg_code, m) < _TINY
    with np.errstate(over="ignore"):  # past the largest float: inf, which is off
        # the product, as the test above takes it (a quotient rounds the other way)
        off |= top * seg_total >= _SUM_LIMIT
    rows = np.flatnonzero(off[seg_code])
    with np.errstate(divide="ignore"):  # a hook's 0: log 0 = -inf, weight 0
        logw = np.log(reliability[table.source[rows]]) + np.log(table.weight[rows])
        for answer in answers:
            logw += np.log(answer[rows])
    seg = seg_code[rows]
    peak = extreme_at(np.maximum, logw, seg, m)
    fitted = weight.copy()
    # A weight below the smallest normal float relative to its variable's largest
    # counts as that float: too small to move a mean, but a claim that alone is left
    # (the latest, for recency) still carries the estimate.
    fitted[rows] = np.where(logw == -np.inf, 0.0, np.maximum(np.exp(logw - peak[seg]), _TINY))
    return fitted


def _no_usable(part: _Part, k: int) -> NoUsableClaimsError:
    rows = part.rows_of(k)
    v = part.table.variables[int(part.seg_var[k])]
    reasons = [part.reason_text(int(r)) for r in rows]
    shown = "; ".join(reasons[:3]) + ("; ..." if len(reasons) > 3 else "")
    return NoUsableClaimsError(
        f"every claim of variable {v!r} was excluded ({len(reasons)} claims: {shown})",
        variable=v, reasons=reasons,
    )


def _call(info: StrategyInfo, segs: Segments, options: Mapping[str, Any]) -> Reduction:
    s = info.strategy
    hook = "kernel" if s.kernel is not None else "function"
    try:
        if s.kernel is not None:
            red = s.kernel(segs, **options)
        else:
            red = _run_function(s.function, segs, options)
        _validate(red, segs)
    except ClaimreconError:
        raise
    except _MalformedError as exc:
        raise PluginError(f"returned a malformed result: {exc}", plugin=info.plugin,
                          hook=hook, strategy=info.name) from None
    except Exception as exc:
        raise PluginError(f"raised {type(exc).__name__}: {exc}", plugin=info.plugin,
                          hook=hook, strategy=info.name) from exc
    return red


def _isolate(info: StrategyInfo, segs: Segments, options: Mapping[str, Any],
             exc: ClaimreconError) -> tuple[IntArray, Segments | None, Reduction | None,
                                             dict[int, ClaimreconError]]:
    """For ``on_error="collect"``, after the strategy raised ``exc`` on ``segs``: set
    aside the segments that fail and run the strategy once, jointly, on all the others.
    Their estimates (and the source reliability a strategy learns across variables)
    are then those of a run without the failing variables; running each variable
    alone would change them, and fail variables that a learner estimates only among
    the others (one without a known truth, for Cooke's model).

    A failing segment is the variable an error names (its ``variable`` attribute, as
    :class:`NoUsableClaimsError` has); when an error names none, or after eight that
    did, each segment is run alone and those that fail are set aside. If the strategy
    learns across variables (it states source reliability), each of those is taken
    back in where the joint run with it succeeds, halving the ones left out while a
    group of them fails.

    :returns: the positions kept, in order, with the segments and the result of their
        joint run (``None`` where none is kept), and the error of each position set
        aside.
    """
    lost: dict[int, ClaimreconError] = {}
    live = np.arange(segs.m)
    sub = segs
    result: Reduction | ClaimreconError = exc
    alone: list[int] | None = None  # the segments that failed alone, once each has run

    def attempt(keep: IntArray) -> tuple[Segments, Reduction | ClaimreconError]:
        some = segs.take(keep)
        try:
            return some, _call(info, some, options)
        except ClaimreconError as err:
            return some, err

    named = 0
    while isinstance(result, ClaimreconError):
        # (a named variable is set aside and the rest run again, jointly: a few times;
        # past that, every segment runs alone once, so many failures cost one run each,
        # not a run of everything left each)
        j = _named(result, sub) if named < _NAMED_RUNS or alone is not None else None
        if j is not None:
            named += 1
            lost[int(live[j])] = result
            live = np.delete(live, j)
        elif alone is None:
            alone = []
            for k in live.tolist():
                one = attempt(np.array([k], np.int64))[1]
                if isinstance(one, ClaimreconError):
                    lost[k] = one
                    alone.append(k)
            live = np.setdiff1d(live, alone)
        else:  # nothing named, and each segment runs alone: the failure is joint
            lost.update(dict.fromkeys(live.tolist(), result))
            live = live[:0]
        if len(live) == 0:
            break
        sub, result = attempt(live)
    learns = isinstance(result, Reduction) and result.source_reliability is not None
    if alone and (learns or len(live) == 0):  # (a learner may need some others to run)
        groups = [alone]
        while groups:
            group = groups.pop()
            if len(group) == 1 and len(live) == 0:
                continue  # (it failed alone, and stays lost)
            trial = np.union1d(live, group)
            some, r = attempt(trial)
            if isinstance(r, Reduction):
                live, sub, result = trial, some, r
                for k in group:
                    del lost[k]
            elif len(group) > 1:
                half = len(group) // 2
                groups += [group[half:], group[:half]]  # the first half first
            else:
                lost[group[0]] = r
    if len(live) == 0:
        return live, None, None, lost
    assert isinstance(result, Reduction)
    return live, sub, result, lost


#: How many failures naming their variable collect mode takes one joint run again for,
#: before it runs each variable alone to find the others.
_NAMED_RUNS = 8


def _named(exc: ClaimreconError, segs: Segments) -> int | None:
    """The segment whose variable ``exc`` names in its ``variable`` attribute, if any."""
    variable = getattr(exc, "variable", None)
    if variable is None:
        return None
    try:
        return segs.variables.index(variable)
    except ValueError:  # (not one of these variables)
        return None


def _run_function(function: Any, segs: Segments, options: Mapping[str, Any]) -> Reduction:
    m, n = segs.m, segs.n
    assert segs.starts is not None, "the simple path runs on grouped segments"
    lower, value, upper = np.empty(m), np.empty(m), np.empty(m)
    conf = np.full(m, np.nan)
    weight = segs.weight.copy()
    reason = np.full(n, -1, np.int64)
    reasons: dict[str, int] = {}
    diag: dict[str, npt.NDArray[Any]] = {}
    for k in range(m):
        a, b = int(segs.starts[k]), int(segs.starts[k + 1])
        out = function(segs.claims(k), segs.weight[a:b].copy(), **options)
        if not isinstance(out, Outcome):
            raise _MalformedError(f"expected an Outcome (got {describe(out)})")
        lower[k] = -np.inf if out.lower is None else out.lower
        upper[k] = np.inf if out.upper is None else out.upper
        value[k] = np.nan if out.value is None else out.value
        if out.confidence is not None:
            conf[k] = out.confidence
        if out.weights is not None:
            w = np.asarray(out.weights, np.float64)
            if w.shape != (b - a,):
                raise _MalformedError(f"weights must hold one entry per claim ({b - a}), "
                                 f"got shape {w.shape}")
            weight[a:b] = w
        for i, text in out.excluded.items():
            if not (isinstance(i, int) and 0 <= i < b - a):
                raise _MalformedError(f"excluded names position {i!r}, not a claim position")
            weight[a + i] = 0.0
            reason[a + i] = reasons.setdefault(str(text), len(reasons))
        for key, val in out.diagnostics.items():
            # (a key that other variables do not state stays out of their diagnostics,
            # as when each is reconciled alone)
            diag.setdefault(key, np.full(m, _UNSTATED, dtype=object))[k] = val
    return Reduction(lower=lower, value=value, upper=upper, weight=weight, reason=reason,
                     reasons=tuple(reasons), confidence=conf, diagnostics=diag)


def _validate(red: object, segs: Segments) -> None:
    if not isinstance(red, Reduction):
        raise _MalformedError(f"expected a Reduction (got {describe(red)})")
    m, n = segs.m, segs.n
    for name, size in (("lower", m), ("value", m), ("upper", m), ("weight", n)):
        arr = getattr(red, name)
        if not isinstance(arr, np.ndarray) or arr.shape != (size,):
            raise _MalformedError(f"{name} must be an array of shape ({size},) "
                             f"(got {describe(arr)})")
    lo, up, v, w = red.lower, red.upper, red.value, red.weight
    if m <= 8 and n <= 64:  # the same checks, on Python floats: cheaper for tiny inputs
        for a, b, c in zip(lo.tolist(), v.tolist(), up.tolist(), strict=True):
            if not a <= c or a == math.inf or c == -math.inf:  # (NaN fails a <= c)
                raise _MalformedError(_BAD_BOUNDS)
            # b != b: NaN, no value; an infinite value is refused even within an
            # unbounded range
            if b == b and not (a <= b <= c and abs(b) != math.inf):
                raise _MalformedError(_BAD_VALUE)
        # (each weight compared: min and max of Python floats skip a NaN that is not
        # first)
        if not all(0 <= x < math.inf for x in w.tolist()):
            raise _MalformedError(_BAD_WEIGHTS)
    else:
        if (np.isnan(lo) | np.isnan(up) | (lo > up) | (lo == np.inf) | (up == -np.inf)).any():
            raise _MalformedError(_BAD_BOUNDS)
        if (np.isinf(v) | (v < lo) | (v > up)).any():
            raise _MalformedError(_BAD_VALUE)
        w1 = w[:1] if w.strides == (0,) else w  # one number for every row: check it once
        if not (float(np.min(w1)) >= 0 and float(np.max(w1)) < math.inf):  # NaN fails
            raise _MalformedError(_BAD_WEIGHTS)
    if red.reason is not None:
        r = red.reason
        if not isinstance(r, np.ndarray) or r.shape != (n,) or r.dtype.kind not in "iu":
            raise _MalformedError(f"reason must be an array of integers of shape ({n},)")
        if ((r >= len(red.reasons)) | (r < -1)).any():
            raise _MalformedError("reason holds an index outside reasons")
    if red.confidence is not None:
        c = red.confidence
        if not isinstance(c, np.ndarray) or c.shape != (m,) or c.dtype.kind not in "fiu":
            raise _MalformedError(f"confidence must be an array of numbers of shape ({m},)")
        if np.count_nonzero(~np.isnan(c) & ~((c > 0) & (c < 1))):  # as a Quantity's
            raise _MalformedError("confidence must be a probability strictly between 0 and 1 "
                                  "(NaN: none stated)")
    if red.source_reliability is not None and (
        not isinstance(red.source_reliability, np.ndarray)
        or red.source_reliability.shape != (len(segs.sources),)
    ):
        raise _MalformedError(
            f"source_reliability must be an array of shape ({len(segs.sources)},)")


def _store(
    part: _Part,
    info: StrategyInfo,
    segs: Segments,
    ks: IntArray,
    red: Reduction,
    failed: npt.NDArray[np.bool_],
    errors: dict[Variable, Exception],
    collect: bool,
) -> None:
    w = red.weight
    # (counted and searched as bytes: a search of the floats took 4x; none where the
    # weights are one number for every row, other than 0)
    zero = _NO_BOOLS if w.strides == (0,) and all_nonzero(w) else w == 0
    n_live = segs.n - int(np.count_nonzero(zero))
    if n_live < segs.n:
        texts = list(red.reasons)
        base = len(part.reasons)
        part.reasons.extend(texts)
        # (a copy of the kernel's codes: they are read when the status is, and a
        # kernel may write into its arrays again in a later call)
        codes = np.full(segs.n, -1, np.int64) if red.reason is None else red.reason.copy()
        if np.count_nonzero(zero & (codes < 0)):
            part.reasons.append(f"weight 0 from strategy {info.name!r}")
            codes = np.where(codes < 0, np.int64(len(texts)), codes)
        # (written into each row's status when first read: _Part._set_aside)
        part.pending_status.append((None if segs.every_row else segs.rows, zero,
                                    codes if base == 0 else codes.astype(np.int64) + base))
    if segs.starts is None and n_live < segs.n // 2:
        # Most rows weigh 0 (recency sets most aside): sum the others only, in the same
        # order (adding a zero weight changes no sum).
        live, seg_live, used = segs._counting(w)  # (the kernel may have asked: kept)
        totals: FloatArray = np.bincount(seg_live, weights=w[live],
                                         minlength=segs.m).astype(np.float64, copy=False)
    else:
        totals = segs.sum(w)
        if n_live == segs.n:
            used = segs.counts
        elif segs.starts is not None:  # grouped: one pass in order, no gather
            used = np.add.reduceat(~zero, segs.starts[:-1], dtype=np.int64)
        else:
            used = segs.counts - np.bincount(segs.segment[zero], minlength=segs.m)
    positive = totals > 0
    all_positive = np.count_nonzero(positive) == len(totals)
    part.pending_shares.append((
        None if segs.every_row else segs.rows,  # None: every row, in order
        w, totals if all_positive else np.where(positive, totals, 1.0), segs.segment))
    m_all = len(part.seg_var)
    if len(ks) == m_all:  # one strategy for every variable: keep copies of its arrays
        # (one float per variable each: a kernel may write into its arrays again in a
        # later call, after which an estimate of this run is first read)
        part.used = used
        part.lower, part.value, part.upper = red.lower.copy(), red.value.copy(), red.upper.copy()
        part.confidence = (_every(m_all, "nan") if red.confidence is None
                           else red.confidence.copy())
    else:
        if len(part.lower) != m_all:
            part.lower, part.value, part.upper, part.confidence = (
                _nans(m_all) for _ in range(4))
            part.used = np.zeros(m_all, np.int64)
        part.used[ks] = used
        part.lower[ks] = red.lower
        part.value[ks] = red.value
        part.upper[ks] = red.upper
        if red.confidence is not None:
            part.confidence[ks] = red.confidence
    if len(ks) == m_all:
        part.strategy_of.fill(len(part.strategies))
        part.position = np.arange(m_all)
    else:
        part.strategy_of[ks] = len(part.strategies)
        part.position[ks] = np.arange(len(ks))
    part.strategies.append((info.name, {
        key: x.copy() if isinstance(x, np.ndarray) else x  # (copies, as the figures)
        for key, x in red.diagnostics.items()} or None))
    if not all_positive:
        for j in np.flatnonzero(~positive).tolist():
            k = int(ks[j])
            exc = _no_usable(part, k)
            if not collect:
                raise exc
            failed[k] = True
            errors[part.table.variables[int(part.seg_var[k])]] = exc


class Estimates(Mapping[Variable, Estimate]):
    """The estimates of many variables: a read-only mapping from variable to
    :class:`Estimate`, built lazily from columnar results.

    :ivar errors: for ``on_error="collect"``, the error of each variable that failed.
    """

    def __init__(self, parts: list[_Part], errors: Mapping[Variable, Exception]) -> None:
        self._parts = parts
        self.errors: Mapping[Variable, Exception] = dict(errors)
        self._index_built: dict[Variable, tuple[_Part, int]] | None = None
        self._cache: dict[Variable, Estimate] = {}

    @property
    def _index(self) -> dict[Variable, tuple[_Part, int]]:
        """Variable -> (part, segment), built on first use (not for to_pandas)."""
        if self._index_built is None:
            index: dict[Variable, tuple[_Part, int]] = {}
            for p in self._parts:
                ok = np.flatnonzero(p.ok)
                names = object_array(p.table.variables)[p.seg_var[ok]].tolist()
                index.update(zip(names, ((p, k) for k in ok.tolist()), strict=True))
            self._index_built = index
        return self._index_built

    def _only(self) -> Estimate:
        """The one estimate of a one-variable run (errors were raised, not collected)."""
        est = self._parts[0].estimate(0)
        self._cache[est.variable] = est
        return est

    def __getitem__(self, variable: Variable) -> Estimate:
        est = self._cache.get(variable)
        if est is None:
            try:
                part, k = self._index[variable]
            except KeyError:
                if variable in self.errors:
                    raise KeyError(f"{variable!r} failed: {self.errors[variable]}") from None
                raise
            est = self._cache[variable] = part.estimate(k)
        return est

    def __iter__(self) -> Iterator[Variable]:
        return iter(self._index)

    def _stream(self) -> Iterator[Estimate]:
        """Every estimate in order, built without keeping it (for writing millions)."""
        for variable, (part, k) in self._index.items():
            cached = self._cache.get(variable)
            yield cached if cached is not None else part.estimate(k)

    def __len__(self) -> int:
        # One estimate per usable segment, each of its own variable: no index needed.
        return sum(int(np.count_nonzero(p.ok)) for p in self._parts)

    def __repr__(self) -> str:
        return f"<Estimates: {len(self)} variables, {len(self.errors)} errors>"

    @property
    def source_reliability(self) -> Mapping[str, float] | None:
        """The source reliability a learning strategy estimated, by source id; ``None``
        where no strategy of the run learns it, or where several did (a mapping that
        gives some variables to ``crh`` and others to ``catd`` learns twice: run each
        on its variables to read what it learned)."""
        for p in self._parts:
            if p.source_reliability is not None:
                return dict(p.source_reliability)
        return None

    def columns(self) -> dict[str, npt.NDArray[Any]]:
        """One entry per variable, as numpy columns (no pandas needed, no Estimate
        objects built): variable, strategy, lower, value, upper, unit, n_used,
        n_excluded, conflict. Unbounded sides are ``-inf``/``+inf``, a missing value
        ``NaN``, a missing unit ``None``. Variables are int64 numbers where every one is
        an integer key (:attr:`ClaimTable.variable_keys`), else objects."""
        cols: dict[str, list[npt.NDArray[Any]]] = {}
        for p in self._parts:
            m = len(p.seg_var)
            # The rows of the variables estimated: every one (a copy of each column),
            # else their positions.
            ok: IntArray | None = (None if np.count_nonzero(p.ok) == m
                                   else np.flatnonzero(p.ok))
            # (_store counted the rows that count of every variable it estimated)
            total = p.seg_total
            used = p.used if len(p.used) == m else np.zeros(m, np.int64)
            t = p.table
            keys = t.variable_keys
            part = {
                "variable": (_picked(t.variables, p.seg_var, ok, m == t.n_variables)
                             if keys is None else keys[_take(p.seg_var, ok)]),
                "strategy": _picked([name for name, _ in p.strategies], p.strategy_of, ok),
                "lower": _rows(p.lower, ok),
                "value": _rows(p.value, ok),
                "upper": _rows(p.upper, ok),
                "unit": _picked((*t.units, None), p.unit, ok),
                "n_used": _rows(used, ok),
                "n_excluded": _take(total - used, ok),  # fresh already: no copy
                "conflict": _rows(p.conflict, ok),
            }
            for k, v in part.items():
                cols.setdefault(k, []).append(v)
        return {k: v[0] if len(v) == 1 else np.concatenate(v) for k, v in cols.items()}

    def to_pandas(self) -> Any:
        """One row per variable: variable, strategy, lower, value, upper, unit, n_used,
        n_excluded, conflict (needs pandas). Unbounded sides are ``-inf``/``+inf``,
        a missing value ``NaN``. The variable column is int64 where every variable is
        an integer key, else objects."""
        import pandas as pd

        # The columns are fresh arrays: the frame takes them without a copy; object
        # columns stay objects (no inference of a string dtype, and back).
        return pd.DataFrame({
            k: pd.Series(v, dtype=object if v.dtype == object else None, copy=False)
            for k, v in self.columns().items()}, copy=False)

    def claims_to_pandas(self) -> Any:
        """One row per input claim, in input order: variable, source, weight (its
        share, 0 if excluded), excluded, reason (needs pandas). A share too small for a
        float (a weight below about 5e-324 times the variable's total) shows as 0 for a
        claim that counts: ``excluded`` tells the two apart."""
        import pandas as pd

        p = self._parts[0]
        t = p.table
        excluded = p.status != _ACTIVE
        ok_seg = np.zeros(t.n_variables, bool)
        ok_seg[p.seg_var[p.ok]] = True
        failed_row = ~ok_seg[t.variable]
        reason = np.full(len(t), None, dtype=object)
        for r in np.flatnonzero(excluded).tolist():
            reason[r] = p.reason_text(r)
        for r in np.flatnonzero(failed_row).tolist():
            v = t.variables[int(t.variable[r])]
            reason[r] = f"variable failed: {self.errors.get(v)}"
        share = np.where(excluded | failed_row, 0.0, p.share)
        return pd.DataFrame({
            "variable": (pd.Series(object_array(t.variables)[t.variable], dtype=object,
                                   copy=False) if t.variable_keys is None
                         else t.variable_keys[t.variable]),
            # (object columns, as pandas 2 made them and claimrecon.dask does: pandas 3
            # would make texts of them, and None a NaN)
            "source": pd.Series(object_array([s.id for s in t.sources])[t.source],
                                dtype=object, copy=False),
            "weight": share,
            "excluded": excluded | failed_row,
            "reason": pd.Series(reason, dtype=object, copy=False),
        })
