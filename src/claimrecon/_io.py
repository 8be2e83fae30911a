"""Claims files and frames: one schema for CSV, JSON Lines, Parquet and data frames."""

from __future__ import annotations

import contextlib
import csv
import datetime
import difflib
import functools
import gc
import itertools
import json
import math
import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO, TypeVar

import numpy as np
import numpy.typing as npt

from ._errors import ClaimFileError, ClaimreconError, InvalidQuantityError
from ._model import Source
from ._order import factorize_ints, group_codes
from ._quantity import Quantiles, as_quantiles
from ._strategy import conflict_at
from ._table import MISSING_TIME, ClaimTable, checked_columns, from_time, object_array, to_time

__all__ = ["COLUMNS", "read_claims", "read_truths", "table_from_frame", "table_from_records",
           "write_claims"]

#: The columns of the claims schema, in the order files are written.
COLUMNS = (
    "variable", "source", "value", "lower", "upper", "unit", "confidence", "as_of",
    "published", "weight", "source_name", "source_kind", "source_reliability", "via",
    "document", "quote", "phrase", "quantiles",
)
_REQUIRED = ("variable", "source")
_SCHEMA = frozenset(COLUMNS)
_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
#: Frames of at least this many rows code their source ids on a second thread.
_THREAD_ROWS = 100_000
#: The longest CSV cell read (csv's own limit is 131,072 characters).
_LONGEST_CELL = 2**31 - 1
_T = TypeVar("_T")


class _RowError(Exception):
    def __init__(self, column: str | None, message: str) -> None:
        super().__init__(message)
        self.column = column


def _missing(x: Any) -> bool:
    if x is None:
        return True
    if isinstance(x, str):
        return x.strip() == ""
    if isinstance(x, float):
        return math.isnan(x)
    if isinstance(x, (int, list, tuple, np.ndarray)):
        return False
    # NaN-like values from frames (numpy NaN, NaT) differ from themselves; pandas' NA
    # refuses to be a bool. Neither needs pandas imported here. A Series or a frame in
    # a cell refuses too, but has a length: it is no missing value.
    try:
        return bool(x != x)
    except (TypeError, ValueError):
        return not hasattr(x, "__len__")


def _number(x: Any, col: str) -> float | None:
    if x is None or _missing(x):
        return None
    if isinstance(x, bool):
        raise _RowError(col, f"expected a number (got {_shown(x)})")
    try:
        f = float(x)
    except (TypeError, ValueError):
        raise _RowError(col, f"expected a number (got {_shown(x)})") from None
    except OverflowError:  # an integer past the largest float
        raise _RowError(col, f"expected a finite number (got {_shown(x)})") from None
    if not math.isfinite(f):
        raise _RowError(col, f"expected a finite number (got {_shown(x)}); leave the cell "
                        "empty for 'not given'")
    return f


def _shown(x: Any) -> str:
    """``repr(x)`` for a message, cut short past 60 characters (a cell may be long, and
    an integer of thousands of digits has no repr at all)."""
    try:
        r = repr(x)
    except ValueError:  # int.__repr__ past sys.get_int_max_str_digits()
        return f"an integer of more than {sys.get_int_max_str_digits()} digits"
    return r if len(r) <= 60 else f"{r[:50]}... ({len(r)} characters)"


def _text(x: Any, col: str) -> str | None:
    if _missing(x):
        return None
    if _not_text(x):  # a JSON object or array is no text
        raise _RowError(col, f"expected a text (got {_shown(x)})")
    return str(x)


def _time(x: Any, col: str) -> int:
    try:
        return _time_of(x, col)
    except OverflowError:  # an aware datetime whose UTC instant leaves years 1 to 9999
        raise _RowError(col, f"expected a date within years 1 to 9999 in UTC (got "
                             f"{_shown(x)})") from None


def _time_of(x: Any, col: str) -> int:
    if x is None or _missing(x):
        return int(MISSING_TIME)
    if isinstance(x, datetime.date):
        return to_time(x)
    if hasattr(x, "to_pydatetime"):
        return to_time(x.to_pydatetime())
    s = str(x).strip()
    try:
        d: datetime.date = (datetime.date.fromisoformat(s) if len(s) == 10
                            else datetime.datetime.fromisoformat(s))
    except ValueError:
        raise _RowError(col, f"expected an ISO date or datetime (got {_shown(x)})") from None
    return to_time(d)


def _via(x: Any) -> tuple[str, ...]:
    if isinstance(x, str):
        return tuple(p.strip() for p in x.split(";") if p.strip())
    if isinstance(x, (list, tuple, np.ndarray)):
        if not all(isinstance(p, str) for p in x):
            raise _RowError("via", f"expected a list of outlet names (got {_shown(list(x))})")
        return tuple(x)
    if _missing(x):  # None, NaN, pandas' NA
        return ()
    raise _RowError("via", f"expected outlets separated by ';' or a list (got {_shown(x)})")


def _quantiles(x: Any) -> Quantiles | None:
    """A quantiles cell: ``probability:value`` pairs separated by ``;`` (a text, as CSV
    holds them), or a list of ``[probability, value]`` pairs (JSON, frames, Parquet);
    ``None`` when not given."""
    if isinstance(x, str):
        if not x.strip():
            return None
        pairs: Any = []
        for part in x.split(";"):
            p, colon, v = part.partition(":")
            try:
                if not colon:
                    raise ValueError
                pairs.append((float(p), float(v)))
            except ValueError:
                raise _RowError("quantiles", "expected probability:value pairs separated by "
                                f"';' (got {_shown(x)})") from None
    elif isinstance(x, (list, tuple, np.ndarray)):
        pairs = x
    elif _missing(x):  # None, NaN, pandas' NA
        return None
    else:
        raise _RowError("quantiles", "expected probability:value pairs separated by ';' or "
                        f"a list of [probability, value] pairs (got {_shown(x)})")
    try:
        return as_quantiles(pairs)
    except InvalidQuantityError as exc:
        raise _RowError("quantiles", f"{exc}, in {_shown(x)}") from None


def _variable(x: Any) -> str | int:
    if _missing(x):
        raise _RowError("variable", "a variable is required")
    if isinstance(x, float) and x.is_integer():
        return int(x)
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        return int(x)
    if isinstance(x, (bool, float, dict, list, tuple)):  # nor a JSON object or array
        raise _RowError("variable", f"expected a string or an integer (got {_shown(x)})")
    return str(x)


#: Rows that the CSV and JSON Lines readers check at once, column by column.
_CHUNK = 1 << 16
_NUMBERS = ("lower", "value", "upper", "confidence", "weight", "source_reliability")
_TEXTS = ("document", "quote", "phrase")
_NONE = type(None)


