"""The intersection's two sweeps give the same result, bit for bit.

Small inputs are swept in one piece with a stable argsort along the rows
(``_sweep_stable``); large ones a block of rows at a time, each row ordered by a value
sort of int64 keys that carry the event's slot in their lowest bits, mended where
bounds a few ulps apart lost their order (``_sweep_blocks``). Both must agree on every
input: ties between a lower and an upper bound (lower first: closed intervals), -0.0
beside 0.0 (held equal), infinities, subnormals, bounds a few ulps apart, padded rows of
unequal segments, weights light enough to fall within the tolerance.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pluggy
import pytest

import claimrecon as cr
from claimrecon._strategies import intersection
from claimrecon._strategies._kernels import padded_width
from claimrecon._strategy import Segments

KINDS = ("int", "zeros", "ulps", "tiny", "continuous")


def bounds(rng: np.random.Generator, n: int, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Random lower and upper bounds of one kind, with some infinite ends."""
    if kind == "int":  # many ties, lower == upper included
        lo = rng.integers(-4, 5, n).astype(float)
        hi = lo + rng.integers(0, 4, n)
    elif kind == "zeros":  # ties at zero of both signs
        lo = rng.choice([-0.0, 0.0, -1.0, 1.0], n)
        hi = np.maximum(np.where(rng.random(n) < 0.5, lo, rng.choice([-0.0, 0.0, 1.0, 2.0], n)),
                        lo)
        hi = np.where((hi == 0) & (rng.random(n) < 0.5), -0.0, hi)
    elif kind == "ulps":  # a few ulps apart: keys equal but for the slot bits
        base = rng.choice([1.0, -1.0, 1e-300, -1e-300, 1000.0], n)
        lo = base + rng.integers(-40, 40, n) * np.spacing(base)
        hi = np.maximum(lo + rng.integers(0, 40, n) * np.spacing(np.abs(lo)), lo)
    elif kind == "tiny":  # subnormals next to zeros of both signs
        lo = rng.integers(-6, 6, n) * 5e-324
        hi = lo + rng.integers(0, 5, n) * 5e-324
        lo = np.where((lo == 0) & (rng.random(n) < 0.5), -0.0, lo)
        hi = np.where((hi == 0) & (rng.random(n) < 0.5), -0.0, hi)
    else:
        v, h = rng.normal(0.0, 10.0, n), rng.uniform(0.0, 5.0, n)
        lo, hi = v - h, v + h
    lo = np.where(rng.random(n) < 0.08, -np.inf, lo)
    hi = np.where(rng.random(n) < 0.08, np.inf, hi)
    lo = np.where((lo == -np.inf) & (hi == np.inf), 0.0, lo)  # a claim bounds something
    return lo, hi


