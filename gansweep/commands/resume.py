"""`gansweep resume EXPERIMENT_DIR [--restart-errored] [--address auto]`

Continues an interrupted sweep (driver killed, cluster lost) with Tuner.restore: finished
trials stay finished, unfinished ones continue from their last checkpoints, errored ones are
resumed from theirs (or restarted from scratch with --restart-errored), and the searcher
keeps its history. Exit status as `gansweep run`: 0, 1 (errored or diverged trials, named),
2, 130 (Ctrl-C: stopped cleanly, resumable again).
"""

from __future__ import annotations

def add_arguments(p) -> None:
    p.add_argument("experiment", help="STORAGE/NAME of the experiment (a path or a URI)")
    p.add_argument("--restart-errored", action="store_true",
                   help="start errored trials from scratch instead of their checkpoints")
    p.add_argument("--address", help="Ray cluster to join ('auto' on a cluster node)")


def main(args) -> int:
    from gansweep.sweep.interrupt import catch_interrupt
    from gansweep.sweep.outcome import conclude
    from gansweep.sweep.storage import Location
    from gansweep.sweep.tuner import read_saved_spec, resume_sweep

    where = Location(args.experiment)
    read_saved_spec(where)  # a missing or malformed saved spec: InputError, before Ray starts
    try:
        with catch_interrupt() as stop:
            results = resume_sweep(where, restart_errored=args.restart_errored, address=args.address)
    except KeyboardInterrupt:  # a second Ctrl-C: no clean stop, but the last saved state
        from gansweep.commands.run import aborted
        return aborted(where, args.address)
    return conclude(where, results, stop.interrupted, args.address)
