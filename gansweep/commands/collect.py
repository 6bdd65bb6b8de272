"""`gansweep collect EXPERIMENT_DIR [EXPERIMENT_DIR ...] [-o OUT]`

Reads experiment directories (local paths or storage URIs such as s3://bucket/exp) into
OUT/evals.parquet, OUT/trials.parquet and OUT/train.parquet (every training scalar; default
OUT: the first EXPERIMENT_DIR/analysis).
Safe on a running or partly failed experiment; running it again gives identical files.
Scores of one metric made under different protocols are refused a merge (exit 2, naming
what differs) unless --split-protocols keeps them apart (analysis/protocols.py).
"""

from __future__ import annotations

import sys


def add_arguments(p) -> None:
    p.add_argument("experiments", nargs="+", metavar="EXPERIMENT_DIR",
                   help="experiment directory or URI (several are merged into one table)")
    p.add_argument("-o", "--out", help="output directory or URI (default EXPERIMENT_DIR/analysis)")
    p.add_argument("--split-protocols", action="store_true",
                   help="keep scores of one metric made under different protocols (another judge, "
                        "sample count, real split, ...) apart as <metric>@<protocol> columns "
                        "instead of refusing to merge them")


def main(args) -> int:
    from analysis.collect import collect

    try:
        out, evals, trials = collect(args.experiments, args.out, args.split_protocols)
    except FileNotFoundError as err:
        print(f"gansweep collect: {err}", file=sys.stderr)
        return 2
    states = trials.column("state").value_counts().to_pylist()
    summary = ", ".join(f"{s['counts']} {s['values']}" for s in sorted(states, key=lambda s: s["values"]))
    print(f"{out}/evals.parquet: {evals.num_rows} evaluations\n"
          f"{out}/trials.parquet: {trials.num_rows} trials ({summary})\n"
          f"{out}/train.parquet: every logged training scalar")
    return 0
