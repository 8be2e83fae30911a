"""Draw the charts of the case study (docs/explanation/case-study.rst).

The page shows SVG files committed under ``docs/_static/case-study/``, so the docs build
needs no matplotlib. Run this script again after a change to the seed claims, to the
strategies or to :func:`claimrecon.plot.forest`, and commit the result::

    python -m pip install 'claimrecon[plot]'
    python docs/_scripts/case_study_charts.py            # writes docs/_static/case-study/
    python docs/_scripts/case_study_charts.py --out DIR  # elsewhere (the tests do this)

The output is reproducible: the same versions give the same bytes.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import matplotlib

import claimrecon as cr
from claimrecon.plot import forest

OUT = Path(__file__).resolve().parents[1] / "_static" / "case-study"
STRATEGIES = ("range", "intersection", "weighted", "median", "recency")

#: File name -> (variable, strategies) of each chart the page shows.
CHARTS = {
    "nk-troops-sent.svg": ("nk-troops-sent", STRATEGIES),
    "nk-casualties.svg": ("nk-casualties", STRATEGIES),
}


def draw(out: Path) -> list[Path]:
    """Write every chart of :data:`CHARTS` into ``out``; return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    claims = cr.load_seed_claims()
    written = []
    for name, (variable, strategies) in CHARTS.items():
        mine = [c for c in claims if c.variable == variable]
        fig = forest([cr.reconcile(mine, s) for s in strategies])
        path = out / name
        with matplotlib.rc_context({"svg.hashsalt": f"case-study-{variable}",
                                    "svg.fonttype": "path"}):
            fig.savefig(path, format="svg", metadata={"Date": None})
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT,
                        help=f"the folder to write into (default: {OUT})")
    args = parser.parse_args(argv)
    for path in draw(args.out):
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
