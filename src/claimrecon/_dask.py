"""The machinery behind :mod:`claimrecon.dask`.

The input is numbered (each row's position in the whole frame), shuffled by variable
so that every claim of a variable is in one partition, and each partition, sorted back
into input order, goes through the ordinary engine (:func:`claimrecon.reconcile_all`
on a :class:`~claimrecon.ClaimTable` built from it). Truth discovery learns across
partitions: its fit (:mod:`claimrecon._strategies._truth`) runs over one shard per
partition, each step a Dask task and its sums a Dask reduction; then every partition
goes through the engine again with the learned weights.

What the partitions report (bad rows, failed variables, their sources) meets in one
small check task that every output partition waits for, so that the first bad row or
the first failing variable of the whole input is the one raised, as in memory.
"""

from __future__ import annotations

import contextlib
import functools
import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd
from dask.base import compute, persist
from dask.delayed import delayed

from ._engine import reconcile_all as _engine_reconcile_all
from ._errors import ClaimFileError, UnsupportedStrategyError
from ._io import table_from_frame
from ._strategies import _truth

T = TypeVar("T")
IntArray = npt.NDArray[np.int64]

#: The index of the claims frame: each claim's 0-based position in the input.
ROW = "row"
#: The index of the estimates frame: the position of the variable's first claim.
FIRST_ROW = "first_row"

ESTIMATE_DTYPES: Mapping[str, Any] = {
    "variable": object, "strategy": object, "lower": np.float64, "value": np.float64,
    "upper": np.float64, "unit": object, "n_used": np.int64, "n_excluded": np.int64,
    "conflict": bool,
}
CLAIM_DTYPES: Mapping[str, Any] = {
    "variable": object, "source": object, "weight": np.float64, "excluded": bool,
    "reason": object,
}

#: A problem of a bad row: (0-based row in the whole input, column, message).
Problem = tuple[int, str | None, str]

_SOURCE_DEFINED = "is defined differently in another row"


def empty(dtypes: Mapping[str, Any], index: str) -> pd.DataFrame:
    """An empty frame with these columns and an int64 index named ``index``."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in dtypes.items()},
                        index=pd.Index([], dtype=np.int64, name=index))


@attrs.frozen
class Spec:
    """One call's strategy and options, as every partition runs them."""

    strategy: str | Mapping[Any, str]
    independent: bool
    on_error: str
    plugin_manager: Any
    options: Mapping[str, Any]
    learners: frozenset[str]  # the strategy names that are truth-discovery methods


@attrs.define
class Result:
    """What one partition gives: its frames, or what went wrong, and what the check
    and the fits need."""

    n: int = 0
    estimates: pd.DataFrame | None = None
    claims: pd.DataFrame | None = None
    errors: list[tuple[int, Any, BaseException]] = attrs.field(factory=list)
    problems: list[Problem] = attrs.field(factory=list)
    missing: list[tuple[int, Any]] = attrs.field(factory=list)  # unmapped variables
    failure: tuple[int, BaseException] | None = None
    sources: dict[str, int] = attrs.field(factory=dict)  # id -> first row
    shards: dict[str, list[Any]] = attrs.field(factory=dict)
    frame: pd.DataFrame | None = None  # the partition, kept for the second pass

    def summary(self) -> Result:
        """This result without its frames and shards (small: for the check)."""
        return attrs.evolve(self, estimates=None, claims=None, shards={}, frame=None)


