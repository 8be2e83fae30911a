"""The Strategy protocol: what a reconciliation plugin provides."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import numpy.typing as npt

from ._model import Claim, _Frozen
from ._order import group_codes
from ._table import variable_keys_of

if TYPE_CHECKING:
    from ._table import ClaimTable

__all__ = [
    "PROPERTIES",
    "Outcome",
    "Reduction",
    "Segments",
    "Strategy",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: The invariants a strategy may declare in :attr:`Strategy.properties`; the contract
#: kit (:func:`claimrecon.testing.check_strategy`) checks exactly those declared.
PROPERTIES: Mapping[str, str] = MappingProxyType(
    {
        "within_envelope": "the estimate lies inside the envelope of its usable claims, "
        "and lower <= value <= upper",
        "accounts_for_all": "every claim is in contributions or excluded, exactly once",
        "order_free": "the order of the claims does not change the result",
        "idempotent": "one claim, or the same claim n times, reconciles to that claim's "
        "lower and upper",
        "scale_free": "scaling every weight by one factor does not change the result",
        "ignores_older": "adding a claim older than all others does not change the result",
    }
)

_CORE = frozenset(
    {"within_envelope", "accounts_for_all", "order_free", "idempotent", "scale_free"}
)

#: The start of the only segment, for ``reduceat`` (cheaper than ``reduce`` with
#: ``keepdims`` on the few rows of a one-variable call). Never written.
_FIRST: IntArray = np.zeros(1, np.int64)
_FIRST.flags.writeable = False


def extreme_at(ufunc: np.ufunc, a: npt.NDArray[Any], segment: IntArray, m: int) -> npt.NDArray[Any]:
    """``ufunc`` (np.minimum or np.maximum) of ``a`` (floats or integers) within each of
    ``m`` segments, rows in any order, by ``ufunc.at`` from the identity (the largest
    value for a minimum, the smallest for a maximum). NaN propagates."""
    if m == 1:
        return ufunc.reduceat(a, _FIRST)
    start: float | int
    if a.dtype.kind == "f":
        start = math.inf if ufunc is np.minimum else -math.inf
    else:
        start = int(np.iinfo(a.dtype).max if ufunc is np.minimum else np.iinfo(a.dtype).min)
    out = np.full(m, start, a.dtype)
    with np.errstate(invalid="ignore"):  # NaN propagates, as in reduceat
        ufunc.at(out, segment, a)
    return out


def conflict_at(lower: FloatArray, upper: FloatArray, segment: IntArray, m: int
                ) -> npt.NDArray[np.bool_]:
    """Whether the claims of each of ``m`` segments share no common point (the highest
    lower bound exceeds the lowest upper bound), rows in any order."""
    conflict: npt.NDArray[np.bool_] = extreme_at(np.maximum, lower, segment, m) > extreme_at(
        np.minimum, upper, segment, m)
    return conflict


def all_nonzero(a: npt.NDArray[Any]) -> bool:
    """Whether no entry of the 1-d ``a`` is 0 (one comparison where ``a`` is one number
    for every row, as a column's default is)."""
    if a.strides == (0,) and a.size:
        return bool(a[0] != 0)
    return int(np.count_nonzero(a)) == a.size


def _read_only(a: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """A read-only view of ``a`` (an array the engine keeps, handed to kernels)."""
    if not a.flags.writeable:
        return a
    view = a.view()
    view.flags.writeable = False
    return view


class Segments:
    """The usable claims of one or more variables, for a kernel to reduce.

    Each row belongs to the segment (variable) :attr:`segment` gives, ``0 <= k < m``;
    every segment holds at least one row. For a strategy with ``grouped=True`` (the
    default) rows are also contiguous by segment, in input order within each: segment
    ``k`` holds rows ``starts[k]:starts[k + 1]``. Hash-style kernels (``grouped=False``)
    get the rows in table order and :attr:`starts` is ``None``; :meth:`sum`,
    :meth:`min` and :meth:`max` work either way.

    Bounds are floats with ``-inf``/``+inf`` for unbounded sides, :attr:`value` is
    ``NaN`` where a claim states no central figure, and times are int64 microseconds
    with :data:`claimrecon.MISSING_TIME` for none. The claim columns (:attr:`lower`,
    :attr:`value`, :attr:`upper`, :attr:`source`, :attr:`as_of`, :attr:`published`,
    :attr:`confidence`) are taken from the table when a kernel first reads them.
    Every array a Segments holds may be the table's own, shared with the engine, or
    read-only: a kernel reads them and writes into copies.

    The engine builds the segments a kernel gets; to build some for a test, give
    ``rows`` (each row's position in ``table``, or ``None`` for every row of the table
    in table order), ``segment``, ``m``, ``weight`` and ``variables``, and ``starts``
    for grouped rows; ``counts`` (rows per segment) and ``truths`` are optional.

    :ivar segment: the segment of each row.
    :ivar starts: int64 offsets, one more than there are segments (grouped only).
    :ivar weight: each claim's weight (> 0): source reliability x row weight x weight hooks.
    :ivar truths: known realisations by segment (``NaN`` = unknown), for strategies
        that calibrate on them; ``None`` when none were given.
    """

    __slots__ = (
        "_columns",
        "_conflict",
        "_counts",
        "_every_row",
        "_firsts",
        "_live",
        "_m",
        "_n",
        "_rows",
        "_table",
        "_variable_keys",
        "_variables",
        "segment",
        "starts",
        "truths",
        "weight",
    )

    def __init__(
        self,
        *,
        table: ClaimTable,
        rows: IntArray | None,
        segment: IntArray,
        m: int,
        weight: FloatArray,
        variables: Sequence[Any] | npt.NDArray[np.integer[Any]],
        starts: IntArray | None = None,
        truths: FloatArray | None = None,
        counts: IntArray | None = None,
    ) -> None:
        self._table = table
        # None: every row of the table, in table order, so the table's columns serve as
        # they are (and no array of row numbers is made unless asked for).
        self._rows = rows
        self._every_row = rows is None
        self._n = len(table) if rows is None else len(rows)
        self._m = m
        self.segment = segment
        self.starts = starts
        self._firsts = None if starts is None else starts[:-1]  # each segment's first row
        self._counts = None if counts is None else _read_only(counts)
        self._columns: dict[str, npt.NDArray[Any]] = {}
        self._conflict: npt.NDArray[np.bool_] | None = None
        self._live: tuple[FloatArray, IntArray, IntArray, IntArray] | None = None
        self.weight = _read_only(weight)
        # Integer keys stay numbers, as a table holds them: the tuple is made only if
        # a kernel reads it.
        self._variable_keys: IntArray | None
        self._variables: tuple[Any, ...] | None
        self._variable_keys, self._variables = variable_keys_of(variables)
        self.truths = truths

    @property
    def _closed(self) -> bool:
        """Whether every claim states a value and two finite bounds, as the reader that
        made the table found (``False``: not known)."""
        return self._table._closed is True

    def _column(self, name: str) -> npt.NDArray[Any]:
        """The table's column ``name`` for these rows, taken on first use (a kernel
        pays only for the columns it reads)."""
        col = self._columns.get(name)
        if col is None:
            full = getattr(self._table, name)
            col = self._columns[name] = full if self._every_row else full[self.rows]
        return col

    def matrix(self, *names: str) -> FloatArray:
        """A fresh float64 matrix of shape ``(len(names), n)`` holding the claim
        columns ``names`` (``"lower"``, ``"value"``, ...) for these rows, one row per
        column: the kernel's own, to reorder or overwrite. Each row is taken from the
        table straight into the matrix (a column already read is copied), so no array
        per column is made on the way.

        >>> import claimrecon as cr
        >>> table = cr.ClaimTable.from_claims([
        ...     cr.Claim(variable="a", source=cr.Source(id=s), quantity=q)
        ...     for s, q in (("x", cr.Quantity(value=2.0, lower=1.0, upper=4.0)),
        ...                  ("y", cr.Quantity(value=3.0)))])
        >>> segs = cr.Segments(table=table, rows=None, segment=table.variable, m=1,
        ...                    weight=table.weight, variables=table.variables)
        >>> segs.matrix("lower", "value").tolist()
        [[1.0, 3.0], [2.0, 3.0]]
        """
        out = np.empty((len(names), self._n))
        for row, name in zip(out, names, strict=True):
            col = self._columns.get(name)
            if col is None:
                full = getattr(self._table, name)
                if self._every_row:
                    col = full
                elif full.dtype == np.float64:  # (take writes only its own type)
                    np.take(full, self.rows, out=row)
                    continue
                else:  # times, codes: gathered, then converted into the row
                    col = full[self.rows]
            row[...] = col
        return out

    @property
    def lower(self) -> FloatArray:
        """Lower bounds (``-inf``: unbounded)."""
        return self._column("lower")

    @property
    def value(self) -> FloatArray:
        """Central figures (``NaN``: none)."""
        return self._column("value")

    @property
    def upper(self) -> FloatArray:
        """Upper bounds (``+inf``: unbounded)."""
        return self._column("upper")

    @property
    def source(self) -> IntArray:
        """Source codes, indexes into :attr:`sources`."""
        return self._column("source")

    @property
    def as_of(self) -> IntArray:
        """When each figure holds (int64 microseconds; :data:`~claimrecon.MISSING_TIME`
        for none)."""
        return self._column("as_of")

    @property
    def published(self) -> IntArray:
        """When each figure was reported (as :attr:`as_of`)."""
        return self._column("published")

    @property
    def confidence(self) -> FloatArray:
        """Each claim's stated confidence (``NaN``: none)."""
        return self._column("confidence")

    @property
    def counts(self) -> IntArray:
        """The number of rows in each segment."""
        if self._counts is None:
            self._counts = _read_only(self.starts[1:] - self.starts[:-1]
                                      if self.starts is not None
                                      else np.bincount(self.segment, minlength=self._m))
        return self._counts

    @property
    def n(self) -> int:
        """The number of rows."""
        return self._n

    @property
    def m(self) -> int:
        """The number of segments (variables)."""
        return self._m

    @property
    def grouped(self) -> bool:
        """Whether rows are contiguous by segment (then :attr:`starts` is set)."""
        return self.starts is not None

    @property
    def sources(self) -> tuple[Any, ...]:
        """The :class:`~claimrecon.Source` objects that :attr:`source` codes index."""
        return self._table.sources

    @property
    def table(self) -> ClaimTable:
        """The whole claims table these rows come from."""
        return self._table

    @property
    def rows(self) -> IntArray:
        """Each row's position in :attr:`table` (made on first use when these are
        every row)."""
        if self._rows is None:
            self._rows = np.arange(self._n, dtype=np.int64)
        return self._rows

    @property
    def every_row(self) -> bool:
        """Whether these are every row of :attr:`table`, in table order (then each
        column is the table's own, with no copy)."""
        return self._every_row

    def sum(self, x: npt.ArrayLike) -> FloatArray:
        """Sum ``x`` (one entry per row) within each segment."""
        a = np.asarray(x, np.float64)
        if a.strides == (0,) and self.n:  # one number for every row (every weight 1)
            same: FloatArray = self.counts * a[0]
            return same
        if self._firsts is not None:
            return np.add.reduceat(a, self._firsts)
        # (np.add.at adds in row order as np.bincount does, to the same bits, without
        # bincount's two passes over the codes to find their range)
        out = np.zeros(self._m)
        np.add.at(out, self.segment, a)
        return out

    def min(self, x: npt.ArrayLike) -> npt.NDArray[Any]:
        """The minimum of ``x`` within each segment (NaN propagates; integer input
        keeps its type)."""
        return self._extreme(np.minimum, x)

    def max(self, x: npt.ArrayLike) -> npt.NDArray[Any]:
        """The maximum of ``x`` within each segment (NaN propagates; integer input
        keeps its type)."""
        return self._extreme(np.maximum, x)

    @property
    def conflict(self) -> npt.NDArray[np.bool_]:
        """Whether the claims of each segment share no common point: the highest lower
        bound exceeds the lowest upper bound. Computed on first use and kept; when
        these are every claim of the call, the engine has already computed it (each
        estimate's ``conflict``), so a kernel that reads it pays nothing."""
        if self._conflict is None:
            self._conflict = _read_only(self.max(self.lower) > self.min(self.upper))
        return self._conflict

    def _counting(self, w: FloatArray) -> tuple[IntArray, IntArray, IntArray]:
        """The rows whose weight in ``w`` (one per row, none negative) is above 0,
        their segments, and how many count in each segment; kept for the last ``w``
        asked about (a kernel that sets most rows aside and the engine after it ask
        about the same weights)."""
        if self._live is None or self._live[0] is not w:
            live = np.flatnonzero(w > 0)
            seg = self.segment[live]
            self._live = (w, live, seg, np.bincount(seg, minlength=self._m))
        return self._live[1], self._live[2], self._live[3]

    def _extreme(self, ufunc: np.ufunc, x: npt.ArrayLike) -> npt.NDArray[Any]:
        a = np.asarray(x)
        if a.dtype.kind not in "iu":
            a = a.astype(np.float64, copy=False)
        if self._firsts is not None:
            return ufunc.reduceat(a, self._firsts)
        return extreme_at(ufunc, a, self.segment, self._m)

    def spread(self, per_segment: npt.ArrayLike) -> npt.NDArray[Any]:
        """A per-segment array repeated onto the rows."""
        return np.asarray(per_segment)[self.segment]

    def claims(self, k: int) -> list[Claim]:
        """The :class:`~claimrecon.Claim` objects of segment ``k`` (builds objects: use
        on the simple path only)."""
        if self.starts is not None:
            a, b = int(self.starts[k]), int(self.starts[k + 1])
            rows: Iterable[int] = (range(a, b) if self._every_row
                                   else self.rows[a:b].tolist())
        else:
            rows = self.rows[self.segment == k].tolist()
        return [self._table.claim(i) for i in rows]

    def take(self, ks: IntArray) -> Segments:
        """A view holding only the segments ``ks``, in that order."""
        new = np.full(self._m, -1, np.int64)
        new[ks] = np.arange(len(ks))
        seg = new[self.segment]
        idx = np.flatnonzero(seg >= 0)
        starts = None
        if self.starts is not None:
            order, seg = group_codes(seg[idx], len(ks))
            idx = idx[order]
            starts = np.zeros(len(ks) + 1, np.int64)
            np.cumsum(self.counts[ks], out=starts[1:])
        else:
            seg = seg[idx]
        return Segments(
            table=self._table,
            rows=idx if self._every_row else self.rows[idx],
            segment=seg,
            m=len(ks),
            starts=starts,
            weight=self.weight[idx],
            variables=self.variables_at(ks),
            truths=None if self.truths is None else self.truths[ks],
        )

    @property
    def variables(self) -> tuple[Any, ...]:
        """The variable of each segment (made when first read, where they are integer
        keys held as numbers)."""
        if self._variables is None:
            assert self._variable_keys is not None
            self._variables = tuple(self._variable_keys.tolist())
        return self._variables

    def variables_at(self, ks: IntArray) -> Sequence[Any] | IntArray:
        """The variables of segments ``ks``: int64 numbers where every variable is an
        integer key, else a list (no tuple of every variable is made for a few)."""
        if self._variable_keys is not None:
            keys: IntArray = self._variable_keys[ks]
            return keys
        return [self.variables[k] for k in np.asarray(ks).tolist()]


_EMPTY: Mapping[str, Any] = _Frozen()


def _frozen(value: Mapping[Any, Any] | None) -> Mapping[Any, Any]:
    return _Frozen(value) if value else _EMPTY


@attrs.frozen(kw_only=True)
class Reduction:
    """What a columnar kernel returns for ``m`` segments of ``n`` rows.

    :param lower: per segment; ``-inf`` = unbounded.
    :param value: per segment; ``NaN`` = no central figure.
    :param upper: per segment; ``+inf`` = unbounded.
    :param weight: per row: the claim's (unnormalised) weight in the result; ``0``
        excludes the claim. The engine turns weights into shares that sum to 1; it
        never writes into the arrays it is given, so a kernel that keeps every weight
        may return :attr:`Segments.weight` itself. It reads the weights again when
        each claim's share is first asked for, after the call: return an array the
        kernel does not write into later (the figures, reason codes and diagnostic
        arrays the engine copies).
    :param reason: per row, for rows of weight 0: an index into :attr:`reasons`
        (``-1`` where none applies), in any integer type (``int8`` takes an eighth of
        the memory of ``int64``). ``None`` when the strategy excludes nothing.
    :param reasons: the exclusion reasons, readable sentences.
    :param confidence: per segment, the probability the range holds the truth, if the
        strategy states one (``NaN`` = none).
    :param diagnostics: named figures: per-segment arrays, or scalars that hold for all.
    :param source_reliability: per source code, for strategies that learn it.
    """

    lower: FloatArray
    value: FloatArray
    upper: FloatArray
    weight: FloatArray
    reason: npt.NDArray[np.integer[Any]] | None = None
    reasons: tuple[str, ...] = ()
    confidence: FloatArray | None = None
    diagnostics: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen)
    source_reliability: FloatArray | None = None


@attrs.frozen(kw_only=True)
class Outcome:
    """What a simple per-variable strategy function returns for one variable.

    :param lower: ``None`` = unbounded.
    :param value: ``None`` = no central figure.
    :param upper: ``None`` = unbounded.
    :param weights: one weight per claim given (``0`` excludes it); ``None`` keeps the
        weights the function was given.
    :param excluded: reasons for excluded claims, by position among the claims given.
    :param confidence: the probability the range holds the truth, if stated.
    :param diagnostics: named figures.
    """

    lower: float | None
    value: float | None
    upper: float | None
    weights: Sequence[float] | None = None
    excluded: Mapping[int, str] = attrs.field(factory=dict, converter=_frozen)
    confidence: float | None = None
    diagnostics: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen)


