"""`gansweep status EXPERIMENT_DIR`: the trial table of a running or finished sweep.

Reads gansweep-trials.json, which the sweep's driver keeps up to date; Ray is not needed.
"""

from __future__ import annotations

def add_arguments(p) -> None:
    p.add_argument("experiment", help="STORAGE/NAME of the experiment (a path or a URI)")


def main(args) -> int:
    from gansweep.sweep.ledger import format_table
    from gansweep.sweep.storage import TRIALS_FILE, Location
    from gansweep.sweep.tuner import read_saved_spec

    where = Location(args.experiment)
    resolved = read_saved_spec(where)["resolved"]
    trials = where.read_json(TRIALS_FILE, {})
    expected = resolved["num_samples"] * resolved["replicates"]
    print(f"{where}: {len(trials)} of {expected} trials started; "
          f"objective {resolved['optimize']} {resolved['metric']} ({resolved['mode']})")
    print(format_table(trials, resolved["metric"]))
    return 0