class _Rows:
    """The claims of one file, checked and gathered chunk by chunk into a ClaimTable.

    The schema's rules are the row checks of :meth:`add_rows`: one row at a time, each
    problem recorded with its row and column, no row dropped. :meth:`add_columns`
    applies the same rules to a chunk of rows one column at a time, for the plain cells
    that files are mostly made of (number texts, empty cells, ISO dates); a chunk
    holding anything else (a problem, an unusual cell) goes to the row checks whole,
    so that what a file gives never depends on which of the two read it.
    """

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.var_index: dict[str | int, int] = {}
        self.src_index: dict[str, int] = {}
        self.sources: list[Source] = []
        self.src_where: list[str] = []
        self.plain_ids: set[str] = set()  # the sources defined by their id alone
        self.unit_index: dict[str, int] = {}
        self.arrays: dict[str, list[npt.NDArray[Any]]] = {k: [] for k in (
            "variable", "source", "lower", "value", "upper", "unit", "confidence",
            "weight", "as_of", "published")}
        self.lists: dict[str, list[Any]] = {k: [] for k in ("via", *_TEXTS, "quantiles")}
        self.problems: list[tuple[str | None, str | None, str]] = []

    def add_rows(self, records: Iterable[tuple[str, Mapping[str, Any]]]) -> None:
        """Check and add rows given as ``(location, row)`` pairs, one at a time."""
        cols: dict[str, list[Any]] = {k: [] for k in (*self.arrays, *self.lists)}
        for where, row in records:
            try:
                var = _variable(row.get("variable"))
                sid = _text(row.get("source"), "source")
                if sid is None:
                    raise _RowError("source", "a source id is required")
                lower = _number(row.get("lower"), "lower")
                value = _number(row.get("value"), "value")
                upper = _number(row.get("upper"), "upper")
                if lower is None and value is None and upper is None:
                    raise _RowError("value",
                                    "at least one of value, lower and upper is required")
                if value is not None and lower is None and upper is None:
                    lower = upper = value
                if lower is not None and upper is not None and lower > upper:
                    raise _RowError("lower", f"lower {lower:g} exceeds upper {upper:g}")
                if value is not None and ((lower is not None and value < lower)
                                          or (upper is not None and value > upper)):
                    raise _RowError("value", f"value {value:g} lies outside [lower, upper]")
                conf = _number(row.get("confidence"), "confidence")
                if conf is not None and not 0 < conf < 1:
                    raise _RowError("confidence",
                                    f"expected a probability in (0, 1) (got {conf:g})")
                weight = _number(row.get("weight"), "weight")
                if weight is not None and weight <= 0:
                    raise _RowError("weight", f"expected a weight > 0 (got {weight:g})")
                rel = _number(row.get("source_reliability"), "source_reliability")
                name = _text(row.get("source_name"), "source_name")
                kind = _text(row.get("source_kind"), "source_kind")
                try:
                    src = Source(id=sid, name=name, kind=kind,
                                 reliability=1.0 if rel is None else rel)
                except ClaimreconError as exc:
                    raise _RowError("source_reliability" if rel is not None else "source",
                                    str(exc)) from None
                k = self.src_index.get(sid)
                if k is None:
                    k = self._new_source(src, where)
                elif self.sources[k] != src:
                    raise _RowError(
                        "source_name" if self.sources[k].name != src.name
                        else "source_kind" if self.sources[k].kind != src.kind
                        else "source_reliability",
                        f"source {sid!r} is defined differently at {self.src_where[k]} "
                        f"({self.sources[k]!r}); every row of one source must agree")
                unit = _text(row.get("unit"), "unit")
                as_of, published = (_time(row.get("as_of"), "as_of"),
                                    _time(row.get("published"), "published"))
                via = _via(row.get("via"))
                texts = [_text(row.get(c), c) for c in _TEXTS]
                quantiles = _quantiles(row.get("quantiles"))
            except _RowError as exc:
                self.problems.append((where, exc.column, str(exc)))
                continue
            cols["variable"].append(self.var_index.setdefault(var, len(self.var_index)))
            cols["source"].append(k)
            cols["lower"].append(-np.inf if lower is None else lower)
            cols["value"].append(np.nan if value is None else value)
            cols["upper"].append(np.inf if upper is None else upper)
            cols["unit"].append(-1 if unit is None
                                else self.unit_index.setdefault(unit, len(self.unit_index)))
            cols["confidence"].append(np.nan if conf is None else conf)
            cols["weight"].append(1.0 if weight is None else weight)
            cols["as_of"].append(as_of)
            cols["published"].append(published)
            cols["via"].append(via)
            for c, t in zip(_TEXTS, texts, strict=True):
                cols[c].append(t)
            cols["quantiles"].append(quantiles)
        for c, parts in self.arrays.items():
            dtype = np.float64 if c in _NUMBERS else np.int64
            parts.append(np.array(cols[c], dtype))
        for c, items in self.lists.items():
            items.extend(cols[c])

    def _new_source(self, src: Source, where: str) -> int:
        if src.name is None and src.kind is None and src.reliability == 1.0:
            self.plain_ids.add(src.id)
        self.src_index[src.id] = len(self.sources)
        self.sources.append(src)
        self.src_where.append(where)
        return len(self.sources) - 1

    def add_columns(self, lines: Sequence[int], cols: Mapping[str, Sequence[Any]]) -> None:
        """Check and add a chunk of rows given column by column (the schema's columns
        that the file has; ``lines``: the line each row starts on)."""
        if not self.problems:  # past a problem, rows are only checked (by the row rules)
            checked = self._plain(lines, cols)
            if checked is not None:
                self._add_plain(lines, *checked)
                return
        names = list(cols)
        self.add_rows((f"line {line}", dict(zip(names, cells, strict=True)))
                      for line, cells in zip(lines, zip(*cols.values(), strict=True), strict=True))

    def _plain(self, lines: Sequence[int], cols: Mapping[str, Sequence[Any]]) -> Any:
        """The chunk's columns converted by the row rules, when every cell is plain and
        no row breaks a rule; else ``None`` (the row checks then take the chunk)."""
        n = len(lines)
        var, sid = cols.get("variable"), cols.get("source")
        if var is None or sid is None or not _plain_keys(var) or not _plain_keys(sid, str):
            return None
        nums = {}
        for c in _NUMBERS:
            x = _plain_numbers(cols[c]) if c in cols else np.full(n, np.nan)
            if x is None:
                return None
            nums[c] = x
        lower, value, upper = nums["lower"], nums["value"], nums["upper"]
        has_value = ~np.isnan(value)
        with np.errstate(invalid="ignore"):
            bad = (np.isnan(lower) & np.isnan(upper) & ~has_value).any()
            bad = bad or (lower > upper).any() or (value < lower).any() or (value > upper).any()
            conf, weight = nums["confidence"], nums["weight"]
            bad = bad or ((conf <= 0) | (conf >= 1)).any() or (weight <= 0).any()
        if bad:
            return None
        point = has_value & np.isnan(lower) & np.isnan(upper)
        if point.any():
            lower = np.where(point, value, lower)
            upper = np.where(point, value, upper)
        lower[np.isnan(lower)] = -np.inf
        upper[np.isnan(upper)] = np.inf
        weight[np.isnan(weight)] = 1.0
        rel = nums["source_reliability"]
        rel[np.isnan(rel)] = 1.0
        names = _plain_texts(cols["source_name"]) if "source_name" in cols else [None] * n
        kinds = _plain_texts(cols["source_kind"]) if "source_kind" in cols else [None] * n
        if names is None or kinds is None:
            return None
        sources = self._plain_sources(sid, names, kinds, rel)
        if sources is None:
            return None
        texts: dict[str, list[Any]] = {}
        for c in ("unit", *_TEXTS):
            t = _plain_texts(cols[c]) if c in cols else [None] * n
            if t is None:
                return None
            texts[c] = t
        times: dict[str, npt.NDArray[np.int64]] = {}
        for c in ("as_of", "published"):
            time = _plain_times(cols[c], c) if c in cols else np.full(n, MISSING_TIME)
            if time is None:
                return None
            times[c] = time
        via = _plain_via(cols["via"]) if "via" in cols else [()] * n
        if via is None:
            return None
        quantiles = _plain_quantiles(cols["quantiles"]) if "quantiles" in cols else [None] * n
        if quantiles is None:
            return None
        return (var, sid, sources, lower, value, upper, conf, weight, texts, times, via,
                quantiles)

    def _plain_sources(self, sid: Sequence[str], names: Sequence[str | None],
                       kinds: Sequence[str | None],
                       rel: npt.NDArray[np.float64]) -> dict[str, Source] | None:
        """The chunk's sources by id, when each is defined one way, and as the rows
        before defined it; else ``None``."""
        found: dict[str, Source] = {}
        if (names.count(None) == len(names) and kinds.count(None) == len(kinds)
                and not np.count_nonzero(rel != 1.0)):
            # No names, kinds nor reliabilities (the usual file): sources by id alone.
            for s in dict.fromkeys(sid).keys() - self.plain_ids:
                if s in self.src_index:  # defined with a name or a reliability before
                    return None
                try:
                    found[s] = Source(id=s)
                except ClaimreconError:
                    return None
            return found
        for key in dict.fromkeys(zip(sid, names, kinds, rel.tolist(), strict=True)):
            try:
                src = Source(id=key[0], name=key[1], kind=key[2], reliability=key[3])
            except ClaimreconError:
                return None
            if found.setdefault(src.id, src) != src:
                return None
            k = self.src_index.get(src.id)
            if k is not None and self.sources[k] != src:
                return None
        return found

    def _add_plain(self, lines: Sequence[int], var: Sequence[str | int], sid: Sequence[str],
                   sources: dict[str, Source], lower: npt.NDArray[np.float64],
                   value: npt.NDArray[np.float64], upper: npt.NDArray[np.float64],
                   conf: npt.NDArray[np.float64], weight: npt.NDArray[np.float64],
                   texts: dict[str, list[Any]], times: dict[str, npt.NDArray[np.int64]],
                   via: list[tuple[str, ...]], quantiles: list[Quantiles | None]) -> None:
        new = [s for s in sources if s not in self.src_index]
        if new:
            first = dict(zip(reversed(sid), range(len(sid) - 1, -1, -1), strict=True))
            for s in sorted(new, key=first.__getitem__):  # in order of first appearance
                self._new_source(sources[s], f"line {lines[first[s]]}")
        vi, si, ui = self.var_index, self.src_index, self.unit_index
        new_vars = [v for v in dict.fromkeys(var) if v not in vi]  # first appearance order
        vi.update(zip(new_vars, range(len(vi), len(vi) + len(new_vars)), strict=True))
        a = self.arrays
        a["variable"].append(np.fromiter(map(vi.__getitem__, var), np.int64, len(var)))
        a["source"].append(np.fromiter(map(si.__getitem__, sid), np.int64, len(sid)))
        a["lower"].append(lower)
        a["value"].append(value)
        a["upper"].append(upper)
        units = texts["unit"]
        a["unit"].append(np.full(len(units), -1, np.int64) if units.count(None) == len(units)
                         else np.array([-1 if u is None else ui.setdefault(u, len(ui))
                                        for u in units], np.int64))
        a["confidence"].append(conf)
        a["weight"].append(weight)
        a["as_of"].append(times["as_of"])
        a["published"].append(times["published"])
        self.lists["via"].extend(via)
        for c in _TEXTS:
            self.lists[c].extend(texts[c])
        self.lists["quantiles"].extend(quantiles)

    def table(self) -> ClaimTable:
        """The table of every row added; a :class:`ClaimFileError` naming the first bad
        row, with a note per further one, if any broke a rule."""
        _raise_located(self.problems, self.path)

        def joined(c: str) -> Any:
            parts = self.arrays[c]
            dtype = np.float64 if c in _NUMBERS else np.int64
            return (parts[0] if len(parts) == 1 else np.concatenate(parts) if parts
                    else np.zeros(0, dtype))

        with checked_columns():  # every row checked as it was read
            return ClaimTable(
                variable=joined("variable"), variables=list(self.var_index),
                source=joined("source"), sources=self.sources, lower=joined("lower"),
                value=joined("value"), upper=joined("upper"), unit=joined("unit"),
                units=list(self.unit_index), confidence=joined("confidence"),
                weight=joined("weight"), as_of=joined("as_of"), published=joined("published"),
                via=self.lists["via"], document=self.lists["document"],
                quote=self.lists["quote"], phrase=self.lists["phrase"],
                quantiles=_stated(self.lists["quantiles"]),
            )


