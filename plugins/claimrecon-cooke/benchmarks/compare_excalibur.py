"""Compare claimrecon-cooke with EXCALIBUR's scores of 33 expert-judgment studies.

The data set (not in the repository) is the TU Delft expert-judgment data in
EXCALIBUR's ASCII format with EXCALIBUR's summary table, laid out as::

    MANIFEST.csv                 study,dtt,dtt_sha256,rls,rls_sha256
    cases/<study files>          .dtt (assessments) and .rls (realisations)
    reference/Excalibur.csv      EXCALIBUR's scores, ';'-separated, two header rows
    reference/Anduryl_2020.csv   (optional) anduryl's scores of the same table

Run::

    python benchmarks/compare_excalibur.py [DATA_DIR] [--reference FILE] [--min-share X]

``DATA_DIR`` defaults to ``$CLAIMRECON_COOKE_DATA``, else
``/work/shared/datasets/expert_judgment``. A cell agrees when our score, printed
with two decimals, is the reference's figure. The script prints every study's
agreement, the total share and every disagreeing cell, and exits with status 1 when
the share is below ``--min-share`` (default 0.975).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import sys
import time
from pathlib import Path

from claimrecon_cooke import evaluate_study

DMS = {  # the reference's column groups -> evaluate_study's names
    "Equal weight": "equal",
    "PW Non-optimized": "global-nonopt",
    "PW Global": "global",
    "PW Item": "item",
    "Best Expert": "best-expert",
}
SCORES = {"Sa": "calibration", "Inf": "information", "Comb": "combined"}
DEFAULT_DIR = "/work/shared/datasets/expert_judgment"


def read_reference(path: Path) -> dict[str, dict[tuple[str, str], float]]:
    """``{study: {(dm, score): value}}`` from EXCALIBUR's summary table."""
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter=";"))
    groups, names = rows[0], rows[1]
    out: dict[str, dict[tuple[str, str], float]] = {}
    for row in rows[2:]:
        if not row:
            continue
        cells = {}
        for group, name, text in zip(groups, names, row, strict=True):
            if group in DMS and name in SCORES:
                cells[(DMS[group], SCORES[name])] = float(text)
        out[row[0]] = cells
    return out


def agrees(ours: float, reference: float) -> bool:
    """Whether ``ours``, printed with two decimals, is the reference's figure."""
    return f"{ours:.2f}" == f"{reference:.2f}"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", nargs="?",
                        default=os.environ.get("CLAIMRECON_COOKE_DATA", DEFAULT_DIR))
    parser.add_argument("--reference", default="reference/Excalibur.csv",
                        help="the table to compare with, relative to DATA_DIR")
    parser.add_argument("--min-share", type=float, default=0.975)
    parser.add_argument("--check-hashes", action="store_true",
                        help="verify the files against MANIFEST.csv's sha256")
    args = parser.parse_args(argv)
    base = Path(args.data_dir)
    if not (base / "MANIFEST.csv").exists():
        print(f"no data set at {base} (expected MANIFEST.csv there); pass DATA_DIR or set "
              "CLAIMRECON_COOKE_DATA", file=sys.stderr)
        return 2
    reference = read_reference(base / args.reference)
    with (base / "MANIFEST.csv").open(newline="", encoding="utf-8") as f:
        manifest = list(csv.DictReader(f))

    total = agreed = 0
    disagreements: list[tuple[str, str, str, float, float]] = []
    started = time.perf_counter()
    print(f"{'study':<15} {'agree':>6}  cells that differ")
    for entry in manifest:
        study = entry["study"]
        dtt, rls = base / entry["dtt"], base / entry["rls"]
        if args.check_hashes and (sha256(dtt) != entry["dtt_sha256"]
                                  or sha256(rls) != entry["rls_sha256"]):
            print(f"{study}: files differ from MANIFEST.csv's sha256", file=sys.stderr)
            return 2
        ours = evaluate_study(dtt, rls)
        ref = reference[study]
        bad = []
        for (dm, score), value in ref.items():
            total += 1
            mine = ours[dm][score]
            if agrees(mine, value):
                agreed += 1
            else:
                bad.append(f"{dm}/{score}")
                disagreements.append((study, dm, score, mine, value))
        n = len(ref)
        print(f"{study:<15} {n - len(bad):>3}/{n:<3} {', '.join(bad)}")
    share = agreed / total
    print(f"\n{agreed} of {total} cells agree to 2 decimals: {100 * share:.1f}% "
          f"({len(manifest)} studies, {time.perf_counter() - started:.1f} s)")
    if disagreements:
        print("\nDisagreeing cells (ours unrounded, reference):")
        for study, dm, score, mine, value in disagreements:
            print(f"  {study:<15} {dm:<14} {score:<12} {mine:10.6f}  {value:.2f}")
    return 0 if share >= args.min_share else 1


if __name__ == "__main__":
    sys.exit(main())