def number(frame: pd.DataFrame, offsets: tuple[int, ...],
           partition_info: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """A partition indexed by each row's position in the whole frame."""
    start = offsets[partition_info["number"]] if partition_info else 0
    out = frame.copy(deep=False)
    out.index = pd.RangeIndex(start, start + len(frame), name=ROW)
    return out


def _file_problems(exc: ClaimFileError, rows: IntArray) -> list[Problem]:
    """The problems of a partition's ClaimFileError, at their rows in the input.
    Source definitions are checked across partitions instead (see
    :func:`source_problems`), so the partition's own view of them is dropped."""
    out: list[Problem] = []
    for location, column, message in exc.problems:
        if _SOURCE_DEFINED in message:
            continue
        row = -1
        if location and location.startswith("row "):
            row = int(rows[int(location.split()[1])])
        out.append((row, column, message))
    return out


def file_error(problems: Sequence[Problem]) -> ClaimFileError:
    """One ClaimFileError naming the first problem, a note per further one (as the
    reader raises it for one frame)."""
    # (A problem of no row, the header's, is found by every partition: said once.)
    located = [(None if r < 0 else f"row {r}", c, m) for r, c, m in sorted(set(problems))]
    loc, col, msg = located[0]
    err = ClaimFileError(msg, location=loc, column=col, problems=located)
    for loc2, col2, msg2 in located[1:]:
        err.add_note(ClaimFileError.format(None, loc2, col2, msg2))
    return err


def run_partition(frame: pd.DataFrame, spec: Spec, mode: _truth.Distributed | None,
                  keep: bool = False) -> Result:
    """One partition through the engine (``mode``: how truth discovery runs in it)."""
    res = Result(n=len(frame))
    if len(frame) == 0:
        return res
    frame = frame.sort_index()
    if keep:
        res.frame = frame
    rows = frame.index.to_numpy(np.int64)
    try:
        table = table_from_frame(frame.reset_index(drop=True))
    except ClaimFileError as exc:
        res.problems = _file_problems(exc, rows)
        return res
    table._positions = rows  # every message names a row at its place in the whole input
    codes, first = np.unique(table.source, return_index=True)
    res.sources = {table.sources[c].id: int(rows[f])
                   for c, f in zip(codes.tolist(), first.tolist(), strict=True)}
    # Every variable of the table occurs in it: its codes are 0..m-1.
    var_first = rows[np.unique(table.variable, return_index=True)[1]]
    code_of = {v: i for i, v in enumerate(table.variables)}
    if isinstance(spec.strategy, Mapping):
        res.missing = [(int(var_first[i]), v) for i, v in enumerate(table.variables)
                       if v not in spec.strategy]
        if res.missing:
            return res
    d = attrs.evolve(mode, shards={}, ran=set()) if mode is not None else None
    try:
        with _truth.distributed(d) if d is not None else contextlib.nullcontext():
            es = _engine_reconcile_all(table, spec.strategy, independent=spec.independent,
                                       on_error=spec.on_error,  # type: ignore[arg-type]
                                       plugin_manager=spec.plugin_manager, **spec.options)
        if es.source_reliability is not None and (d is None or not d.ran):
            names = ([spec.strategy] if isinstance(spec.strategy, str)
                     else sorted(set(spec.strategy.values()) - spec.learners))
            raise UnsupportedStrategyError(
                f"strategy {', '.join(map(repr, names))} learns source reliability across "
                "variables, and claimrecon.dask has no reduction for it (only for crh, "
                "catd and truthfinder): run claimrecon.reconcile_all in memory instead",
                strategy=names[0])
    except Exception as exc:
        variable = getattr(exc, "variable", None)
        key = int(var_first[code_of[variable]]) if variable in code_of else int(rows[0])
        res.failure = (key, exc)
        return res
    if d is not None:
        res.shards = d.shards
    res.errors = [(int(var_first[code_of[v]]), v, e) for v, e in es.errors.items()]
    est = es.to_pandas()
    ok = [i for i, v in enumerate(table.variables) if v not in es.errors]
    est.index = pd.Index(var_first[ok], name=FIRST_ROW)
    res.estimates = est.astype(ESTIMATE_DTYPES)
    claims = es.claims_to_pandas()
    claims.index = pd.Index(rows, name=ROW)
    claims = claims.astype(CLAIM_DTYPES)
    # No reason: None (not NaN), whatever dtype pandas gave the partition's reasons.
    reason = claims["reason"]
    given = reason.notna().to_numpy()
    text = np.full(len(claims), None, dtype=object)
    text[given] = reason.to_numpy()[given]
    claims["reason"] = pd.Series(text, index=claims.index, dtype=object)
    res.claims = claims
    return res


def source_problems(frame: pd.DataFrame) -> list[Problem]:
    """The rows whose source is defined differently from the row before it of the same
    source (in input order), among a partition of every row of some sources: the
    reader's own check, run on rows of many partitions."""
    if len(frame) == 0:
        return []
    frame = frame.sort_index()
    rows = frame.index.to_numpy(np.int64)
    probe = frame.reset_index(drop=True).assign(variable="-", value=0.0)
    try:
        table_from_frame(probe)
    except ClaimFileError as exc:
        return [(int(rows[int(loc.split()[1])]), col, msg) for loc, col, msg in exc.problems
                if _SOURCE_DEFINED in msg and loc is not None]
    return []


def check(summaries: Sequence[Result], *more: Sequence[Problem]) -> dict[Any, BaseException]:
    """Raise what the whole input raises in memory, or give the errors collected
    (by variable, in the order of their first claims)."""
    problems = [p for s in summaries for p in s.problems] + [p for ps in more for p in ps]
    if problems:
        raise file_error(problems)
    missing = sorted((m for s in summaries for m in s.missing), key=operator.itemgetter(0))
    if missing:
        more_text = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        raise ValueError(f"the strategy mapping names no strategy for variable "
                         f"{missing[0][1]!r}{more_text}")
    failures = [s.failure for s in summaries if s.failure is not None]
    if failures:
        raise min(failures, key=operator.itemgetter(0))[1]
    errors = sorted((e for s in summaries for e in s.errors), key=operator.itemgetter(0))
    return {v: e for _, v, e in errors}


def estimates_of(res: Result, checked: Any) -> pd.DataFrame:
    """A partition's estimates (once the check has passed)."""
    return res.estimates if res.estimates is not None else empty(ESTIMATE_DTYPES, FIRST_ROW)


def claims_of(res: Result, checked: Any) -> pd.DataFrame:
    """A partition's claims (once the check has passed)."""
    return res.claims if res.claims is not None else empty(CLAIM_DTYPES, ROW)


def source_order(summaries: Sequence[Result]) -> tuple[str, ...]:
    """Every source id, in the order of its first claim in the input."""
    first: dict[str, int] = {}
    for s in summaries:
        for sid, row in s.sources.items():
            if row < first.get(sid, row + 1):
                first[sid] = row
    return tuple(sorted(first, key=first.__getitem__))


def shard_counts(res: Result) -> dict[str, int]:
    """How many shards of each method a partition holds."""
    return {name: len(v) for name, v in res.shards.items()}


def bind(res: Result, name: str, i: int, source_ids: Sequence[str]) -> Any:
    """A partition's ``i``-th shard of method ``name``, its sources mapped to the fit's."""
    return res.shards[name][i].bind(source_ids)


def frame_of(res: Result) -> pd.DataFrame:
    """The partition a first pass kept."""
    assert res.frame is not None or res.n == 0
    return res.frame if res.frame is not None else pd.DataFrame()


def concat(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """The partitions' frames as one."""
    return pd.concat(parts) if len(parts) > 1 else parts[0]


def _fold(combine: Callable[[T, T], T], *parts: T) -> T:
    return functools.reduce(combine, parts)


class DaskShards:
    """The shards of a fit as persisted Dask objects, one or more per partition: each
    step runs as one task per shard (kept, persisted, for the next step), and the
    answers are combined as a tree reduction, eight at a time."""

    def __init__(self, shards: Sequence[Any]) -> None:
        self.shards = list(shards)
        self.carries: list[Any] = [None] * len(self.shards)

    def run(self, step: Callable[..., tuple[Any, T]], combine: Callable[[T, T], T],
            *args: Any) -> T:
        """See :meth:`claimrecon._strategies._truth.Shards.run`."""
        outs = persist(*[delayed(step, pure=False)(s, c, *args)
                              for s, c in zip(self.shards, self.carries, strict=True)])
        self.carries = [delayed(operator.getitem)(o, 0) for o in outs]
        parts = [delayed(operator.getitem)(o, 1) for o in outs]
        while len(parts) > 1:
            parts = [delayed(_fold)(combine, *parts[i:i + 8]) for i in range(0, len(parts), 8)]
        (out,) = compute(parts[0])
        result: T = out
        return result
