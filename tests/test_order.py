"""The codes the engine builds its segments from (orderings: tests/test_engine.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from claimrecon._order import factorize_ints, group_codes

# Enough keys that the fast paths run (below 4096 they hand over to numpy or pandas).
_SIZES = st.integers(4096, 12_000)


@given(n=_SIZES, low=st.integers(-(2**62), 2**62), per_key=st.floats(0.01, 4.0),
       dtype=st.sampled_from([np.int64, np.int32, np.int16, np.int8, np.uint64, np.uint32,
                              np.uint16, np.uint8]),
       seed=st.integers(0, 2**32 - 1))
def test_factorize_ints_gives_what_pandas_gives(
    n: int, low: int, per_key: float, dtype: type, seed: int
) -> None:
    info = np.iinfo(dtype)
    # (small types: keys spread over their whole range, wider than their largest value)
    span = max(1, min(int(per_key * n), int(info.max) - int(info.min) + 1))
    low = min(max(low, int(info.min)), int(info.max) - span + 1)
    keys = (np.random.default_rng(seed).integers(0, span, n) + low).astype(dtype)
    got = factorize_ints(keys)
    assert got is not None  # the keys span at most four integers per key
    codes, uniques = got
    want_codes, want_uniques = pd.factorize(keys)
    np.testing.assert_array_equal(codes, want_codes)
    np.testing.assert_array_equal(uniques, want_uniques)
    assert codes.dtype == np.int64
    assert uniques.dtype == keys.dtype


@given(keys=hnp.arrays(np.int64, st.integers(4096, 5000),
                       elements=st.integers(-(2**63), 2**63 - 1)))
def test_factorize_ints_hands_sparse_keys_back(keys: np.ndarray) -> None:
    lo, hi = int(keys.min()), int(keys.max())
    got = factorize_ints(keys)
    if hi - lo + 1 > 4 * len(keys):
        assert got is None
    else:
        assert got is not None
        np.testing.assert_array_equal(got[0], pd.factorize(keys)[0])


@pytest.mark.parametrize("dtype", [np.int8, np.int16])
def test_small_signed_keys_further_apart_than_their_largest_value_stay_apart(
        dtype: type) -> None:
    # -100 and 100 are 200 apart, more than an int8 holds: the offsets must not wrap.
    far = 100 if dtype is np.int8 else 20_000
    keys = np.tile(np.array([-far, far, -27, 28], dtype), 3000)
    got = factorize_ints(keys)
    assert got is not None
    want_codes, want_uniques = pd.factorize(keys)
    np.testing.assert_array_equal(got[0], want_codes)
    np.testing.assert_array_equal(got[1], want_uniques)
    assert len(got[1]) == 4


@pytest.mark.parametrize("keys", [np.arange(10, dtype=np.int64),
                                  np.zeros(5000, dtype=np.float64),
                                  np.array(["a"] * 5000, dtype=object)])
def test_factorize_ints_declines_few_keys_and_non_integers(keys: np.ndarray) -> None:
    assert factorize_ints(keys) is None


@given(n=st.integers(0, 12_000), bits=st.integers(0, 62),
       dtype=st.sampled_from([np.int64, np.int32, np.uint16, np.uint64]),
       seed=st.integers(0, 2**32 - 1))
def test_group_codes_is_a_stable_argsort_and_its_codes(
    n: int, bits: int, dtype: type, seed: int
) -> None:
    # Codes below 2**bits, often the largest: packed with the row numbers into one
    # int64 where both fit in 63 bits, else numpy's stable argsort (bits + row bits > 63).
    bound = min(1 << bits, int(np.iinfo(dtype).max) + 1)
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, bound, n, dtype=np.uint64 if bound > 2**62 else np.int64)
    codes[::5] = bound - 1
    codes = codes.astype(dtype)
    order, grouped = group_codes(codes, bound)
    want = np.argsort(codes, kind="stable")
    np.testing.assert_array_equal(order, want)
    np.testing.assert_array_equal(grouped, codes[want].astype(np.int64))
    assert order.dtype == grouped.dtype == np.int64
