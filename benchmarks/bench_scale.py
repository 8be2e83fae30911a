"""Claims per second at 1e5, 1e6 and 1e7 claims, next to floors measured in the same run.

Synthetic data: 10 claims per variable, 10,000 sources, each claim a value with a
range around it; variable keys as integers and as strings. For each built-in strategy
the script times ``reconcile_all(frame).to_pandas()`` (so lazy results are
materialised, and the frame's conversion to a ClaimTable is included) and prints claims
per second next to two floors over the same arrays, and, in the last column, the
claims per second from a ClaimTable built beforehand:

* hash floor: ``pd.factorize`` of the keys, then ``np.minimum.at``, ``np.maximum.at``
  and ``np.bincount`` for a weighted mean;
* sort floor: the values ranked by one argsort, then one argsort of the composite key
  (variable code x n + rank), then ``reduceat``.

It also times one iteration of truth discovery (``crh``, with its default weighted
medians and with ``loss="squared"``, whose estimates are weighted means): the median
time between the starts of successive iterations of one run, next to a third floor, a
weighted mean per variable by two ``np.bincount`` over the same arrays (best of the
repeats).

Every time is the best of ``--repeat`` rounds (3), after one round that is not
timed; each round runs every floor and every strategy in turn, so that a floor and
the runs compared with it meet the same state of the machine: on a shared or virtual
machine one run can take twice as long as the next for reasons that have nothing to
do with the code. Within a round each one runs twice in a row and the second run is
timed (a warm-up run right before each timed one): a virtual machine hands
memory a process has not touched for a few seconds back to its host, and whichever
call first reaches further than the call before it pays to get it back (at ten
million rows, up to a second of system time for ``median`` after a call that used
less memory), a cost of the order of the calls rather than of the code. Ratios
above 1 mean slower than the floor. Run:
``python benchmarks/bench_scale.py [--sizes 1e5 1e6 1e7] [--keys int str] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from collections.abc import Callable

import numpy as np
import pandas as pd

import claimrecon as cr

STRATEGIES = ("range", "weighted", "recency", "median", "intersection")


def make_frame(n: int, keys: str, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    var = np.repeat(np.arange(n // 10), 10)
    value = rng.normal(1000.0, 100.0, n)
    half = rng.uniform(1.0, 50.0, n)
    frame = pd.DataFrame({
        "variable": var if keys == "int" else pd.Series(var).map("v{}".format),
        "source": pd.Series(rng.integers(0, 10_000, n)).map("s{}".format),
        "value": value,
        "lower": value - half,
        "upper": value + half,
        "as_of": pd.to_datetime("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, n), "D"),
    })
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def best_of_rounds(timed: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """The best time of each of ``timed`` over ``repeat`` rounds, each round running
    every one in turn, after one round that is not timed. Interleaved, a floor and
    the runs compared with it meet the same state of a shared machine (other tenants
    come and go); timed one after another, the later ones ran warmer. Each runs twice
    in a row and the second run is timed: memory the process has used in the last
    few seconds comes cheap on a virtual machine, memory it has not comes slow, and
    which one a call gets would otherwise depend on the call before it."""
    best = dict.fromkeys(timed, float("inf"))
    for i in range(repeat + 1):
        for name, fn in timed.items():
            if i:
                fn()
            t = time.perf_counter()
            fn()
            if i:
                best[name] = min(best[name], time.perf_counter() - t)
    return best


def hash_floor(frame: pd.DataFrame) -> None:
    codes, uniq = pd.factorize(frame["variable"])
    m = len(uniq)
    lo = np.full(m, np.inf)
    hi = np.full(m, -np.inf)
    np.minimum.at(lo, codes, frame["lower"].to_numpy())
    np.maximum.at(hi, codes, frame["upper"].to_numpy())
    w = np.ones(len(codes))
    np.bincount(codes, weights=w * frame["value"].to_numpy(), minlength=m) / np.bincount(
        codes, weights=w, minlength=m)


def sort_floor(frame: pd.DataFrame) -> None:
    codes, _ = pd.factorize(frame["variable"])
    x = frame["value"].to_numpy()
    n = len(x)
    rank = np.empty(n, np.int64)
    rank[np.argsort(x)] = np.arange(n)
    order = np.argsort(codes.astype(np.int64) * n + rank)
    starts = np.flatnonzero(np.r_[True, np.diff(codes[order]) != 0])
    np.minimum.reduceat(x[order], starts)


def bincount_mean(table: cr.ClaimTable) -> None:
    m = len(table.variables)
    w = table.weight
    np.bincount(table.variable, weights=w * table.value, minlength=m) / np.bincount(
        table.variable, weights=w, minlength=m)


def iteration_seconds(table: cr.ClaimTable, **options: object) -> float:
    """Seconds per truth-discovery iteration: the median gap between the starts of
    successive iterations of one ``crh`` run of 23 iterations (the first two gaps,
    which pay for fresh pages, left out). The start of each iteration is stamped by
    wrapping the source-weight step that ``crh`` hands to its learning loop, so the
    setup (the engine, the sort, the figures) is not in the figure and its noise
    cannot leak into it, as it did when two whole runs were subtracted."""
    from claimrecon._strategies import _truth, crh

    stamps: list[float] = []

    def learn(problem: object, source_weights: Callable[..., object], **kw: object) -> object:
        def stamped(e: object) -> object:
            stamps.append(time.perf_counter())
            return source_weights(e)

        return _truth.learn(problem, stamped, **kw)  # type: ignore[arg-type]

    crh.learn = learn  # type: ignore[attr-defined]
    try:
        cr.reconcile_all(table, "crh", max_iter=23, tol=0.0, **options)
    finally:
        crh.learn = _truth.learn
    gaps = np.diff(stamps)[2:]
    if len(gaps) == 0:  # tol=0 still stops when nothing moves at all
        raise RuntimeError(f"crh stopped after {len(stamps)} iterations: too few to time one")
    return float(np.median(gaps))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", nargs="+", type=float, default=[1e5, 1e6, 1e7])
    ap.add_argument("--keys", nargs="+", default=["int", "str"], choices=["int", "str"])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    print(f"{'n':>10} {'keys':>4} {'what':<22} {'claims/s':>12} {'x hash floor':>13} "
          f"{'x sort floor':>13} {'from a table':>13}")
    for size in args.sizes:
        n = int(size)
        repeat = args.repeat
        for keys in args.keys:
            frame = make_frame(n, keys)
            table = cr.ClaimTable.from_pandas(frame)
            timed: dict[str, Callable[[], object]] = {
                "hash floor": lambda frame=frame: hash_floor(frame),
                "sort floor": lambda frame=frame: sort_floor(frame),
                "frame -> ClaimTable": lambda frame=frame: cr.ClaimTable.from_pandas(frame),
                "bincount mean floor": lambda table=table: bincount_mean(table),
            }
            for name in STRATEGIES:
                timed[name] = (lambda name=name, frame=frame:
                               cr.reconcile_all(frame, name).to_pandas())
                timed[f"{name} from a table"] = (lambda name=name, table=table:
                                                 cr.reconcile_all(table, name).to_pandas())
            best = best_of_rounds(timed, repeat)
            h, s = best["hash floor"], best["sort floor"]
            for what in ("hash floor", "sort floor", "frame -> ClaimTable", *STRATEGIES):
                t = best[what]
                t_table = best.get(f"{what} from a table")
                extra = "" if t_table is None else f"{n / t_table:>13,.0f}"
                print(f"{n:>10} {keys:>4} {what:<22} {n / t:>12,.0f} {t / h:>13.2f} "
                      f"{t / s:>13.2f} {extra}")
            b = best["bincount mean floor"]
            print(f"{n:>10} {keys:>4} {'bincount mean floor':<22} {n / b:>12,.0f}")
            for label, opts in (("crh iteration", {}),
                                ("crh squared iteration", {"loss": "squared"})):
                it = iteration_seconds(table, **opts)
                print(f"{n:>10} {keys:>4} {label:<22} {n / it:>12,.0f}   "
                      f"{it / b:.2f}x the bincount mean floor")
            input_bytes = sum(frame[c].to_numpy().nbytes for c in ("value", "lower", "upper"))
            input_bytes += 2 * 8 * n  # variable and source codes
            tracemalloc.start()
            cr.reconcile_all(table, "weighted").to_pandas()
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(f"{n:>10} {keys:>4} peak memory of weighted: {peak / input_bytes:.2f}x the "
                  "input arrays")


if __name__ == "__main__":
    main()