def _stated(quantiles: list[Quantiles | None]) -> list[Quantiles | None] | None:
    """A table's quantiles column: ``None`` when no claim states quantiles."""
    return None if quantiles.count(None) == len(quantiles) else quantiles


def _plain_quantiles(vals: Sequence[Any]) -> list[Quantiles | None] | None:
    """A quantiles column, when every cell is empty or holds valid quantiles."""
    if vals.count("") + vals.count(None) == len(vals):
        return [None] * len(vals)
    try:
        return [_quantiles(x) for x in vals]
    except _RowError:
        return None


def _plain_keys(vals: Sequence[Any], *kinds: type) -> bool:
    """Whether every cell of a key column is a non-blank text or an integer (of
    ``kinds``: texts only for source ids), as the row rules keep them."""
    found = set(map(type, vals))
    if not found <= set(kinds or (str, int)):
        return False
    if str in found:
        texts = vals if len(found) == 1 else [v for v in vals if type(v) is str]
        if "" in texts or any(map(str.isspace, texts)):
            return False
    return True


def _plain_numbers(vals: Sequence[Any]) -> npt.NDArray[np.float64] | None:
    """A number column as floats (NaN: not given) when its cells are plain: number
    texts or empty ones (CSV), or numbers and nulls (JSON), every one finite."""
    n = len(vals)
    found = set(map(type, vals))
    try:
        if found <= {str}:
            empty = vals.count("")
            if empty == n:
                return np.full(n, np.nan)
            out = np.array([float(s) if s else math.nan for s in vals], np.float64)
        elif found <= {int, float, _NONE}:
            empty = vals.count(None)
            if empty == n:
                return np.full(n, np.nan)
            out = np.array([math.nan if x is None else float(x) for x in vals], np.float64)
        else:
            return None
    except (ValueError, OverflowError):  # " ", "n/a", 10**400: the row rules say what
        return None
    return out if n - np.count_nonzero(np.isfinite(out)) == empty else None


def _plain_texts(vals: Sequence[Any]) -> list[str | None] | None:
    """An optional text column, blank cells as ``None``, when every cell is a text or
    null."""
    found = set(map(type, vals))
    if not found <= {str, _NONE}:
        return None
    blank = vals.count("") + vals.count(None)
    if blank == len(vals):
        return [None] * len(vals)
    return [None if x is None or not x or x.isspace() else x for x in vals]


def _plain_times(vals: Sequence[Any], col: str) -> npt.NDArray[np.int64] | None:
    """A date column as times, when every cell is an ISO date text, empty, or null."""
    if not set(map(type, vals)) <= {str, _NONE}:
        return None
    if vals.count("") + vals.count(None) == len(vals):
        return np.full(len(vals), MISSING_TIME)
    try:
        times = {x: _time(x, col) for x in dict.fromkeys(vals)}
    except _RowError:
        return None
    return np.fromiter(map(times.__getitem__, vals), np.int64, len(vals))


def _plain_via(vals: Sequence[Any]) -> list[tuple[str, ...]] | None:
    """A via column as tuples of outlets, when every cell is a text (CSV) or a list of
    texts (JSON)."""
    found = set(map(type, vals))
    if found <= {str}:
        if vals.count("") == len(vals):
            return [()] * len(vals)
        via = {x: _via(x) for x in dict.fromkeys(vals)}
        return list(map(via.__getitem__, vals))
    if found <= {list, _NONE}:
        out = [() if x is None else tuple(x) for x in vals]
        if not set(map(type, itertools.chain.from_iterable(out))) <= {str}:
            return None
        return out
    return None


def table_from_records(
    records: Iterable[tuple[str, Mapping[str, Any]]], *, path: str | None = None
) -> ClaimTable:
    """Build a :class:`ClaimTable` from ``(location, row)`` pairs in the claims schema.

    Every row is checked; bad rows raise one :class:`ClaimFileError` naming the first,
    with a note per further row and all of them in ``problems``. No row is dropped.
    """
    rows = _Rows(path)
    rows.add_rows(records)
    return rows.table()


def _inverse(columns: Mapping[str, str] | None, path: str | None,
             header: Sequence[Any] | None = None) -> dict[str, str]:
    """``columns`` (schema name -> the input's name) turned around, checked: each key a
    schema name, no two keys for one name of the input, and each of those names in
    ``header`` if the input has one (a mapping that does not apply would leave the
    column it meant unread, and its figures lost)."""
    inverse: dict[str, str] = {}
    for ours, theirs in (columns or {}).items():
        if ours not in _SCHEMA:
            near = difflib.get_close_matches(ours, COLUMNS, n=1)
            hint = (f"; did you mean {near[0]!r}?" if near
                    else f"; the schema's name comes first: {theirs}={ours}?"
                    if theirs in _SCHEMA else "")
            raise ClaimFileError(
                f"columns maps {ours!r}, which is not a column of the claims schema{hint}",
                path=path, column=ours)
        if theirs in inverse:
            raise ClaimFileError(f"columns maps both {inverse[theirs]!r} and {ours!r} to "
                                 f"{theirs!r}", path=path, column=theirs)
        if header is not None and theirs not in header:
            raise ClaimFileError(f"columns maps {ours!r} to {theirs!r}, which is not a "
                                 f"column of the input; found: {', '.join(map(str, header))}",
                                 path=path, column=ours)
        inverse[theirs] = ours
    return inverse


def _rename(row: Mapping[str, Any], inverse: Mapping[str, str], path: str,
            where: str) -> Mapping[str, Any]:
    """A JSON object's keys as schema names; two keys that name one column are refused
    (one of the two figures would be lost)."""
    if not inverse:
        return row
    out: dict[str, Any] = {}
    for key, x in row.items():
        name = inverse.get(key, key)
        if name in out:
            raise ClaimFileError(f"the column {name!r} appears twice (as {key!r} and as "
                                 f"{next(k for k in row if inverse.get(k, k) == name)!r})",
                                 path=path, location=where, column=name)
        out[name] = x
    return out


def _near_misses(header: Sequence[str], path: str | None, location: str | None) -> None:
    """Refuse a header that names a column twice, or a column that is nearly the name
    of a schema column the header lacks: the same but for case, spaces, hyphens or
    underscores ("Upper", "as of", "asof"), a letter off ("uper", "values"),
    or ``reliability`` for ``source_reliability``. Read as it is, it would be ignored,
    and the claims would quietly lose a figure. Other extra columns (notes, ids of
    your own) are ignored."""
    seen: set[str] = set()
    absent = [c for c in COLUMNS if c not in header]
    for h in header:
        if h in seen:
            raise ClaimFileError(f"the column {h!r} appears twice", path=path,
                                 location=location, column=h)
        seen.add(h)
        if h in _SCHEMA:
            continue
        near = h.strip().lower().replace(" ", "_").replace("-", "_")
        meant = _meant(near, absent)
        if meant is not None:
            raise ClaimFileError(f"the column {h!r} is not in the claims schema; did you "
                                 f"mean {meant!r}? (rename it, or map it with columns=)",
                                 path=path, location=location, column=h)


