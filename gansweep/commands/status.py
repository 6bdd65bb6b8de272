"""`gansweep status EXPERIMENT_DIR [--json] [--watch [S]] [--all] [--top N]`

The progress view of a running or finished sweep: counts by state, elapsed time and ETA, the
best so far, the N best trials, the running ones and the failed ones (`--all`: every trial's
row). `--json` prints the same as one JSON object (`trials` holds every ledger entry);
`--watch` redraws every S seconds (default 5) until every trial has ended or Ctrl-C (130).
Reads gansweep-trials.json, which the sweep's driver keeps up to date; Ray is not needed.
"""

from __future__ import annotations

import json
import sys
import time


def add_arguments(p) -> None:
    p.add_argument("experiment", help="STORAGE/NAME of the experiment (a path or a URI)")
    p.add_argument("--json", action="store_true", help="print the view as one JSON object")
    p.add_argument("--watch", nargs="?", type=float, const=5.0, default=None, metavar="S",
                   help="redraw every S seconds (default 5) until the sweep ends")
    p.add_argument("--all", action="store_true", help="also a row for every trial")
    p.add_argument("--top", type=int, default=5, metavar="N", help="best trials shown (default 5)")


def main(args) -> int:
    from gansweep.sweep.storage import Location
    from gansweep.sweep.tuner import read_saved_spec

    where = Location(args.experiment)
    resolved = read_saved_spec(where)["resolved"]  # InputError when not an experiment
    while True:
        done = show(where, resolved, args)
        if args.watch is None or done:
            return 0
        time.sleep(max(0.5, args.watch))


def show(where, resolved: dict, args, out=None) -> bool:
    """Print the view once; True when no trial is left to run."""
    from gansweep.sweep.progress import format_table
    from gansweep.sweep.progress import format_progress, progress_json
    from gansweep.sweep.storage import TRIALS_FILE

    out = out or sys.stdout
    trials = where.read_json(TRIALS_FILE, {}) or {}
    expected = max(resolved["num_samples"] * resolved["replicates"], len(trials))
    view = dict(metric=resolved["metric"], mode=resolved["mode"], expected=expected,
                iterations=resolved["iterations"], top=args.top)
    data = progress_json(trials, **view)
    done = data["counts"]["not started"] == 0 and not any(
        data["counts"][s] for s in ("pending", "running", "retrying"))
    if args.json:
        print(json.dumps({"experiment": where.uri, "optimize": resolved["optimize"], "done": done,
                          **data}, sort_keys=True, default=str), file=out, flush=True)
        return done
    if args.watch is not None and out.isatty():
        print("\033[2J\033[H", end="", file=out)  # clear the screen, cursor home
    print(f"{where}: objective {resolved['optimize']} {resolved['metric']} ({resolved['mode']}), "
          f"{expected} trials of {resolved['iterations']} iterations", file=out)
    print(format_progress(trials, **view), file=out)
    if args.all:
        print(format_table(trials, resolved["metric"]), file=out)
    out.flush()
    return done