#: A columnar kernel: reduces every segment at once.
Kernel = Callable[..., Reduction]
#: A simple strategy function: ``function(claims, weights, **options) -> Outcome``.
Function = Callable[..., Outcome]


def _as_properties(value: Iterable[str]) -> frozenset[str]:
    return frozenset(value)


def _check_properties(instance: Strategy, attribute: Any, value: frozenset[str]) -> None:
    unknown = set(value) - set(PROPERTIES)
    if unknown:
        raise ValueError(
            f"strategy {instance.name!r} declares unknown properties {sorted(unknown)}; "
            f"known: {', '.join(PROPERTIES)}"
        )


@attrs.frozen(kw_only=True)
class Strategy:
    """A named way to reconcile claims, provided by a plugin.

    Give either a columnar ``kernel`` (the fast path: it reduces all segments of a
    claims table at once) or a plain per-variable ``function`` (the simple path: the
    engine calls it once per variable with that variable's :class:`~claimrecon.Claim`
    objects and their weights).

    :param name: the name users ask for, e.g. ``"weighted"``.
    :param summary: one line, shown by ``claimrecon strategies``.
    :param kernel: ``kernel(segments: Segments, **options) -> Reduction``.
    :param function: ``function(claims, weights, **options) -> Outcome``.
    :param properties: the invariants it keeps, names from :data:`PROPERTIES`
        (default: all but ``ignores_older``).
    :param options: the options it takes, with their defaults.
    :param grouped: whether the kernel needs rows contiguous by segment (the default;
        sorting costs one argsort). Hash-style kernels that only use
        :meth:`Segments.sum`, :meth:`~Segments.min` and :meth:`~Segments.max` set
        ``False`` and skip the sort.
    """

    name: str
    summary: str
    kernel: Kernel | None = None
    function: Function | None = None
    properties: frozenset[str] = attrs.field(
        default=_CORE, converter=_as_properties, validator=_check_properties
    )
    options: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen)
    grouped: bool = True

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"a strategy needs a non-empty name (got {self.name!r})")
        if (self.kernel is None) == (self.function is None):
            raise ValueError(
                f"strategy {self.name!r} must give exactly one of kernel= and function="
            )
