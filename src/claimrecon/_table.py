"""ClaimTable: claims of many variables held as columns."""

from __future__ import annotations

import contextlib
import datetime
import functools
import math
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from typing import Any

import numpy as np
import numpy.typing as npt

from ._errors import InconsistentSourceError, InvalidClaimError, InvalidQuantityError, describe
from ._model import Claim, Source, Variable
from ._quantity import Quantity

__all__ = ["MISSING_TIME", "ClaimTable", "from_time", "to_time"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: The sentinel for a missing time in the ``as_of`` and ``published`` columns. It is the
#: smallest int64, so a missing time ranks older than every real one.
MISSING_TIME = np.iinfo(np.int64).min

_EPOCH = datetime.datetime(1970, 1, 1)
_US = datetime.timedelta(microseconds=1)
_EPOCH_ORDINAL = _EPOCH.toordinal()
_US_PER_DAY = 86_400_000_000


def to_time(d: datetime.date | None) -> int:
    """A date or datetime as microseconds since 1970-01-01 (naive; aware ones in UTC)."""
    if d is None:
        return int(MISSING_TIME)
    if isinstance(d, datetime.datetime):
        if d.tzinfo is not None:
            d = d.astimezone(datetime.UTC).replace(tzinfo=None)
        return (d - _EPOCH) // _US
    return (d.toordinal() - _EPOCH_ORDINAL) * _US_PER_DAY


def from_time(t: int, *, as_date: bool = True) -> datetime.date | None:
    """Inverse of :func:`to_time`; midnight comes back as a date when ``as_date``."""
    if t == MISSING_TIME:
        return None
    dt = _EPOCH + datetime.timedelta(microseconds=int(t))
    if as_date and dt.hour == dt.minute == dt.second == dt.microsecond == 0:
        return dt.date()
    return dt


def object_array(items: Sequence[Any]) -> npt.NDArray[np.object_]:
    """A 1-d object array of ``items`` (tuples and lists stay entries, not rows)."""
    out = np.empty(len(items), dtype=object)
    out[:] = list(items)
    return out


def _constant(value: float, dtype: type) -> Any:
    out: npt.NDArray[Any] = np.array(value, dtype)
    out.flags.writeable = False
    return out


#: The default of each column a table may be built without.
_DEFAULTS = {
    "unit": _constant(-1, np.int64),
    "time": _constant(MISSING_TIME, np.int64),
    "nan": _constant(np.nan, np.float64),
    "one": _constant(1.0, np.float64),
}


@functools.lru_cache(maxsize=64)
def _every(n: int, default: str) -> Any:
    """The value ``_DEFAULTS[default]`` for each of ``n`` rows: a read-only view with
    stride 0, no memory per row (cached: tables of one size share it)."""
    value = _DEFAULTS[default]
    return np.ndarray((n,), value.dtype, value, 0, (0,))


def variable_keys_of(
    variables: Sequence[Variable] | npt.NDArray[np.integer[Any]],
) -> tuple[IntArray | None, tuple[Variable, ...] | None]:
    """(read-only int64 keys, None) for a numpy integer array that fits int64,
    (read-only int64 keys, the tuple) for a sequence of ints that fit, else (None, the
    tuple of variables): how tables and segments hold their variables. An int64
    array that is already read-only is taken as it is, any other is copied."""
    if isinstance(variables, np.ndarray) and variables.ndim == 1 and variables.dtype.kind in "iu":
        if variables.dtype.kind == "i" or len(variables) == 0 or int(
                variables.max()) < 2**63:
            if variables.dtype == np.int64 and not variables.flags.writeable:
                same: IntArray = variables.view(np.int64)
                return same, None
            keys = variables.astype(np.int64)  # a copy no caller can write into
            keys.flags.writeable = False
            return keys, None
        return None, tuple(variables.tolist())
    items = tuple(variables)
    if items and all(type(v) is int and -(2**63) <= v < 2**63 for v in items):
        keys = np.array(items, np.int64)
        keys.flags.writeable = False
        return keys, items
    return None, items


def _first_repeated(items: Sequence[Any]) -> tuple[Any] | None:
    """The first item that ``items`` holds a second time (in a 1-tuple), else ``None``."""
    seen: set[Any] = set()
    for x in items:
        if x in seen:
            return (x,)
        seen.add(x)
    return None


#: Whether a table being built checks its columns: readers that have checked them as
#: they read turn it off (:func:`checked_columns`), so that no second pass runs.
_CHECKED: ContextVar[bool] = ContextVar("claimrecon_table_checks", default=True)


@contextlib.contextmanager
def checked_columns() -> Iterator[None]:
    """Within this block, tables are built from columns the caller has checked: their
    constructor does not check them again (for the library's own readers)."""
    token = _CHECKED.set(False)
    try:
        yield
    finally:
        _CHECKED.reset(token)


class ClaimTable:
    """Claims of many variables, held as numpy columns.

    Each row is one claim. Bounds are stored as floats with ``-inf``/``+inf`` for
    unbounded sides and ``NaN`` for a missing value; times as int64 microseconds since
    1970 with :data:`MISSING_TIME` for none. Variables, sources and units are codes into
    the tuples :attr:`variables`, :attr:`sources` and :attr:`units` (unit code ``-1``:
    no unit). Build one with :meth:`from_claims`; :meth:`to_claims` gives the claims
    back unchanged. Built from columns, the table checks them, naming the first bad row.

    :raises ValueError: columns of unequal length; a code outside its tuple (a
        variable, source or unit code); a weight that is not a finite number > 0; a
        variable listed twice.
    :raises InvalidQuantityError: bounds that are not a range (``NaN``, ``lower >
        upper``, a lower bound of ``+inf`` or an upper of ``-inf``) or that bound
        nothing (``-inf`` to ``+inf``), a value outside its range, a confidence that
        is not strictly between 0 and 1.
    :raises InconsistentSourceError: a source id listed twice.
    """

    __slots__ = (
        "_claims",
        "_closed",
        "_positions",
        "_shares",
        "_variable_keys",
        "_variables",
        "as_of",
        "confidence",
        "document",
        "lower",
        "phrase",
        "published",
        "quantiles",
        "quote",
        "source",
        "sources",
        "unit",
        "units",
        "upper",
        "value",
        "variable",
        "via",
        "weight",
    )

    #: Each row's variable: its code in :attr:`variables`.
    variable: IntArray
    #: Each row's source (the origin): its code in :attr:`sources`.
    source: IntArray
    #: The sources, one per code, each id once.
    sources: tuple[Source, ...]
    #: Each row's lower bound (``-inf``: unbounded below).
    lower: FloatArray
    #: Each row's central figure (``NaN``: none stated).
    value: FloatArray
    #: Each row's upper bound (``+inf``: unbounded above).
    upper: FloatArray
    #: Each row's unit: its code in :attr:`units` (``-1``: no unit).
    unit: IntArray
    #: The units, one per code.
    units: tuple[str, ...]
    #: Each row's stated confidence, the probability its range holds the truth
    #: (``NaN``: none stated).
    confidence: FloatArray
    #: Each row's weight multiplier (``> 0``; 1 where none was given).
    weight: FloatArray
    #: When each row's figure holds, in microseconds since 1970 (:data:`MISSING_TIME`:
    #: not given).
    as_of: IntArray
    #: When each row's figure was published, as :attr:`as_of`.
    published: IntArray
    #: Each row's outlets that carried the claim (``None``: no row names any).
    via: tuple[tuple[str, ...], ...] | None
    #: Each row's document (``None``: no row names one).
    document: tuple[str | None, ...] | None
    #: Each row's quoted sentence (``None``: no row has one).
    quote: tuple[str | None, ...] | None
    #: Each row's hedged figure as written (``None``: no row has one).
    phrase: tuple[str | None, ...] | None
    #: Each row's expert quantiles, ``(probability, value)`` pairs (``None``: no row
    #: states any).
    quantiles: tuple[tuple[tuple[float, float], ...] | None, ...] | None
    _claims: tuple[Claim, ...] | None
    #: Objects whose memory some columns share, kept alive with the table (the pandas
    #: Series a frame's columns were taken from under copy-on-write).
    _shares: tuple[Any, ...]
    #: Each row's position in the whole input, where the table holds part of it (a
    #: partition of a Dask frame): messages that name a row name it there. ``None``:
    #: the row number itself.
    _positions: IntArray | None
    #: The variables when every one is an integer key, as int64 (``None`` otherwise):
    #: a frame's million integer keys need no Python object each (the tuple
    #: :attr:`variables` is made from them when first read).
    _variable_keys: IntArray | None
    _variables: tuple[Variable, ...] | None
    #: Whether every claim states a value and two finite bounds, as the reader that
    #: made the table found while checking them (``None``: not known). Kernels then
    #: skip their passes for missing values and open sides.
    _closed: bool | None

    def __init__(
        self,
        *,
        variable: IntArray,
        variables: Sequence[Variable] | npt.NDArray[np.integer[Any]],
        source: IntArray,
        sources: Sequence[Source],
        lower: FloatArray,
        value: FloatArray,
        upper: FloatArray,
        unit: IntArray | None = None,
        units: Sequence[str] = (),
        confidence: FloatArray | None = None,
        weight: FloatArray | None = None,
        as_of: IntArray | None = None,
        published: IntArray | None = None,
        via: Sequence[tuple[str, ...]] | None = None,
        document: Sequence[str | None] | None = None,
        quote: Sequence[str | None] | None = None,
        phrase: Sequence[str | None] | None = None,
        quantiles: Sequence[tuple[tuple[float, float], ...] | None] | None = None,
        claims: Sequence[Claim] | None = None,
    ) -> None:
        n = len(variable)
        self.variable = np.asarray(variable, dtype=np.int64)
        self._variable_keys, self._variables = variable_keys_of(variables)
        self.source = np.asarray(source, dtype=np.int64)
        self.sources = tuple(sources)
        self.lower = np.asarray(lower, dtype=np.float64)
        self.value = np.asarray(value, dtype=np.float64)
        self.upper = np.asarray(upper, dtype=np.float64)
        # A column not given holds one default for every row: a read-only view of one
        # number (no memory per row; columns are never written in place).
        self.unit = _every(n, "unit") if unit is None else np.asarray(unit, np.int64)
        self.units = tuple(units)
        self.confidence = (_every(n, "nan") if confidence is None
                           else np.asarray(confidence, np.float64))
        self.weight = (_every(n, "one") if weight is None
                       else np.asarray(weight, np.float64))
        self.as_of = (_every(n, "time") if as_of is None
                      else np.asarray(as_of, np.int64))
        self.published = (_every(n, "time") if published is None
                          else np.asarray(published, np.int64))
        self.via = None if via is None else tuple(via)
        self.document = None if document is None else tuple(document)
        self.quote = None if quote is None else tuple(quote)
        self.phrase = None if phrase is None else tuple(phrase)
        self.quantiles = None if quantiles is None else tuple(quantiles)
        self._claims = None if claims is None else tuple(claims)
        self._shares = ()
        self._positions = None
        self._closed = None
        for name in ("source", "lower", "value", "upper", "unit", "confidence", "weight",
                     "as_of", "published"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"column {name!r} has {len(getattr(self, name))} rows, "
                                 f"expected {n} like 'variable'")
        for name in ("via", "document", "quote", "phrase", "quantiles", "_claims"):
            col = getattr(self, name)
            if col is not None and len(col) != n:
                raise ValueError(f"column {name.lstrip('_')!r} has {len(col)} rows, "
                                 f"expected {n} like 'variable'")
        if _CHECKED.get():
            self._check()

    def _check(self) -> None:
        """Refuse columns that do not describe claims, naming the first bad row: codes
        outside their tuples, bounds that are not a range or bound nothing, a value
        outside its range, a weight or a confidence that cannot be one; and a variable
        or source id listed twice. (Readers and :meth:`from_claims` check as they
        build, and skip this second pass.)"""
        keys = self._variable_keys
        twice = (_first_repeated(self.variables)
                 if keys is None or len(np.unique(keys)) < len(keys) else None)
        if twice is not None:
            raise ValueError(f"variables lists {twice[0]!r} twice; each variable once")
        twice = _first_repeated([s.id for s in self.sources])
        if twice is not None:
            raise InconsistentSourceError(f"sources lists the id {twice[0]!r} twice; each "
                                          "source once")
        if len(self) == 0:
            return
        lo, v, up = self.lower, self.value, self.upper

        def every(col: npt.NDArray[Any]) -> npt.NDArray[Any]:
            return col[:1] if col.strides == (0,) else col  # a default: one number

        def codes(name: str, col: IntArray, low: int, size: int) -> Any:
            def bad() -> npt.NDArray[np.bool_]:
                some = every(col)
                if int(some.min()) >= low and int(some.max()) < size:  # no pass for a mask
                    return np.zeros(1, bool)
                return (some < low) | (some >= size)
            return bad, lambda r: (
                ValueError(f"column {name!r} holds the code {col[r]} at row {r}; its codes "
                           f"must lie from {low} to {size - 1} ({size} {name}s given)"))

        w, conf = every(self.weight), every(self.confidence)
        checks = [
            codes("variable", self.variable, 0, self.n_variables),
            codes("source", self.source, 0, len(self.sources)),
            codes("unit", self.unit, -1, len(self.units)),
            (lambda: np.isnan(lo) | np.isnan(up) | (lo > up) | (lo == math.inf)
             | (up == -math.inf),
             lambda r: InvalidQuantityError(
                 f"row {r}: lower {lo[r]} and upper {up[r]} are not a range (lower <= "
                 "upper; -inf and +inf for open sides, never NaN)")),
            (lambda: (lo == -math.inf) & (up == math.inf),
             lambda r: InvalidQuantityError(
                 f"row {r}: no bound (lower -inf, upper +inf); a claim has at least one "
                 "bound, and a value alone is a point (lower = value = upper)")),
            (lambda: np.isinf(v) | (v < lo) | (v > up),
             lambda r: InvalidQuantityError(f"row {r}: value {v[r]} lies outside its range "
                                            f"[{lo[r]}, {up[r]}] (NaN: no value)")),
            (lambda: ~(w > 0) | (w == math.inf),  # as the readers refuse it
             lambda r: ValueError(f"row {r}: weight {w[r]} is not a finite number > 0")),
            (lambda: (conf <= 0) | (conf >= 1),
             lambda r: InvalidQuantityError(
                 f"row {r}: confidence {conf[r]} is not a probability strictly between 0 "
                 "and 1 (NaN: none stated)")),
        ]
        found = []  # (first bad row, its error) of each check that fails
        for bad, error in checks:
            mask = bad()
            if mask.any():
                r = int(np.argmax(mask))
                found.append((r, error(r)))
        if found:
            raise min(found, key=lambda f: f[0])[1]

    def __len__(self) -> int:
        return len(self.variable)

    @property
    def variables(self) -> tuple[Variable, ...]:
        """The variables, in order of their codes (made when first read, where the table
        holds integer keys as numbers)."""
        if self._variables is None:
            assert self._variable_keys is not None
            self._variables = tuple(self._variable_keys.tolist())
        return self._variables

    @property
    def n_variables(self) -> int:
        """The number of variables (without making :attr:`variables`)."""
        keys = self._variable_keys
        return len(self.variables) if keys is None else len(keys)

    @property
    def variable_keys(self) -> IntArray | None:
        """The variables as int64 numbers when every one is an integer key (read-only),
        else ``None``: for columns of many variables without a Python object each.

        >>> import numpy as np
        >>> import claimrecon as cr
        >>> t = cr.ClaimTable(variable=np.array([0, 1, 1]), variables=[2024, 2025],
        ...                   source=np.zeros(3, np.int64), sources=[cr.Source(id="s")],
        ...                   lower=np.ones(3), value=np.ones(3), upper=np.ones(3))
        >>> t.variable_keys, t.n_variables, t.variables
        (array([2024, 2025]), 2, (2024, 2025))
        """
        return self._variable_keys

    def __getstate__(self) -> dict[str, Any]:
        # Pickled, a table holds its own copies of its columns: the frame's Series
        # that it keeps under copy-on-write would only make the pickle larger.
        return {name: getattr(self, name) for name in self.__slots__ if name != "_shares"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._closed = None  # (not in older pickles)
        if "variables" in state:  # pickled before integer keys were held as numbers
            state["_variable_keys"], state["_variables"] = variable_keys_of(
                state.pop("variables"))
        for name, value in state.items():
            setattr(self, name, value)
        if self._variable_keys is not None:  # (older pickle protocols lose the flag)
            self._variable_keys.flags.writeable = False
        self._shares = ()

    def __repr__(self) -> str:
        return (f"<ClaimTable: {len(self)} claims, {self.n_variables} variables, "
                f"{len(self.sources)} sources>")

    # -- building ----------------------------------------------------------------------

    @classmethod
    def from_claims(cls, claims: Iterable[Claim]) -> ClaimTable:
        """Build a table from :class:`Claim` objects, keeping them for :meth:`to_claims`.

        :raises InvalidClaimError: an item that is not a Claim (its position is named).
        :raises InconsistentSourceError: one source id defined two ways.
        """
        if isinstance(claims, Claim):
            raise InvalidClaimError("expected an iterable of Claim objects (got one Claim)")
        items = claims if isinstance(claims, (list, tuple)) else list(claims)
        n = len(items)
        # One pass over the claims; numpy arrays at the end.
        var_index: dict[Variable, int] = {}
        variables: list[Variable] = []
        src_index: dict[str, int] = {}
        sources: list[Source] = []
        unit_index: dict[str, int] = {}
        units: list[str] = []
        var_codes, src_codes, unit_codes = [0] * n, [0] * n, [-1] * n
        lower, value, upper, conf = [0.0] * n, [0.0] * n, [0.0] * n, [math.nan] * n
        missing = int(MISSING_TIME)
        as_of, published = [missing] * n, [missing] * n
        inf, nan = math.inf, math.nan
        any_quantiles = any_conf = any_as_of = any_published = False
        for i, c in enumerate(items):
            if not isinstance(c, Claim):
                raise InvalidClaimError(f"expected a Claim at position {i} (got {describe(c)})")
            k = var_index.get(c.variable)
            if k is None:
                k = var_index[c.variable] = len(variables)
                variables.append(c.variable)
            var_codes[i] = k
            s = c.source
            k = src_index.get(s.id)
            if k is None:
                k = src_index[s.id] = len(sources)
                sources.append(s)
            elif sources[k] is not s and sources[k] != s:
                raise InconsistentSourceError(
                    f"source id {s.id!r} is defined two ways in one call: {sources[k]!r} "
                    f"and, at claim {i}, {s!r}",
                    source_id=s.id,
                )
            src_codes[i] = k
            q = c.quantity
            if q.unit is not None:
                k = unit_index.get(q.unit)
                if k is None:
                    k = unit_index[q.unit] = len(units)
                    units.append(q.unit)
                unit_codes[i] = k
            lower[i] = -inf if q.lower is None else q.lower
            upper[i] = inf if q.upper is None else q.upper
            value[i] = nan if q.value is None else q.value
            if q.confidence is not None:
                conf[i] = q.confidence
                any_conf = True
            if c.as_of is not None:
                as_of[i] = to_time(c.as_of)
                any_as_of = True
            if c.published is not None:
                published[i] = to_time(c.published)
                any_published = True
            any_quantiles = any_quantiles or q.quantiles is not None
        # A column no claim states is left to its default (one read-only number). The
        # claims checked their figures when they were made.
        with checked_columns():
            return cls(
                variable=np.array(var_codes, np.int64),
                variables=variables,
                source=np.array(src_codes, np.int64),
                sources=sources,
                lower=np.array(lower, np.float64),
                value=np.array(value, np.float64),
                upper=np.array(upper, np.float64),
                unit=np.array(unit_codes, np.int64) if units else None,
                units=units,
                confidence=np.array(conf, np.float64) if any_conf else None,
                as_of=np.array(as_of, np.int64) if any_as_of else None,
                published=np.array(published, np.int64) if any_published else None,
                via=[c.via for c in items],
                document=[c.document for c in items],
                quote=[c.quote for c in items],
                phrase=[c.phrase for c in items],
                quantiles=[c.quantity.quantiles for c in items] if any_quantiles else None,
                claims=items,
            )

    # -- reading back ------------------------------------------------------------------

    def claim(self, i: int) -> Claim:
        """The claim in row ``i``."""
        if self._claims is not None:
            return self._claims[i]
        lo, v, up = float(self.lower[i]), float(self.value[i]), float(self.upper[i])
        conf = float(self.confidence[i])
        u = int(self.unit[i])
        q = Quantity(
            value=None if np.isnan(v) else v,
            lower=None if lo == -np.inf else lo,
            upper=None if up == np.inf else up,
            unit=None if u < 0 else self.units[u],
            confidence=None if np.isnan(conf) else conf,
            quantiles=None if self.quantiles is None else self.quantiles[i],
        )
        return Claim(
            variable=self.variables[int(self.variable[i])],
            quantity=q,
            source=self.sources[int(self.source[i])],
            as_of=from_time(int(self.as_of[i])),
            published=from_time(int(self.published[i])),
            via=() if self.via is None else self.via[i],
            document=None if self.document is None else self.document[i],
            quote=None if self.quote is None else self.quote[i],
            phrase=None if self.phrase is None else self.phrase[i],
        )

    def to_claims(self) -> list[Claim]:
        """Every row as a :class:`Claim`, in row order.

        :raises ValueError: some row has a ``weight`` other than 1, which a Claim cannot
            hold (the claims would reconcile to other figures than the table): keep the
            table, which every function that takes claims also takes."""
        if self._claims is not None:
            return list(self._claims)
        weighted = np.flatnonzero(self.weight != 1.0)
        if len(weighted):
            r = int(weighted[0])
            raise ValueError(
                f"row {r} has the weight {float(self.weight[r]):g}, which a Claim cannot "
                f"hold ({len(weighted)} row{'s' if len(weighted) > 1 else ''} weighted): "
                "reconcile the table itself")
        return [self.claim(i) for i in range(len(self))]

    def write(self, path: str | os.PathLike[str], *, format: str | None = None) -> None:
        """Write the table as CSV, JSON Lines or Parquet (format from the suffix).
        :func:`claimrecon.read_claims` reads it back with nothing lost, within what
        the format holds (CSV: integer variable keys come back as texts, and a
        ``via`` outlet must not contain ``;``).

        :raises ClaimFileError: an unknown format; Parquet, for variable keys that mix
            texts and integers or integers of 2**63 and more (one type per column)."""
        from ._io import write_claims

        write_claims(self, path, format=format)

    @classmethod
    def from_pandas(cls, frame: Any, *, columns: Mapping[str, str] | None = None) -> ClaimTable:
        """Build a table from a pandas DataFrame in the claims schema.

        The table does not change when the frame does: under pandas' copy-on-write
        (always from pandas 3) it shares the frame's numeric and time columns, which
        pandas copies before any of its own operations writes to them; otherwise it
        copies them. A write that goes around pandas (into ``Series.array``, or into a
        numpy array the frame was built on with ``copy=False``) reaches shared memory:
        give such a frame as ``frame.copy()``.

        A frame of 100,000 rows or more has its source ids coded on a second thread
        while this one reads the rest (the call returns when both are done).

        :raises ClaimFileError: naming the 0-based row and the column of each bad cell.
        """
        from ._io import table_from_frame

        return table_from_frame(frame, columns=columns)

    @classmethod
    def from_arrow(cls, table: Any, *, columns: Mapping[str, str] | None = None) -> ClaimTable:
        """Build a table from a pyarrow Table in the claims schema."""
        from ._io import table_from_frame

        return table_from_frame(table, columns=columns)

    def to_pandas(self) -> Any:
        """The table as a pandas DataFrame in the claims schema (needs pandas), built
        column by column: figures as floats (NaN where a bound is not given, and for
        both bounds of a point claim), ``as_of`` and ``published`` as
        ``datetime64[us]`` (NaT where not given), keys, texts and quantiles as
        objects, but variables that are all integer keys as int64. :meth:`from_pandas`
        reads it back with nothing lost."""
        from ._io import table_frame

        return table_frame(self)

    def reliability(self) -> FloatArray:
        """Each source's reliability, indexed by source code."""
        return np.array([s.reliability for s in self.sources], np.float64)

    def document_of(self, i: int) -> str | None:
        """The document of row ``i``, if known."""
        return None if self.document is None else self.document[i]