def _meant(near: str, absent: Sequence[str]) -> str | None:
    """The schema column among ``absent`` that the column name ``near`` (lower case,
    spaces and hyphens made underscores) nearly is, if any: the same but for
    underscores, one letter added, dropped, changed or swapped with the next, or
    an alias."""
    bare = near.replace("_", "")
    for c in absent:
        if (bare == c.replace("_", "") or near == _ALIASES.get(c)
                or (len(near) > 3 and _one_edit(near, c))):
            return c
    return None


def _one_edit(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ by one letter added, dropped or changed, or by two
    neighbours swapped."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):  # one changed, or the first that differ swapped
        return a[i + 1:] == b[i + 1:] or (
            a[i + 1:i + 2] == b[i:i + 1] and a[i:i + 1] == b[i + 1:i + 2]
            and a[i + 2:] == b[i + 2:])
    return a[i + 1:] == b[i:] if len(a) > len(b) else a[i:] == b[i + 1:]


#: Names that are a schema column's own but for its prefix.
_ALIASES = {"source_reliability": "reliability"}


def _check_header(header: Sequence[str], path: str, columns: Mapping[str, str] | None,
                  required: Sequence[str]) -> dict[str, str]:
    """Refuse a header that lacks a required column (or any figure), and return
    :func:`_inverse` of ``columns`` checked against it."""
    inverse = _inverse(columns, path, header)
    _near_misses([inverse.get(h, h) for h in header], path, "line 1")
    present = {inverse.get(h, h) for h in header}
    for col in required:
        if col not in present:
            hint = f" (mapped from {columns[col]!r})" if columns and col in columns else ""
            raise ClaimFileError(f"the required column {col!r}{hint} is missing; "
                                 f"found: {', '.join(header)}",
                                 path=path, location="line 1", column=col)
    if not {"value", "lower", "upper"} & present:
        raise ClaimFileError("no 'value', 'lower' or 'upper' column", path=path,
                             location="line 1", column="value")
    return inverse


def _csv_chunks(
    f: TextIO, path: str, columns: Mapping[str, str] | None,
    problems: list[tuple[str | None, str | None, str]], required: Sequence[str] = _REQUIRED,
) -> Iterator[tuple[list[int], dict[str, Sequence[str]]]]:
    """The rows of a CSV file in chunks: the line each row starts on, and the cells of
    each schema column the header names (other columns are not read); the header
    must name the ``required`` columns. A row of more or fewer cells than the header
    has columns is noted in ``problems`` (after the rows before it are handed on, so
    that the problems stay in line order) and left out."""
    reader = csv.reader(f, strict=True)  # (not strict: a quote left open swallows the file)
    start = 1
    try:
        header = next(reader, None)
        if header is None:
            raise ClaimFileError("the file is empty (expected a header line)", path=path,
                                 location="line 1")
        inverse = _check_header(header, path, columns, required)
        names = [inverse.get(h, h) for h in header]
        wanted = [(name, i) for i, name in enumerate(names) if name in _SCHEMA]
        width = len(header)
        start = reader.line_num + 1
        lines: list[int] = []
        rows: list[list[str]] = []
        for cells in reader:
            if cells:  # a blank line holds no claim
                if len(cells) != width:
                    if rows:
                        yield lines, {name: [r[i] for r in rows] for name, i in wanted}
                        lines, rows = [], []
                    problems.append((f"line {start}", None, f"{len(cells)} cells where the "
                                     f"header has {width} columns"))
                    start = reader.line_num + 1
                    continue
                lines.append(start)
                rows.append(cells)
                if len(rows) == _CHUNK:
                    yield lines, {name: [r[i] for r in rows] for name, i in wanted}
                    lines, rows = [], []
            start = reader.line_num + 1
        if rows:
            yield lines, {name: [r[i] for r in rows] for name, i in wanted}
    except csv.Error as exc:
        raise ClaimFileError(f"not valid CSV: {exc}", path=path,
                             location=f"line {start}") from None


class _TwiceError(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _one_each(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are all different (json keeps the last of two)."""
    row = dict(pairs)
    if len(row) < len(pairs):
        seen: set[str] = set()
        for k, _ in pairs:
            if k in seen:
                raise _TwiceError(k)
            seen.add(k)
    return row


#: Reads one line of JSON Lines: NaN and Infinity are kept as the texts they are (so
#: that the number rules refuse them), and a key twice is an error. One decoder for
#: every line (``json.loads`` with options builds a new one per call).
_JSON = json.JSONDecoder(parse_constant=str, object_pairs_hook=_one_each)


def _jsonl_chunks(
    f: TextIO, path: str, columns: Mapping[str, str] | None
) -> Iterator[tuple[list[int], dict[str, Sequence[Any]]]]:
    """The objects of a JSON Lines file in chunks: the line of each, and the values of
    each schema key (``None`` where an object lacks it)."""
    inverse = _inverse(columns, path)
    lines: list[int] = []
    rows: list[Mapping[str, Any]] = []
    for n, line in enumerate(f, start=1):
        if not line.strip():
            continue
        where = f"line {n}"
        try:
            row = _JSON.decode(line)
        except _TwiceError as exc:
            raise ClaimFileError(f"the key {exc.key!r} appears twice", path=path,
                                 location=where, column=exc.key) from None
        except json.JSONDecodeError as exc:
            raise ClaimFileError(f"not valid JSON: {exc.msg} (column {exc.colno})", path=path,
                                 location=where) from None
        except ValueError as exc:  # an integer of more digits than Python converts
            raise ClaimFileError(f"cannot read the JSON: {exc}", path=path,
                                 location=where) from None
        if not isinstance(row, dict):
            raise ClaimFileError(f"expected a JSON object (got {type(row).__name__})",
                                 path=path, location=where)
        if "\\u" in line:  # an escape may stand for half a character: no text
            for key, x in row.items():
                for t in (x if isinstance(x, list) else [x]):
                    if isinstance(t, str) and not t.isascii():
                        try:
                            t.encode("utf-8")
                        except UnicodeEncodeError:
                            raise ClaimFileError(
                                f"not text: {_shown(t)} holds half of a character (a lone "
                                "surrogate escape)", path=path, location=where,
                                column=key) from None
        row = _rename(row, inverse, path, where)
        if not _SCHEMA.issuperset(row):
            _near_misses(list(row), path, where)
        lines.append(n)
        rows.append(row)
        if len(rows) == _CHUNK:
            yield lines, {c: [r.get(c) for r in rows] for c in COLUMNS}
            lines, rows = [], []
    if rows:
        yield lines, {c: [r.get(c) for r in rows] for c in COLUMNS}


def read_claims(
    path: str | os.PathLike[str], *, format: str | None = None,
    columns: Mapping[str, str] | None = None,
) -> ClaimTable:
    """Read a claims file in the claims schema (CSV, JSON Lines or Parquet).

    :param path: the file.
    :param format: ``"csv"``, ``"jsonl"`` or ``"parquet"``; by default from the suffix.
    :param columns: maps the schema's names to the file's headers, e.g.
        ``{"source": "outlet"}``.
    :raises ClaimFileError: naming the file, the line (CSV, JSON Lines: the physical
        1-based line, the header is line 1) or row (Parquet: 0-based), and the column.
    """
    return _read(path, format=format, columns=columns)


def _read(
    path: str | os.PathLike[str], *, format: str | None = None,
    columns: Mapping[str, str] | None = None,
    opener: Callable[[Path], TextIO] | None = None,
) -> ClaimTable:
    """:func:`read_claims`, with ``opener`` to open text files (the CLI passes one
    that shows a progress bar)."""
    p = Path(path)
    name = str(path)
    if not p.exists():  # (before its suffix: a name mistyped has none, often)
        raise ClaimFileError("cannot open the file: no such file", path=name)
    fmt = format or _FORMATS.get(p.suffix.lower())
    if fmt not in ("csv", "jsonl", "parquet"):
        raise ClaimFileError(
            f"cannot tell the format from the suffix {p.suffix!r}; pass format='csv', "
            "'jsonl' or 'parquet' (on the command line, --input-format)", path=name)
    if fmt == "parquet":
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise ClaimFileError("reading Parquet needs pyarrow: pip install "
                                 "'claimrecon[arrow]'", path=name) from None
        import pyarrow as pa

        try:
            arrow = pq.read_table(p)
            arrow.validate(full=True)  # texts that are not UTF-8, among other damage
            frame = arrow.to_pandas()
            del arrow  # (not held while the frame is read)
        # Not Parquet, damaged, or pandas metadata that pandas cannot follow.
        except (OSError, pa.ArrowException, ValueError, KeyError, TypeError) as exc:
            raise ClaimFileError(f"cannot read the file as Parquet: {exc}", path=name) from None
        return table_from_frame(frame, path=name, columns=columns)
    try:
        f = opener(p) if opener else open(p, encoding="utf-8-sig", newline="")  # noqa: SIM115
    except OSError as exc:
        raise ClaimFileError(f"cannot open the file: {exc.strerror}", path=name) from None
    limit = csv.field_size_limit()
    with f:
        try:
            csv.field_size_limit(_LONGEST_CELL)  # a quote may be longer than csv's 131,072
            rows = _Rows(name)
            with _collector_paused():
                chunks = (_csv_chunks(f, name, columns, rows.problems) if fmt == "csv"
                          else _jsonl_chunks(f, name, columns))
                for lines, cols in chunks:
                    rows.add_columns(lines, cols)
            return rows.table()
        except UnicodeDecodeError as exc:
            raise ClaimFileError(f"not UTF-8 text ({exc.reason})", path=name,
                                 location=_first_undecodable(p)) from None
        finally:
            csv.field_size_limit(limit)


def read_truths(path: str | os.PathLike[str], *, format: str | None = None,
                columns: Mapping[str, str] | None = None) -> dict[str | int, float]:
    """Known values of some variables, from a CSV or JSON Lines file with the columns
    ``variable`` and ``value`` (``columns`` maps them to the file's names, as for
    claims): one finite value per variable.

    :raises ClaimFileError: naming the file, the line and the column of each bad row
        (a variable given twice too).
    """
    p, name = Path(path), str(path)
    fmt = format or _FORMATS.get(p.suffix.lower())
    if fmt not in ("csv", "jsonl"):
        raise ClaimFileError("truths are read from CSV or JSON Lines; pass format='csv' or "
                             f"'jsonl' (on the command line, name the file .csv or .jsonl; "
                             f"got the suffix {p.suffix!r})", path=name)
    truths: dict[str | int, float] = {}
    first_at: dict[str | int, int] = {}
    problems: list[tuple[str | None, str | None, str]] = []
    try:
        with open(p, encoding="utf-8-sig", newline="" if fmt == "csv" else None) as f:
            chunks = (_csv_chunks(f, name, columns, problems, required=("variable", "value"))
                      if fmt == "csv" else _jsonl_chunks(f, name, columns))
            for lines, cols in chunks:
                for line, var_cell, value_cell in zip(lines, cols["variable"], cols["value"],
                                                      strict=True):
                    try:
                        var = _variable(var_cell)
                        value = _number(value_cell, "value")
                        if value is None:
                            raise _RowError("value", "a value is required")
                        if var in truths:
                            raise _RowError("variable", f"the variable {var!r} is given "
                                            f"twice (first at line {first_at[var]})")
                    except _RowError as exc:
                        problems.append((f"line {line}", exc.column, str(exc)))
                        continue
                    truths[var], first_at[var] = value, line
    except OSError as exc:
        raise ClaimFileError(f"cannot open the file: {exc.strerror}", path=name) from None
    except UnicodeDecodeError as exc:
        raise ClaimFileError(f"not UTF-8 text ({exc.reason})", path=name,
                             location=_first_undecodable(p)) from None
    _raise_located(problems, name)
    if not truths:
        raise ClaimFileError("the file holds no truths (expected a row per variable)",
                             path=name)
    return truths


def _not_text(x: Any) -> bool:
    """Whether a cell is a JSON object or array, a list, an array, bytes or anything
    else with a length but a text: no text, no key."""
    if x is None or isinstance(x, (str, int, float)):
        return False
    return hasattr(x, "__len__")


def _non_texts(problems: list[tuple[int, str, str]], codes: Any, uniques: list[Any],
               column: str) -> None:
    """Rows whose key or text is a list, an array or a mapping."""
    bad = [i for i, u in enumerate(uniques) if _not_text(u)]
    if bad:
        _frame_problems(problems, np.isin(codes, bad), column,
                        lambda r: f"expected a text (got {_shown(uniques[codes[r]])})")


def _factorize(column: Any, name: str, path: str | None) -> tuple[Any, Any]:
    """``pandas.factorize`` of a frame's column; a cell it cannot hash (a list, an
    array) is a ClaimFileError at its row."""
    import pandas as pd

    try:
        return pd.factorize(column, use_na_sentinel=True)
    except TypeError:
        for r, x in enumerate(column.tolist()):
            try:
                hash(x)
            except TypeError:
                raise ClaimFileError(f"expected a text (got {_shown(x)})", path=path,
                                     location=f"row {r}", column=name) from None
        raise


def _raise_problems(problems: list[tuple[int, str, str]], path: str | None) -> None:
    """Raise one ClaimFileError naming the first bad row of a frame (rows 0-based),
    with a note per further one; nothing if there is none."""
    problems.sort()
    _raise_located([(f"row {r}", c, m) for r, c, m in problems], path)


def _raise_located(problems: Sequence[tuple[str | None, str | None, str]],
                   path: str | None) -> None:
    """Raise one ClaimFileError naming the first of ``problems`` (location, column,
    message), with a note per further one; nothing if there is none."""
    if not problems:
        return
    loc, col, msg = problems[0]
    err = ClaimFileError(msg, path=path, location=loc, column=col, problems=problems)
    for loc2, col2, msg2 in problems[1:]:
        err.add_note(ClaimFileError.format(None, loc2, col2, msg2))
    raise err


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused (if it runs): reading a file makes
    millions of objects (a list per CSV row, a dict per JSON line), none in a cycle,
    which the collector would otherwise walk through again and again (a million CSV
    rows read in a third less time)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _blank(problems: list[tuple[int, str, str]], codes: Any, uniques: list[Any],
           column: str) -> None:
    """Rows whose key is an empty or blank text: as required as a missing one."""
    blank = [i for i, u in enumerate(uniques) if isinstance(u, str) and not u.strip()]
    if blank:
        what = "a variable is required" if column == "variable" else "a source id is required"
        _frame_problems(problems, np.isin(codes, blank), column,
                        lambda r: f"{what} (got an empty text)")


def _first_undecodable(p: Path) -> str | None:
    """The line and byte where ``p`` first fails to decode as UTF-8 (the decoder's
    own offset counts from the start of its buffer, not of the file)."""
    start = 0
    with open(p, "rb") as f:
        for n, line in enumerate(f, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as exc:
                return f"line {n} (byte {start + exc.start} of the file)"
            start += len(line)
    return None


def _frame_problems(
    problems: list[tuple[int, str, str]], mask: Any, column: str, message: Any
) -> None:
    for r in np.flatnonzero(np.asarray(mask)).tolist():
        problems.append((r, column, message(r) if callable(message) else message))


class _Shared:
    """How a table owns the columns it takes from a pandas frame without copying them.

    Under pandas' copy-on-write (always from pandas 3; an option in pandas 2) a Series
    that shares a frame's memory makes the frame copy that memory before it writes to
    it, and hands the memory out read-only. So a column pandas gives read-only is
    taken as it is, and the table keeps its Series alive; any other array the frame
    shares (without copy-on-write, or from an extension type such as ``Float64``,
    whose buffer pandas hands out writeable) is copied.
    """

    def __init__(self, pd: Any) -> None:
        self.copy_on_write = (int(pd.__version__.split(".")[0]) >= 3
                              or pd.options.mode.copy_on_write is True)
        self.series: list[Any] = []

    def own(self, series: Any, array: Any) -> Any:
        """``array``, read from ``series``, as a column the table may keep."""
        if not np.may_share_memory(array, series.to_numpy()):
            return array
        if self.copy_on_write and not array.flags.writeable:
            self.series.append(series)
            return array
        return array.copy()


@contextlib.contextmanager
def _beside(compute: Callable[[], _T], *, threaded: bool) -> Iterator[Callable[[], _T]]:
    """Within the block, a function that gives ``compute``'s result: computed on a
    thread of its own from the start of the block if ``threaded``, else when asked.
    Asking waits for the thread and raises what ``compute`` raised; leaving the block,
    also by an exception, waits for the thread to end."""
    if not threaded:
        yield compute
        return
    done: list[tuple[bool, Any]] = []

    def work() -> None:
        try:
            done.append((True, compute()))
        except BaseException as exc:  # handed to the thread that asks
            done.append((False, exc))

    thread = threading.Thread(target=work, name="claimrecon-factorize", daemon=True)
    thread.start()

    def result() -> _T:
        thread.join()
        ok, out = done[0]
        if not ok:
            raise out
        out_: _T = out
        return out_

    try:
        yield result
    finally:
        thread.join()


def _key(cell: Any) -> str | int | None:
    """A frame's variable cell as a key: a text, or an integer (numpy's too, and a
    float that is one); ``None`` if it is no key (a bool, a fraction, a date, a list)."""
    if isinstance(cell, bool | np.bool_):
        return None
    if isinstance(cell, str):
        return str(cell)
    if isinstance(cell, int | np.integer):
        return int(cell)
    if isinstance(cell, float | np.floating) and math.isfinite(cell) and float(cell).is_integer():
        return int(cell)
    return None


def _merged(codes: Any, keys: list[Any]) -> tuple[Any, list[Any]]:
    """Codes of a factorized column and its uniques as ``keys`` gives them: equal keys
    merged into the first one's code, and a key of ``None`` (no key) coded -1."""
    if None not in keys and len(set(keys)) == len(keys):
        return codes, [k for k in keys if k is not None]  # (all of them)
    index: dict[Any, int] = {}
    new = np.array([-1 if k is None else index.setdefault(k, len(index)) for k in keys] or [0],
                   np.int64)
    return np.where(codes < 0, codes, new[codes]), list(index)


#: dtype kinds of frame columns that hold no figure, in words.
_NO_FIGURES = {"b": "a bool", "M": "a date", "m": "a duration", "c": "a complex number"}


def table_from_frame(
    frame: Any, *, path: str | None = None, columns: Mapping[str, str] | None = None,
    summary: dict[str, Any] | None = None,
) -> ClaimTable:
    """A :class:`ClaimTable` from a pandas or polars DataFrame or an Arrow table in the
    claims schema, column by column (no Python object per row unless the frame carries
    ``via``, ``document``, ``quote`` or ``phrase``).

    ``summary``: a dict the engine passes to receive, by variable code, each
    variable's number of rows (``"counts"``) and whether its claims conflict
    (``"conflict"``), found while a second thread codes the source ids (a large
    frame) rather than after the conversion.

    :raises ClaimFileError: naming the 0-based row and the column of the first bad
        cell, with a note per further bad row and all of them in ``problems``.
    """
    import pandas as pd

    mod = type(frame).__module__.split(".")[0]
    if mod == "pyarrow":
        import pyarrow as pa

        try:
            frame.validate(full=True)  # texts that are not UTF-8, among other damage
        except pa.ArrowException as exc:
            raise ClaimFileError(f"the Arrow table is not valid: {exc}", path=path) from None
    if mod in ("pyarrow", "polars"):
        frame = frame.to_pandas()
    if columns:
        frame = frame.rename(columns=_inverse(columns, path, list(frame.columns)))
    header = [str(c) for c in frame.columns]
    _near_misses(header, path, None)
    for col in _REQUIRED:
        if col not in header:
            raise ClaimFileError(f"the required column {col!r} is missing; found: "
                                 f"{', '.join(header)}", path=path, column=col)
    if not {"value", "lower", "upper"} & set(header):
        raise ClaimFileError("no 'value', 'lower' or 'upper' column", path=path, column="value")
    n = len(frame)
    problems: list[tuple[int, str, str]] = []
    unreadable = np.zeros(n, bool)  # a cell that is not a number: one problem per cell
    shared = _Shared(pd)

    def numbers(col: str) -> Any:
        if col not in frame.columns:  # NaN for every row, as a view of one number
            return np.broadcast_to(np.nan, (n,))
        raw = frame[col]
        kind = raw.dtype.kind
        if kind in _NO_FIGURES:  # a column of bools, dates, durations or complex numbers
            given = ~raw.isna().to_numpy()  # (pandas' own, Arrow's, numpy's: one rule)
            unreadable[given] = True
            _frame_problems(problems, given, col, f"expected a number (got {_NO_FIGURES[kind]})")
            return np.full(n, np.nan)
        if kind in "fiu":  # numbers already: nothing to parse
            num = shared.own(raw, raw.to_numpy(dtype=np.float64, na_value=np.nan))
        else:
            if raw.dtype == object:  # True would read as 1.0, 1+5j as 1.0
                no_figure = np.fromiter((isinstance(x, bool | np.bool_ | complex
                                                    | np.complexfloating)
                                         for x in raw.tolist()), bool, n)
                if np.count_nonzero(no_figure):
                    unreadable[no_figure] = True
                    _frame_problems(problems, no_figure, col,
                                    lambda r: f"expected a number (got {raw.iloc[r]!r})")
                    raw = raw.where(~no_figure, None)
            try:
                parsed = pd.to_numeric(raw, errors="coerce")
            except (TypeError, ValueError):  # (pandas 3.1 fails on Arrow decimals with a null)
                parsed = pd.to_numeric(pd.Series(raw.tolist(), dtype=object), errors="coerce")
            num = parsed.to_numpy(dtype=np.float64, na_value=np.nan)
            unparsed = np.isnan(num) & ~raw.isna().to_numpy()
            if np.count_nonzero(unparsed):  # an empty or blank text is a number not given
                cells = raw.tolist()
                for r in np.flatnonzero(unparsed).tolist():
                    if isinstance(cells[r], str) and not cells[r].strip():
                        unparsed[r] = False
            unreadable[unparsed] = True
            _frame_problems(problems, unparsed, col,
                            lambda r: f"expected a number (got {raw.iloc[r]!r})")
        infinite = np.isinf(num)
        if np.count_nonzero(infinite):
            unreadable[infinite] = True
            _frame_problems(problems, infinite, col,
                            lambda r: f"expected a finite number (got {num[r]}); use NaN or "
                            "None for 'not given'")
            num = np.where(infinite, np.nan, num)
        return num

    # variable and source: the source ids are coded on a second thread while this one
    # codes the variables and reads and checks every column that is not about sources
    # (with pandas 3, pandas' factorize of a string column is pyarrow's, which runs
    # without the GIL: on two cores the two overlap, beside numpy integer keys too:
    # 0.36 s in turn, 0.26 s together at ten million rows, 0.23 s with the checks
    # moved before the wait). The thread gets the column, not the frame.
    source = frame["source"]
    var_raw = frame["variable"]
    with _beside(lambda: _factorize(source, "source", path),
                 threaded=n >= _THREAD_ROWS) as source_codes:
        dense = (factorize_ints(var_raw.to_numpy()) if isinstance(var_raw.dtype, np.dtype)
                 else None)  # numpy integer keys (never missing): no hash table needed
        var_codes, var_uniques = dense or _factorize(var_raw, "variable", path)
        if dense is None:  # (integer keys are never missing)
            _frame_problems(problems, var_codes < 0, "variable", "a variable is required")
        # Integer keys stay numbers (the table makes no Python object per key unless
        # its tuple of variables is read); other keys become Python objects here.
        int_keys = isinstance(var_uniques.dtype, np.dtype) and var_uniques.dtype.kind in "iu"
        if isinstance(var_uniques.dtype, np.dtype) and var_uniques.dtype.kind == "f":
            whole = np.asarray(var_uniques)  # float keys that are all whole: 2.0 is 2
            if np.all(np.isfinite(whole) & (whole == np.trunc(whole)) & (abs(whole) < 2.0**63)):
                var_uniques, int_keys = whole.astype(np.int64), True
        variables: Any = np.asarray(var_uniques) if int_keys else var_uniques.tolist()
        if not (isinstance(var_uniques.dtype, np.dtype) and var_uniques.dtype.kind in "iub"):
            _blank(problems, var_codes, variables, "variable")  # no text among numbers
        kinds = set() if int_keys else {type(u) for u in variables}
        if kinds - {str, int}:  # True, 1.5, a date or a list is no key; 2.0 is 2
            cells = variables
            keys: list[str | int | None] = [_key(u) for u in cells]
            not_keys = [i for i, k in enumerate(keys) if k is None]
            _frame_problems(problems, np.isin(var_codes, not_keys), "variable", lambda r: (
                f"expected a string or an integer (got {_shown(cells[var_codes[r]])})"))
            var_codes, variables = _merged(var_codes, keys)
        lower, value, upper = numbers("lower"), numbers("value"), numbers("upper")
        conf, weight, rel = numbers("confidence"), numbers("weight"), numbers("source_reliability")
        has = set(header)
        # Every row states all three figures, in order (the usual case): one pass
        # finds it (NaN compares false; infinities are NaN by now), and none of the
        # rewrites and checks below has anything to do.
        ordered = np.less_equal(lower, value)
        closed = bool(np.logical_and(ordered, value <= upper, out=ordered).all())
        del ordered
        if not closed:
            lower, upper, closed = _bounds(problems, lower, value, upper, unreadable)
        if "confidence" in has:
            _frame_problems(problems, (conf <= 0) | (conf >= 1), "confidence",
                            lambda r: f"expected a probability in (0, 1) (got {conf[r]:g})")
        if "weight" in has:
            _frame_problems(problems, weight <= 0, "weight",
                            lambda r: f"expected a weight > 0 (got {weight[r]:g})")
        if "source_reliability" in has:
            _frame_problems(problems, (rel <= 0) | (rel > 1), "source_reliability",
                            lambda r: f"reliability must lie in (0, 1] (got {rel[r]:g})")
        as_of = _frame_times(frame, "as_of", problems, shared, path)
        published = _frame_times(frame, "published", problems, shared, path)
        if "unit" in frame.columns:
            unit_codes, unit_uniques = _factorize(frame["unit"], "unit", path)
            _non_texts(problems, unit_codes, unit_uniques.tolist(), "unit")
            unit_codes, units = _merged(unit_codes, [None if _missing(u) else str(u)
                                                     for u in unit_uniques.tolist()])
        else:
            unit_codes, units = None, []

        def read_cells(col: str, read: Callable[[Any], _T]) -> list[_T]:
            """Each cell of ``col`` as ``read`` gives it; a cell it refuses is a problem
            at its row (every bad row is named, as for the other columns)."""
            out: list[Any] = []
            for r, x in enumerate(frame[col].tolist()):
                try:
                    out.append(read(x))
                except _RowError as exc:
                    problems.append((r, col, str(exc)))
            return out

        document, quote, phrase = (read_cells(c, functools.partial(_text, col=c))
                                   if c in frame.columns else None for c in _TEXTS)
        via = read_cells("via", _via) if "via" in frame.columns else None
        quantiles = (_stated(read_cells("quantiles", _quantiles)) if "quantiles" in frame.columns
                     and not frame["quantiles"].isna().all() else None)
        # (all of the above needs no source id: it runs while the thread codes them)
        if summary is not None and n >= _THREAD_ROWS and dense is not None and not problems:
            # ... and so do the engine's first passes, this thread's to do while it
            # would wait (integer keys, coded in a fraction of the thread's time)
            m_var = len(variables)
            summary["counts"] = np.bincount(var_codes, minlength=m_var)
            summary["conflict"] = conflict_at(lower, upper, var_codes, m_var)
        src_codes, src_uniques = source_codes()
    _frame_problems(problems, src_codes < 0, "source", "a source id is required")
    _blank(problems, src_codes, src_uniques.tolist(), "source")
    _non_texts(problems, src_codes, src_uniques.tolist(), "source")
    # A source id is a text: cells that are one text ("1" and 1 in an object column)
    # are one source.
    src_codes, ids = _merged(src_codes, [str(u) for u in src_uniques.tolist()])
    # one definition per source: name, kind and reliability agree across its rows
    names = frame["source_name"] if "source_name" in frame.columns else None
    src_kinds = frame["source_kind"] if "source_kind" in frame.columns else None
    for col, texts_of in (("source_name", names), ("source_kind", src_kinds)):
        if texts_of is not None and texts_of.dtype == object:
            cells = texts_of.tolist()
            _frame_problems(problems, [_not_text(x) for x in cells], col,
                            lambda r, cells=cells: f"expected a text (got {_shown(cells[r])})")
    checked = [(c, v) for c, v in (("source_reliability", rel if "source_reliability" in
                                      frame.columns else None), ("source_name", names),
                                   ("source_kind", src_kinds))
               if v is not None]
    order = (group_codes(src_codes, len(ids))[0] if checked
             else np.zeros(0, np.int64))
    same_src = src_codes[order][1:] == src_codes[order][:-1]
    for col, vals in checked:
        if not same_src.any():
            continue
        text = col != "source_reliability"
        v: Any = object_array(vals.tolist())[order] if text else vals[order]  # lists stay cells
        if text:
            # (compared as the rows define the source: a blank text is none)
            v = [repr(x) if _not_text(x) else None if _missing(x) else x for x in v.tolist()]
            differs = np.array([a != b for a, b in zip(v[1:], v[:-1], strict=True)], bool)
        else:  # (none given is 1)
            v = np.where(np.isnan(v), 1.0, v)
            differs = v[1:] != v[:-1]
        bad = np.zeros(n, bool)
        bad[order[1:][same_src & differs]] = True
        _frame_problems(problems, bad, col, lambda r, col=col: (
            f"source {ids[src_codes[r]]!r} is defined differently in another row; "
            f"every row of one source must agree on {col}"))

    _raise_problems(problems, path)

    if names is None and src_kinds is None and "source_reliability" not in has:
        sources = [Source(id=sid) for sid in ids]
    else:
        # Codes count up in order of first appearance: a source's first row is where
        # the running maximum of the codes first reaches its code.
        top = np.maximum.accumulate(src_codes)
        first = np.flatnonzero(np.concatenate(([n > 0], top[1:] > top[:-1])))  # none if no row
        def at_first(col: Any) -> list[str | None]:
            return ([None] * len(first) if col is None
                    else [None if _missing(x) else str(x) for x in col.iloc[first]])

        sources = [
            Source(id=sid, name=name, kind=kind, reliability=1.0 if r != r else r)
            for sid, name, kind, r in zip(ids, at_first(names),
                                          at_first(src_kinds), rel[first].tolist(), strict=True)
        ]
    with checked_columns():  # every cell checked above
        table = ClaimTable(
            variable=var_codes.astype(np.int64, copy=False), variables=variables,
            source=src_codes.astype(np.int64, copy=False), sources=sources,
            lower=lower, value=value, upper=upper, unit=unit_codes,
            units=units, confidence=None if "confidence" not in has else conf,
            weight=None if "weight" not in has else np.where(np.isnan(weight), 1.0, weight),
            as_of=as_of, published=published, via=via, document=document, quote=quote,
            phrase=phrase, quantiles=quantiles,
        )
    table._shares = tuple(shared.series)
    table._closed = closed
    return table


def _bounds(
    problems: list[tuple[int, str, str]], lower: npt.NDArray[np.float64],
    value: npt.NDArray[np.float64], upper: npt.NDArray[np.float64],
    unreadable: npt.NDArray[np.bool_],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], bool]:
    """A frame's bounds with the missing ones filled in (a value alone is a point,
    otherwise the side is unbounded), after noting in ``problems`` the rows that
    give no figure, whose bounds are not a range, or whose value lies outside it;
    and whether every row then states a value and two finite bounds. Each rewrite
    runs only where some row needs it (a full column pass costs)."""
    no_lower, no_upper, no_value = np.isnan(lower), np.isnan(upper), np.isnan(value)
    no_bounds = no_lower & no_upper
    if np.count_nonzero(no_bounds):
        none_given = no_bounds & no_value & ~unreadable
        _frame_problems(problems, none_given, "value",
                        "at least one of value, lower and upper is required")
        point = no_bounds & ~no_value
        lower = np.where(point, value, lower)
        upper = np.where(point, value, upper)
        no_lower, no_upper = no_lower & ~point, no_upper & ~point
    open_lower, open_upper = np.count_nonzero(no_lower), np.count_nonzero(no_upper)
    if open_lower:
        lower = np.where(no_lower, -np.inf, lower)
    if open_upper:
        upper = np.where(no_upper, np.inf, upper)
    _frame_problems(problems, lower > upper, "lower",
                    lambda r: f"lower {lower[r]:g} exceeds upper {upper[r]:g}")
    _frame_problems(problems, (value < lower) | (value > upper), "value",
                    lambda r: f"value {value[r]:g} lies outside [lower, upper]")
    return lower, upper, not (open_lower or open_upper or np.count_nonzero(no_value))


