"""`gansweep resume EXPERIMENT_DIR [--restart-errored] [--address auto]`

Continues an interrupted sweep (driver killed, cluster lost) with Tuner.restore: finished
trials stay finished, unfinished ones continue from their last checkpoints, errored ones are
resumed from theirs (or restarted from scratch with --restart-errored), and the searcher
keeps its history.
"""

from __future__ import annotations

def add_arguments(p) -> None:
    p.add_argument("experiment", help="STORAGE/NAME of the experiment (a path or a URI)")
    p.add_argument("--restart-errored", action="store_true",
                   help="start errored trials from scratch instead of their checkpoints")
    p.add_argument("--address", help="Ray cluster to join ('auto' on a cluster node)")


def main(args) -> int:
    from gansweep.sweep.storage import Location
    from gansweep.sweep.tuner import resume_sweep

    where = Location(args.experiment)
    # A missing or malformed saved spec is an InputError, reported by gansweep.cli.
    results = resume_sweep(where, restart_errored=args.restart_errored, address=args.address)
    errors = sum(r.error is not None for r in results)
    print(f"\n{len(results)} trials, {errors} errored: {where}")
    return 0