def random_segments(rng: np.random.Generator) -> tuple[Segments, np.ndarray, int]:
    """Grouped segments of random sizes (equal, unequal, one wide), their shares and
    the padded width."""
    m = int(rng.choice([1, 2, 3, 5, 17, 60, 300]))
    mode = int(rng.integers(0, 4))
    if mode == 0:  # every segment as wide: no padding
        counts = np.full(m, int(rng.integers(1, 31)))
    elif mode == 1:
        counts = rng.integers(1, 31, m)
    elif mode == 2:  # mostly small, a few larger
        counts = rng.integers(1, 4, m)
        counts[rng.random(m) < 0.1] = int(rng.integers(5, 31))
    else:  # rows wider than the transposed sweep takes
        m = min(m, 20)
        counts = rng.integers(1, 150, m)
    n = int(counts.sum())
    lo, hi = bounds(rng, n, str(rng.choice(KINDS)))
    seg = np.repeat(np.arange(m), counts)
    table = cr.ClaimTable(variable=seg, variables=list(range(m)), source=np.zeros(n, int),
                          sources=[cr.Source(id="s")], lower=lo, value=np.full(n, np.nan),
                          upper=hi)
    w = [np.ones(n), rng.integers(1, 4, n).astype(float), rng.uniform(0.1, 2.0, n),
         np.where(rng.random(n) < 0.5, 1.0, rng.choice([1e-12, 1e-10, 1e-9], n)),
         rng.choice([0.0, 1.0], n),  # some segments weigh 0 throughout: NaN shares
         ][int(rng.integers(0, 5))]  # the fourth: claims too light to move the peak
    segs = Segments(table=table, rows=None, segment=seg, m=m,
                    starts=np.concatenate(([0], np.cumsum(counts))), weight=w,
                    variables=table.variables)
    width = padded_width(segs) or int(counts.max())
    with np.errstate(invalid="ignore"):  # 0 / 0 where a segment weighs 0
        return segs, w / segs.sum(w)[seg], width


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.mark.parametrize(("block", "narrow"), [(1 << 15, 64), (1, 64), (7, 0), (64, 1000)])
def test_the_block_sweep_is_the_stable_sweep(block: int, narrow: int,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of one row, of a few rows and of many; rows swept transposed or along."""
    monkeypatch.setattr(intersection, "_BLOCK", block)
    monkeypatch.setattr(intersection, "_NARROW", narrow)
    rng = np.random.default_rng(block + narrow)
    for _ in range(150):
        segs, share, width = random_segments(rng)
        try:
            expected = intersection._sweep_stable(segs, share, width)
        except IndexError:  # no closing event after the peak: both refuse alike
            with pytest.raises(IndexError):
                intersection._sweep_blocks(segs, share, width)
            continue
        got = intersection._sweep_blocks(segs, share, width)
        for name, e, g in zip(("lower", "upper", "agree"), expected, got, strict=True):
            assert same_bits(e, g), (name, segs.lower, segs.upper, segs.counts)


def test_bounds_a_few_ulps_apart_in_one_wide_segment_are_mended() -> None:
    """One segment of 3,000 claims: the slot takes 13 bits of each key, so bounds up to
    8,192 ulps apart share their high bits and must be put back in order."""
    rng = np.random.default_rng(4)
    n = 3000
    lo = 1.0 + rng.integers(0, 5000, n) * np.spacing(1.0)
    hi = lo + rng.integers(0, 5000, n) * np.spacing(1.0)
    table = cr.ClaimTable(variable=np.zeros(n, int), variables=[0], source=np.zeros(n, int),
                          sources=[cr.Source(id="s")], lower=lo, value=np.full(n, np.nan),
                          upper=hi)
    w = rng.uniform(0.5, 1.5, n)
    segs = Segments(table=table, rows=None, segment=np.zeros(n, np.int64), m=1,
                    starts=np.array([0, n]), weight=w, variables=table.variables)
    share = w / w.sum()
    for e, g in zip(intersection._sweep_stable(segs, share, n),
                    intersection._sweep_blocks(segs, share, n), strict=True):
        assert same_bits(e, g)


@pytest.mark.parametrize("seed", range(4))
def test_reconcile_all_gives_the_same_frames_either_way(
        seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whole runs from shuffled frames (size classes included), every input through
    the block sweep against every input through the stable one."""
    rng = np.random.default_rng(seed)
    frames = []
    for _ in range(10):
        m = int(rng.choice([1, 2, 7, 40, 200]))
        u = rng.random()
        counts = (np.full(m, int(rng.integers(1, 31))) if u < 0.4
                  else rng.integers(1, 31, m) if u < 0.8
                  else np.where(rng.random(m) < 0.02, 60, 1))  # size classes
        n = int(counts.sum())
        lo, hi = bounds(rng, n, str(rng.choice(KINDS)))
        lo, hi = np.where(np.isinf(lo), np.nan, lo), np.where(np.isinf(hi), np.nan, hi)
        lo = np.where(np.isnan(lo) & np.isnan(hi), -1.0, lo)  # NaN: unbounded
        perm = rng.permutation(n)
        frames.append(pd.DataFrame({
            "variable": np.repeat(np.arange(m), counts)[perm],
            "source": [f"s{k}" for k in rng.integers(0, 50, n)],
            "lower": lo[perm], "upper": hi[perm],
            "weight": rng.choice([1.0, 2.0, 0.5, 1e-11], n),
        }))
    results = []
    for small in (10**12, 0):  # every input in one piece, then every input by blocks
        monkeypatch.setattr(intersection, "_SMALL", small)
        runs = [cr.reconcile_all(f, "intersection") for f in frames]  # a crash shows
        results.append([(es.to_pandas(), es.claims_to_pandas()) for es in runs])
    for stable, blocks in zip(*results, strict=True):
        for e, g in zip(stable, blocks, strict=True):
            pd.testing.assert_frame_equal(e, g, check_exact=True)
            for col in e.columns:
                if e[col].dtype.kind == "f":  # -0.0 and 0.0 told apart
                    assert same_bits(e[col].to_numpy(), g[col].to_numpy()), col


class ZeroForVariable0:
    """Weights every claim of variable 0 at 0."""

    @cr.hookimpl
    def claimrecon_claim_weights(self, table: cr.ClaimTable) -> np.ndarray:
        return np.where(table.variable == 0, 0.0, 1.0)


@pytest.mark.parametrize("m", [3, 1024])  # the one-piece sweep, then the block sweep
def test_a_variable_whose_claims_all_weigh_0_has_no_usable_claims(
        m: int, pm: pluggy.PluginManager) -> None:
    """Through the engine, the sweeps never see it (the engine sets its claims aside);
    called directly, its shares are 0 / 0 and no event reaches the peak, which the
    block sweep must take as event 0, as the stable sweep does (it indexed past the
    row), and the kernel gives such a variable shares of 0."""
    pm.register(ZeroForVariable0(), name="zero-0")
    n = 4 * m
    table = cr.ClaimTable(
        variable=np.repeat(np.arange(m), 4), variables=list(range(m)),
        source=np.tile(np.arange(4), m), sources=[cr.Source(id=f"s{i}") for i in range(4)],
        lower=np.tile([0.0, 1.0, 2.0, 3.0], m), value=np.full(n, np.nan),
        upper=np.tile([2.0, 3.0, 4.0, 5.0], m))
    with pytest.raises(cr.NoUsableClaimsError):
        cr.reconcile_all(table, "intersection", plugin_manager=pm)
    segs = Segments(table=table, rows=None, segment=table.variable, m=m,
                    starts=np.arange(0, n + 1, 4), weight=np.where(table.variable == 0, 0.0, 1.0),
                    variables=table.variables)
    kernel = intersection.intersection_kernel(segs)
    assert np.isfinite(kernel.lower).all() and kernel.lower[1] == 2.0
    with np.errstate(invalid="ignore"):
        nan_shares = segs.weight / segs.sum(segs.weight)[segs.segment]
    for e, g in zip(intersection._sweep_stable(segs, nan_shares, 4),
                    intersection._sweep_blocks(segs, nan_shares, 4), strict=True):
        assert same_bits(e, g)
    es = cr.reconcile_all(table, "intersection", on_error="collect", plugin_manager=pm)
    assert list(es.errors) == [0] and len(es) == m - 1
    assert (es[1].lower, es[1].upper) == (2.0, 2.0)  # three of four claims meet at 2