def _frame_times(
    frame: Any, col: str, problems: list[tuple[int, str, str]], shared: _Shared,
    path: str | None,
) -> Any:
    import pandas as pd

    n = len(frame)
    if col not in frame.columns:  # no time for every row, as a view of one number
        return np.broadcast_to(np.int64(MISSING_TIME), (n,))
    raw = frame[col]
    if not pd.api.types.is_datetime64_any_dtype(raw.dtype):
        # Texts, dates and datetimes as objects: each distinct cell read as files read
        # it (one rule for what an ISO date is, whatever holds the claims).
        codes, uniques = _factorize(raw, col, path)
        times, refused = [], []
        for k, x in enumerate(uniques.tolist()):
            try:
                times.append(_time(x, col))
            except _RowError as exc:
                times.append(MISSING_TIME)
                refused.append((k, str(exc)))
        if refused:
            why = dict(refused)
            _frame_problems(problems, np.isin(codes, list(why)), col,
                            lambda r: why[int(codes[r])])
        return np.append(np.array(times, np.int64), MISSING_TIME)[codes]  # -1: not given
    # Arrow's dates (pandas' date32[pyarrow], from read_parquet(dtype_backend="pyarrow")
    # or polars) have no time zone pandas can read: as datetimes, to the second (every
    # date32 fits).
    ts = raw.astype("datetime64[s]") if str(raw.dtype).startswith(("date32", "date64")) else raw
    if getattr(ts.dt, "tz", None) is not None:
        ts = ts.dt.tz_convert("UTC").dt.tz_localize(None)
        bad = ts.isna().to_numpy() & ~raw.isna().to_numpy()
        _frame_problems(problems, bad, col,
                        lambda r: f"expected an ISO date or datetime (got {raw.iloc[r]!r})")
    # Times a claim can hold (years 1 to 9999, as the files' ISO dates), checked in the
    # column's own unit: a time past the microseconds' range wrapped around when
    # converted (the year 300000 became -284555, or 586566 a date in 2024).
    # Nanoseconds and finer never leave those years.
    native = ts.to_numpy()
    if np.datetime_data(native.dtype)[0] not in ("ns", "ps", "fs", "as"):
        ticks = native.view(np.int64)
        first, last = (np.datetime64(t, "us").astype(native.dtype).view(np.int64)
                       for t in ("0001-01-01T00:00:00", "9999-12-31T23:59:59.999999"))
        lo, hi = int(ticks.min(initial=first)), int(ticks.max(initial=first))
        if lo == MISSING_TIME:  # NaT, a time not given: the earliest given instead
            lo = int(ticks[ticks != MISSING_TIME].min(initial=first))
        if lo < first or hi > last:
            out = (ticks > last) | ((ticks < first) & (ticks != MISSING_TIME))
            _frame_problems(problems, out, col, lambda r: (
                f"expected a time from year 1 to 9999 (got {native[r]})"))
    # NaT (not given) is MISSING_TIME's number: the microseconds are the column.
    us = ts.to_numpy(dtype="datetime64[us]").view(np.int64)
    return shared.own(raw, us)


