"""`gansweep status EXPERIMENT_DIR`: the trial table of a running or finished sweep.

Reads gansweep-trials.json, which the sweep's driver keeps up to date; Ray is not needed.
"""

from __future__ import annotations

import sys


def add_arguments(p) -> None:
    p.add_argument("experiment", help="STORAGE/NAME of the experiment (a path or a URI)")


def main(args) -> int:
    import yaml

    from gansweep.sweep.ledger import format_table
    from gansweep.sweep.storage import SPEC_FILE, TRIALS_FILE, Location

    where = Location(args.experiment)
    if not where.exists(SPEC_FILE):
        print(f"{where}: not a gansweep experiment (no {SPEC_FILE})", file=sys.stderr)
        return 1
    resolved = yaml.safe_load(where.read_text(SPEC_FILE))["resolved"]
    trials = where.read_json(TRIALS_FILE, {})
    expected = resolved["num_samples"] * resolved["replicates"]
    print(f"{where}: {len(trials)} of {expected} trials started; "
          f"objective {resolved['optimize']} {resolved['metric']} ({resolved['mode']})")
    print(format_table(trials, resolved["metric"]))
    return 0
