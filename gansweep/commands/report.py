"""`gansweep report EXPERIMENT_DIR [-o DIR]`

Writes DIR/report.md (figures in DIR/images/) and a self-contained DIR/report.html (default
DIR: EXPERIMENT_DIR/report): Table 5.2 with error bars, learning curves, hyperparameter
plots, samples from the best checkpoints, failed trials and the spec; where the sweep
compares models, the held-out scores of `gansweep eval EXPERIMENT` and each model's verdict
against a baseline (--baseline, default the spec's model).
"""

from __future__ import annotations

import sys


def add_arguments(p) -> None:
    p.add_argument("experiment", metavar="EXPERIMENT_DIR", help="experiment directory or URI")
    p.add_argument("-o", "--out", help="report directory or URI (default EXPERIMENT_DIR/report)")
    p.add_argument("--no-samples", action="store_true",
                   help="skip the figures that load checkpoints (sample grids, interpolation, neighbours)")
    p.add_argument("--baseline", metavar="MODEL",
                   help="the model every other is judged against, with bootstrap intervals over "
                        "seeds (default: the spec's model, when the sweep compares several)")


def main(args) -> int:
    from analysis.report import report

    try:
        where = report(args.experiment, args.out, with_samples=not args.no_samples,
                       baseline=args.baseline)
    except (FileNotFoundError, ValueError) as err:
        print(f"gansweep report: {err}", file=sys.stderr)
        return 2
    print(f"{where}/report.md\n{where}/report.html")
    return 0