def table_frame(table: ClaimTable) -> Any:
    """The table as a pandas DataFrame in the claims schema, column by column: the
    figures as floats (a bound that is not given, or a point claim's, is NaN), the
    times as ``datetime64[us]`` (NaT when not given), texts, keys and quantiles (tuples
    of ``(probability, value)`` pairs) as objects, but variables that are all integer
    keys as int64."""
    import pandas as pd

    lo, v, up = table.lower, table.value, table.upper
    point = (lo == up) & (lo == v)
    sources = table.sources
    none: npt.NDArray[np.object_] = np.full(len(table), None, dtype=object)

    def times(t: npt.NDArray[np.int64]) -> Any:
        return np.asarray(t).view("datetime64[us]")  # MISSING_TIME is NaT's number

    def texts(col: Sequence[Any] | None) -> npt.NDArray[np.object_]:
        return none if col is None else object_array(col)

    columns = {
        "variable": (object_array(table.variables) if table.variable_keys is None
                     else table.variable_keys)[table.variable],
        "source": object_array([s.id for s in sources])[table.source],
        "value": np.array(v),
        "lower": np.where(point | np.isinf(lo), np.nan, lo),
        "upper": np.where(point | np.isinf(up), np.nan, up),
        "unit": object_array([*table.units, None])[table.unit],
        "confidence": np.array(table.confidence),
        "as_of": times(table.as_of),
        "published": times(table.published),
        "weight": np.array(table.weight),
        "source_name": object_array([s.name for s in sources])[table.source],
        "source_kind": object_array([s.kind for s in sources])[table.source],
        "source_reliability": table.reliability()[table.source],
        "via": none if table.via is None else object_array([list(x) for x in table.via]),
        "document": texts(table.document),
        "quote": texts(table.quote),
        "phrase": texts(table.phrase),
        "quantiles": texts(table.quantiles),
    }
    return pd.DataFrame({k: pd.Series(c, dtype=object if c.dtype == object else None,
                                      copy=False) for k, c in columns.items()}, copy=False)


