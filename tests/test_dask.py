"""claimrecon.dask gives what claimrecon.reconcile_all gives on the whole frame."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pluggy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import claimrecon as cr

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")
crd = pytest.importorskip("claimrecon.dask")

from claimrecon._strategies._truth import LocalShards, shard_median  # noqa: E402

STRATEGIES = ["range", "intersection", "weighted", "median", "recency", "crh", "catd",
              "truthfinder"]
LEARNERS = ["crh", "catd", "truthfinder"]


@pytest.fixture(autouse=True)
def _synchronous() -> Iterator[None]:
    with dask.config.set(scheduler="synchronous"):
        yield


def split(frame: pd.DataFrame, npartitions: int) -> Any:
    """``frame`` as a Dask frame of ``npartitions`` partitions of consecutive rows,
    every column's type kept (no conversion to Dask's string type)."""
    with dask.config.set({"dataframe.convert-string": False}):
        return dd.from_pandas(frame, npartitions=npartitions, sort=False)


def _reasons(s: pd.Series) -> list[Any]:
    return [r if isinstance(r, str) else None for r in s.tolist()]


def assert_same(result: Any, mem: cr.Estimates, n: int) -> None:
    """The Dask result holds the in-memory one: the same estimates in the same order
    (by first claim), every input claim exactly once with the same account, the same
    errors and the same learned reliability, floats to 1e-9."""
    estimates, claims, errors = result.compute()
    # Every claim exactly once, at its input position.
    assert sorted(claims.index.tolist()) == list(range(n))
    claims = claims.sort_index()
    expected = mem.claims_to_pandas()
    assert claims["variable"].tolist() == expected["variable"].tolist()
    assert claims["source"].tolist() == expected["source"].tolist()
    assert claims["excluded"].tolist() == expected["excluded"].tolist()
    np.testing.assert_allclose(claims["weight"], expected["weight"], rtol=1e-9, atol=1e-15)
    assert _reasons(claims["reason"]) == _reasons(expected["reason"])

    estimates = estimates.sort_index()
    expected = mem.to_pandas()
    assert estimates.index.is_unique
    assert estimates["variable"].tolist() == expected["variable"].tolist()
    for col in ("strategy", "unit", "n_used", "n_excluded", "conflict"):
        assert estimates[col].tolist() == expected[col].tolist(), col
    for col in ("lower", "value", "upper"):
        np.testing.assert_allclose(estimates[col], expected[col], rtol=1e-9, err_msg=col)

    assert set(errors) == set(mem.errors)
    for v, exc in mem.errors.items():
        assert type(errors[v]) is type(exc) and str(errors[v]) == str(exc)

    if mem.source_reliability is None:
        assert result.source_reliability is None
    else:
        assert result.source_reliability is not None
        assert list(result.source_reliability) == list(mem.source_reliability)
        np.testing.assert_allclose(list(result.source_reliability.values()),
                                   list(mem.source_reliability.values()), rtol=1e-9)


# -- random tables ----------------------------------------------------------------------

_QUANTITIES = [  # (value, lower, upper) as offsets from a figure: valid for any figure
    (0, None, None), (0, -2, 3), (None, -2, 2), (None, 0, None), (None, None, 0), (0, -1, None),
]


@st.composite
def claim_frames(draw: st.DrawFn) -> tuple[pd.DataFrame, int]:
    """A claims frame with few variables, sources and figures, so that variables are
    contested, figures tie and one origin's figure recurs (repeats, in any input
    partition), and a number of partitions to split it into."""
    n = draw(st.integers(1, 36))
    ints = draw(st.booleans())
    n_var = draw(st.integers(1, 6))
    rows = []
    for _ in range(n):
        var = draw(st.integers(0, n_var - 1))
        figure = draw(st.sampled_from([10.0, 12.0, 15.0, 100.0]))
        v, lo, up = draw(st.sampled_from(_QUANTITIES))
        rows.append({
            "variable": var if ints else f"v{var}",
            "source": f"s{draw(st.integers(0, 4))}",
            "value": math.nan if v is None else figure + v,
            "lower": math.nan if lo is None else figure + lo,
            "upper": math.nan if up is None else figure + up,
            "unit": draw(st.sampled_from(["troops", "troops", "troops", None, "people"])),
            "as_of": draw(st.sampled_from([None, "2024-01-01", "2024-03-01"])),
            "published": draw(st.sampled_from([None, "2024-01-02", "2024-02-01"])),
            "document": draw(st.sampled_from([None, "a.txt", "b.txt"])),
        })
    frame = pd.DataFrame(rows)
    frame["variable"] = frame["variable"].astype(object)
    return frame, draw(st.integers(1, min(4, n)))


@pytest.mark.parametrize("strategy", STRATEGIES)
@settings(max_examples=12, deadline=None)
@given(data=claim_frames())
def test_dask_gives_the_in_memory_result(strategy: str, data: tuple[pd.DataFrame, int]) -> None:
    frame, npartitions = data
    mem = cr.reconcile_all(frame, strategy, on_error="collect")
    result = crd.reconcile_all(split(frame, npartitions), strategy, on_error="collect")
    assert_same(result, mem, len(frame))


def contested_frame(seed: int = 0, n: int = 400, n_var: int = 40,
                    n_src: int = 12) -> pd.DataFrame:
    """Many contested variables, sources of different noise, and some vandal values."""
    rng = np.random.default_rng(seed)
    variable = rng.integers(0, n_var, n)
    truth = rng.uniform(1_000, 5_000, n_var)[variable]
    source = rng.integers(0, n_src, n)
    value = (truth * np.exp(rng.normal(0, 0.02 + 0.03 * source, n))).round(-1)
    value[rng.random(n) < 0.02] = 6.6e9
    return pd.DataFrame({
        "variable": variable.astype(object),
        "source": [f"src{s}" for s in source],
        "value": value, "lower": value * 0.9, "upper": value * 1.1,
        "weight": rng.choice([0.5, 1.0, 2.0], n),
    })


@pytest.mark.parametrize(("strategy", "options"), [
    ("crh", {}), ("crh", {"loss": "squared", "aggregate": "sum", "deviation": "relative"}),
    ("catd", {}), ("catd", {"errors": "laplace", "estimate": "mean"}),
    ("truthfinder", {}), ("truthfinder", {"similarity_scale": 0.05}),
])
def test_truth_discovery_on_many_partitions_learns_what_memory_learns(
    strategy: str, options: dict[str, Any],
) -> None:
    frame = contested_frame()
    mem = cr.reconcile_all(frame, strategy, **options)
    assert mem.source_reliability is not None
    result = crd.reconcile_all(split(frame, 7), strategy, **options)
    assert_same(result, mem, len(frame))
    # It learned something: sources are told apart.
    assert len({round(r, 6) for r in result.source_reliability.values()}) > 1


def test_truth_discovery_stops_after_as_many_iterations_as_in_memory() -> None:
    frame = contested_frame(seed=1)
    for max_iter in (0, 1, 3):
        mem = cr.reconcile_all(frame, "crh", max_iter=max_iter)
        assert_same(crd.reconcile_all(split(frame, 3), "crh", max_iter=max_iter), mem,
                    len(frame))


def test_a_strategy_mapping_mixes_learners_and_others() -> None:
    frame = contested_frame(n=120, n_var=6)
    mapping = {v: ("crh" if v % 2 else "median") for v in range(6)}
    mem = cr.reconcile_all(frame, mapping)
    result = crd.reconcile_all(split(frame, 3), mapping)
    assert_same(result, mem, len(frame))
    estimates = result.estimates.compute()
    assert set(estimates["strategy"]) == {"crh", "median"}


def test_two_learners_in_one_mapping_learn_no_single_reliability() -> None:
    frame = contested_frame(n=120, n_var=6)
    mapping = {v: ("crh" if v % 2 else "catd") for v in range(6)}
    mem = cr.reconcile_all(frame, mapping)
    assert mem.source_reliability is None
    assert_same(crd.reconcile_all(split(frame, 4), mapping), mem, len(frame))


def test_a_mapping_that_misses_a_variable_names_the_first_missing_one() -> None:
    frame = contested_frame(n=60, n_var=6)
    mapping = dict.fromkeys(range(0, 6, 3), "median")
    with pytest.raises(ValueError) as mem_err:
        cr.reconcile_all(frame, mapping)
    result = crd.reconcile_all(split(frame, 3), mapping)
    with pytest.raises(ValueError) as dask_err:
        result.compute()
    assert str(dask_err.value) == str(mem_err.value)


def test_variables_keep_their_type_and_repeats_name_input_positions() -> None:
    frame = pd.DataFrame({
        "variable": pd.Series([7, "seven", 7, 7, "seven"], dtype=object),
        "source": ["a", "b", "c", "a", "b"],
        "value": [1.0, 2.0, 3.0, 1.0, 2.0],
    })
    result = crd.reconcile_all(split(frame, 3), "weighted")
    estimates, claims, _ = result.compute()
    assert estimates.sort_index()["variable"].tolist() == [7, "seven"]
    assert claims.loc[3, "reason"] == "repeats the claim at input position 0"
    assert claims.loc[4, "reason"] == "repeats the claim at input position 1"
    assert [claims.loc[i, "reason"] for i in (0, 1, 2)] == [None, None, None]
    assert_same(result, cr.reconcile_all(frame, "weighted"), len(frame))


class _ZeroForB:
    """A plugin that weighs every claim of source "b" 0."""

    @cr.hookimpl
    def claimrecon_claim_weights(self, table: cr.ClaimTable) -> Any:
        ids = np.array([s.id for s in table.sources], dtype=object)
        return np.where(ids[table.source] == "b", 0.0, 1.0)


def test_a_variable_whose_claims_all_go_names_input_positions(pm: pluggy.PluginManager) -> None:
    # Rows 2 and 3 repeat row 1, which the plugin weighs 0: the error and the reasons
    # name rows of the whole input, not of the partition that held them.
    pm.register(_ZeroForB(), name="zero-for-b")
    frame = pd.DataFrame({"variable": ["x", "x", "y", "y", "y"],
                          "source": ["a", "c", "b", "b", "b"],
                          "value": [1.0, 1.5, 2.0, 2.0, 2.0]})
    result = crd.reconcile_all(split(frame, 2), "weighted", on_error="collect",
                               plugin_manager=pm)
    _, claims, errors = result.compute()
    in_memory = cr.reconcile_all(frame, "weighted", on_error="collect", plugin_manager=pm)
    assert str(errors["y"]) == str(in_memory.errors["y"])
    assert "repeats the claim at input position 2" in str(errors["y"])
    assert _reasons(claims["reason"]) == _reasons(in_memory.claims_to_pandas()["reason"])



# -- errors ----------------------------------------------------------------------------


def test_a_bad_row_names_its_position_in_the_whole_frame() -> None:
    frame = contested_frame(n=50)
    frame.loc[37, "lower"] = 1e12  # above its upper
    with pytest.raises(cr.ClaimFileError) as mem_err:
        cr.reconcile_all(frame)
    result = crd.reconcile_all(split(frame, 4))  # row 37 is in the last partition
    with pytest.raises(cr.ClaimFileError) as dask_err:
        result.estimates.compute()
    assert dask_err.value.location == "row 37" == mem_err.value.location
    assert str(dask_err.value) == str(mem_err.value)


def test_bad_rows_in_several_partitions_raise_one_error_naming_the_first() -> None:
    frame = contested_frame(n=60)
    frame.loc[45, "value"] = math.inf
    frame.loc[8, "weight"] = -1.0
    frame.loc[30, "source"] = None
    with pytest.raises(cr.ClaimFileError) as mem_err:
        cr.reconcile_all(frame)
    for strategy in ("weighted", "crh"):  # learners check the input before they learn
        with pytest.raises(cr.ClaimFileError) as dask_err:
            crd.reconcile_all(split(frame, 4), strategy).compute()
        assert dask_err.value.problems == mem_err.value.problems
        assert str(dask_err.value) == str(mem_err.value)
        assert dask_err.value.__notes__ == mem_err.value.__notes__


@pytest.mark.parametrize("column", ["source_name", "source_kind"])
def test_a_source_defined_two_ways_in_two_partitions_is_a_bad_row(column: str) -> None:
    frame = contested_frame(n=40, n_src=3)
    frame[column] = frame["source"].str.upper()
    frame.loc[25, column] = "SOMEONE ELSE"  # differs from the rows before it
    with pytest.raises(cr.ClaimFileError) as mem_err:
        cr.reconcile_all(frame)
    with pytest.raises(cr.ClaimFileError) as dask_err:
        crd.reconcile_all(split(frame, 4)).compute()
    assert dask_err.value.problems == mem_err.value.problems
    assert f"row 25, column '{column}'" in str(dask_err.value)


def test_a_failing_variable_raises_as_in_memory_or_is_collected() -> None:
    frame = contested_frame(n=80, n_var=8)
    frame["unit"] = "troops"
    for v in (5, 2):  # a later claim of variable 5, the first of variable 2
        rows = frame.index[frame["variable"] == v]
        frame.loc[rows[1 if v == 5 else 0], "unit"] = "people"
    for strategy in ("median", "truthfinder"):
        with pytest.raises(cr.UnitMismatchError) as mem_err:
            cr.reconcile_all(frame, strategy)
        with pytest.raises(cr.UnitMismatchError) as dask_err:
            crd.reconcile_all(split(frame, 4), strategy).compute()
        assert str(dask_err.value) == str(mem_err.value)
        assert dask_err.value.variable == mem_err.value.variable
        mem = cr.reconcile_all(frame, strategy, on_error="collect")
        assert set(mem.errors) == {2, 5}
        assert_same(crd.reconcile_all(split(frame, 4), strategy, on_error="collect"), mem,
                    len(frame))


def test_input_that_is_not_a_claims_frame_is_refused_at_once() -> None:
    frame = contested_frame(n=10)
    with pytest.raises(cr.InvalidClaimError):
        crd.reconcile_all(frame)  # pandas, not Dask
    with pytest.raises(cr.ClaimFileError, match="'source' is missing"):
        crd.reconcile_all(split(frame.drop(columns="source"), 2))
    with pytest.raises(cr.EmptyInputError):
        crd.reconcile_all(split(frame.iloc[:0], 1))
    with pytest.raises(cr.UnknownStrategyError):
        crd.reconcile_all(split(frame, 2), "no-such-strategy")
    with pytest.raises(TypeError, match="takes no option"):
        crd.reconcile_all(split(frame, 2), "crh", no_such_option=1)
    with pytest.raises(ValueError, match="on_error"):
        crd.reconcile_all(split(frame, 2), on_error="ignore")  # type: ignore[arg-type]


def test_a_bad_option_value_fails_as_in_memory() -> None:
    frame = contested_frame(n=30)
    with pytest.raises(cr.PluginError) as mem_err:
        cr.reconcile_all(frame, "crh", loss="cubic")
    with pytest.raises(cr.PluginError) as dask_err:
        crd.reconcile_all(split(frame, 3), "crh", loss="cubic")
    assert str(dask_err.value) == str(mem_err.value)


class _Learner:
    """A plugin whose strategy learns source reliability across variables."""

    @staticmethod
    def kernel(segs: cr.Segments) -> cr.Reduction:
        m = segs.m
        return cr.Reduction(lower=segs.min(segs.lower), value=np.full(m, np.nan),
                            upper=segs.max(segs.upper), weight=segs.weight,
                            source_reliability=np.ones(len(segs.sources)))

    @cr.hookimpl
    def claimrecon_strategies(self) -> list[cr.Strategy]:
        return [cr.Strategy(name="learner", summary="learns", kernel=self.kernel)]


def test_a_plugin_that_learns_across_variables_is_refused(pm: pluggy.PluginManager) -> None:
    pm.register(_Learner(), name="learner-plugin")
    frame = contested_frame(n=30)
    assert cr.reconcile_all(frame, "learner", plugin_manager=pm).source_reliability
    result = crd.reconcile_all(split(frame, 3), "learner", plugin_manager=pm)
    with pytest.raises(cr.UnsupportedStrategyError, match="learner") as err:
        result.estimates.compute()
    assert err.value.strategy == "learner"
    assert isinstance(err.value, NotImplementedError)


# -- the exact median over shards --------------------------------------------------------


class _Values:
    def __init__(self, values: list[float]) -> None:
        self.nearest = np.array(values, np.float64)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.floats(0.0, 1.0) | st.sampled_from([0.0, 1e-300, 0.5]),
                         max_size=12), min_size=1, max_size=5))
def test_the_median_over_shards_is_numpys_median_of_all(shards: list[list[float]]) -> None:
    every = [x for s in shards for x in s]
    got = shard_median(LocalShards([_Values(s) for s in shards]), "nearest")
    if not every:
        assert got is None
    else:
        assert got == float(np.median(every))


def test_the_module_example_runs() -> None:
    import doctest

    result = doctest.testmod(crd, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_a_header_problem_is_reported_once_for_all_partitions() -> None:
    frame = pd.DataFrame({"variable": list("abcd"), "source": list("stst"),
                          "value": [1.0, 2.0, 3.0, 4.0], "Upper": [2.0, 3.0, 4.0, 5.0]})
    with pytest.raises(cr.ClaimFileError, match="did you mean 'upper'") as info:
        crd.reconcile_all(split(frame, 3), "range").compute()
    assert len(info.value.problems) == 1 and not getattr(info.value, "__notes__", [])


def test_quantiles_keep_claims_apart_and_bad_ones_are_named_as_in_memory() -> None:
    # One source's figure twice is a repeat, unless the two state different quantiles.
    frame = pd.DataFrame({
        "variable": ["v", "v", "w", "w", "x", "x"], "source": ["a", "a", "a", "a", "b", "c"],
        "value": [5.0] * 6,
        "quantiles": [[(0.5, 5.0)], [(0.5, 5.0)], [(0.5, 5.0)], [(0.5, 4.0)], None, "0.5:5"]})
    mem = cr.reconcile_all(frame, "weighted")
    assert [len(mem[v].excluded) for v in "vwx"] == [1, 0, 0]
    assert_same(crd.reconcile_all(split(frame, 3), "weighted"), mem, len(frame))
    frame.loc[4, "quantiles"] = "0.5:6;0.6:5"
    with pytest.raises(cr.ClaimFileError) as mem_err:
        cr.reconcile_all(frame)
    with pytest.raises(cr.ClaimFileError) as dask_err:
        crd.reconcile_all(split(frame, 3)).compute()
    assert dask_err.value.problems == mem_err.value.problems
    assert "row 4, column 'quantiles': quantile values must not decrease" in str(dask_err.value)
