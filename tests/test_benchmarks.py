"""The benchmark scripts run (at tiny sizes) and print every figure they promise, so
they cannot rot between the runs that measure speed."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"

pytest.importorskip("pandas")


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not BENCH.is_dir(), reason="the benchmarks are not next to the tests")
def test_bench_scale_prints_every_strategy_floor_and_iteration(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _load("bench_scale").main(["--sizes", "2e4", "--keys", "int", "str", "--repeat", "1"])
    out = capsys.readouterr().out
    for keys in ("int", "str"):
        for what in ("hash floor", "sort floor", "frame -> ClaimTable", "range", "weighted",
                     "recency", "median", "intersection"):
            line = re.search(rf"^\s+20000\s+{keys} {re.escape(what)}\s+([\d,]+)\s", out, re.M)
            assert line, (keys, what, out)
            assert int(line.group(1).replace(",", "")) > 0
        for what in ("crh iteration", "crh squared iteration"):
            ratio = re.search(rf"{keys} {what}\s+[\d,]+\s+([\d.]+)x the bincount", out)
            assert ratio and float(ratio.group(1)) > 0, (keys, what, out)
        assert re.search(rf"{keys} peak memory of weighted: [\d.]+x", out)


@pytest.mark.skipif(not BENCH.is_dir(), reason="the benchmarks are not next to the tests")
def test_bench_reconcile_small_prints_each_strategy_against_a_hook_call(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _load("bench_reconcile_small").main(["--number", "20"])
    out = capsys.readouterr().out
    assert re.search(r"bare pluggy hook call \(claimrecon_strategies\):\s+[\d.]+ us", out)
    for name in ("range", "intersection", "weighted", "median", "recency"):
        line = re.search(rf"^{name}\s+([\d.]+)\s+([\d.]+)$", out, re.M)
        assert line and float(line.group(1)) > 0 and float(line.group(2)) > 0, (name, out)


@pytest.mark.skipif(not BENCH.is_dir(), reason="the benchmarks are not next to the tests")
def test_bench_scale_refuses_to_time_a_crh_run_that_stops_at_once() -> None:
    import numpy as np

    import claimrecon as cr

    n = 40  # every claim of a variable agrees: crh has nothing to learn and stops
    table = cr.ClaimTable(variable=np.repeat(np.arange(10), 4), variables=list(range(10)),
                          source=np.tile(np.arange(4), 10),
                          sources=[cr.Source(id=f"s{i}") for i in range(4)],
                          lower=np.full(n, 1.0), value=np.full(n, 1.0), upper=np.full(n, 1.0))
    with pytest.raises(RuntimeError, match="too few to time one"):
        _load("bench_scale").iteration_seconds(table)


@pytest.mark.skipif(not BENCH.is_dir(), reason="the benchmarks are not next to the tests")
def test_each_timed_run_follows_a_run_of_the_same_function(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A fake clock that each call moves on: 10 s for the first of a pair, 1 s (plus
    # its round) for the second, so the best time says which runs were timed.
    bench = _load("bench_scale")
    clock = {"now": 0.0}
    calls: list[str] = []

    def work(name: str) -> None:
        calls.append(name)
        pairs = calls.count(name) - 1  # 0: the untimed round, then two calls a round
        clock["now"] += 10.0 if pairs % 2 == 1 else 1.0 + pairs / 100

    monkeypatch.setattr(bench.time, "perf_counter", lambda: clock["now"])
    best = bench.best_of_rounds({"a": lambda: work("a"), "b": lambda: work("b")}, repeat=2)
    assert calls == ["a", "b", "a", "a", "b", "b", "a", "a", "b", "b"]
    assert best == {"a": pytest.approx(1.02), "b": pytest.approx(1.02)}