def _cells(x: npt.NDArray[np.float64], given: npt.NDArray[np.bool_] | None = None) -> list[Any]:
    """Figures as file cells: ``None`` where not finite (or not ``given``), an integer
    where integral and exact (below 2**53), else the float."""
    finite = np.isfinite(x) if given is None else np.isfinite(x) & given
    out = x.astype(object)
    whole = finite & (np.abs(x) < 2**53)
    whole[whole] = x[whole] == np.trunc(x[whole])
    out[whole] = x[whole].astype(np.int64).astype(object)
    out[~finite] = None
    return out.tolist()  # type: ignore[no-any-return]


def _iso_times(t: npt.NDArray[np.int64]) -> list[str | None]:
    """Times as ISO texts (a date at midnight), ``None`` where not given; each
    distinct time formatted once."""
    uniq, inverse = np.unique(t, return_inverse=True)
    texts = [None if d is None else d.isoformat()
             for d in (from_time(int(u)) for u in uniq.tolist())]
    return object_array(texts)[inverse].tolist()  # type: ignore[no-any-return]


def table_columns(table: ClaimTable) -> dict[str, list[Any]]:
    """The table in the claims schema, column by column, as files hold it: ``None``
    where a cell is not given (a point claim's bounds, a weight or reliability of 1)."""
    n = len(table)
    lo, v, up = table.lower, table.value, table.upper
    interval = ~((lo == up) & (lo == v))
    sources = table.sources
    none: list[Any] = [None] * n

    def by_source(items: list[Any]) -> list[Any]:
        return object_array(items)[table.source].tolist()  # type: ignore[no-any-return]

    def texts(col: Sequence[Any] | None) -> list[Any]:
        return none if col is None else list(col)

    return {
        "variable": object_array(table.variables)[table.variable].tolist(),
        "source": by_source([s.id for s in sources]),
        "value": _cells(v),
        "lower": _cells(lo, interval),
        "upper": _cells(up, interval),
        "unit": object_array([*table.units, None])[table.unit].tolist(),
        "confidence": [None if math.isnan(c) else c for c in table.confidence.tolist()],
        "as_of": _iso_times(table.as_of),
        "published": _iso_times(table.published),
        "weight": [None if w == 1.0 else w for w in table.weight.tolist()],
        "source_name": by_source([s.name for s in sources]),
        "source_kind": by_source([s.kind for s in sources]),
        "source_reliability": by_source([None if s.reliability == 1.0 else s.reliability
                                         for s in sources]),
        "via": [[]] * n if table.via is None else [list(x) for x in table.via],
        "document": texts(table.document),
        "quote": texts(table.quote),
        "phrase": texts(table.phrase),
        "quantiles": none if table.quantiles is None else [
            None if q is None else [[float(p), _figure(float(v))] for p, v in q]
            for q in table.quantiles],
    }


