"""How long does reconciling one variable of five claims take?

Prints microseconds per call for each built-in strategy through the public API
(`claimrecon.reconcile`), next to the cost of a bare pluggy hook call measured in the
same run, and their ratio. Run: python benchmarks/bench_reconcile_small.py [--number 2000]
"""

from __future__ import annotations

import argparse
import timeit

import claimrecon as cr


def best(fn: object, number: int = 2000, repeat: int = 7) -> float:
    """Best-of-``repeat`` seconds per call (the least disturbed by a noisy machine)."""
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--number", type=int, default=2000, help="calls per timing")
    args = ap.parse_args(argv)
    sources = [cr.Source(id=f"s{i}", reliability=0.5 + i / 10) for i in range(5)]
    claims = [
        cr.Claim(variable="v", source=sources[i],
                 quantity=cr.Quantity(value=100 + i, lower=90 + i, upper=110 + i))
        for i in range(5)
    ]
    pm = cr.get_plugin_manager()
    floor = best(lambda: pm.hook.claimrecon_strategies(), number=10 * args.number)
    print(f"bare pluggy hook call (claimrecon_strategies): {floor * 1e6:7.2f} us")
    print(f"{'strategy':<14}{'us/call':>10}{'x hook call':>14}")
    for name in ("range", "intersection", "weighted", "median", "recency"):
        t = best(lambda name=name: cr.reconcile(claims, name), number=args.number)
        print(f"{name:<14}{t * 1e6:10.1f}{t / floor:14.1f}")


if __name__ == "__main__":
    main()