def _figure(x: float) -> float | int:
    """A figure as a file cell: an integer where integral and exact (below 2**53)."""
    return int(x) if x.is_integer() and abs(x) < 2**53 else x


def _write_text(table: ClaimTable, p: Path, fmt: str) -> None:
    """Write ``table`` as CSV or JSON Lines, built column by column."""
    cols = table_columns(table)
    with open(p, "w", encoding="utf-8", newline="" if fmt == "csv" else None) as f:
        if fmt == "jsonl":
            encode = json.JSONEncoder(ensure_ascii=False).encode  # one for every line
            f.writelines(encode(dict(zip(COLUMNS, row, strict=True))) + "\n"
                         for row in zip(*(cols[c] for c in COLUMNS), strict=True))
        else:  # (csv writes None as an empty cell)
            cols["via"] = [";".join(x) for x in cols["via"]]
            cols["quantiles"] = [None if q is None else ";".join(f"{p!r}:{v!r}" for p, v in q)
                                 for q in cols["quantiles"]]
            w = csv.writer(f)
            w.writerow(COLUMNS)
            w.writerows(zip(*(cols[c] for c in COLUMNS), strict=True))


def write_claims(table: ClaimTable, path: str | os.PathLike[str], *,
                 format: str | None = None) -> None:
    """Write ``table`` as CSV, JSON Lines or Parquet (see :meth:`ClaimTable.write`)."""
    p = Path(path)
    fmt = format or _FORMATS.get(p.suffix.lower())
    if fmt in ("jsonl", "csv"):
        with _collector_paused():
            _write_text(table, p, fmt)
    elif fmt == "parquet":
        frame = table_frame(table)
        try:
            frame.to_parquet(p)
        except (OverflowError, ValueError, TypeError) as exc:  # pyarrow's ArrowInvalid too
            raise ClaimFileError(
                f"cannot write these claims as Parquet ({exc}); a Parquet column holds "
                "one type, and integers below 2**63: variable keys that mix texts and "
                "integers, or larger integers, can be written as JSON Lines",
                path=str(path), column="variable") from exc
    else:
        raise ClaimFileError(f"cannot tell the format from the suffix {p.suffix!r}; pass "
                             "format='csv', 'jsonl' or 'parquet'", path=str(path))
