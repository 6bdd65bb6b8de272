"""`gansweep run SPEC [--address auto] [--storage URI] [--name NAME] [--smoke-test] [--dry-run]`

Starts the sweep as a Ray Tune experiment in STORAGE/NAME (storage: --storage, else
$GANSWEEP_STORAGE, else the spec's `storage`; name: --name, else the spec's `name`). A local
Ray is started unless --address (or $RAY_ADDRESS) names a running cluster. The progress view
is printed as the sweep goes; `gansweep status DIR [--watch]` shows it from another terminal.
Exit status (gansweep.exitcodes): 0 done, 1 some trials errored or diverged (named), 2 bad
input, 130 interrupted by Ctrl-C (the trials stop cleanly and the `gansweep resume` command
that continues is printed).
"""

from __future__ import annotations

import sys

from gansweep.exitcodes import INPUT_ERROR
from gansweep.sweep.loggers import check_installed
from gansweep.sweep.spec import default_storage, load_spec, smoke_test


def add_arguments(p) -> None:
    p.add_argument("spec", help="sweep spec YAML")
    p.add_argument("--address", help="Ray cluster to join ('auto' on a cluster node)")
    p.add_argument("--storage", help="directory or URI (s3://, gs://) for the experiment")
    p.add_argument("--name", help="experiment name (default: the spec's name)")
    p.add_argument("--smoke-test", action="store_true",
                   help="toy scale: tiny networks on digits, a few iterations, CPU")
    p.add_argument("--dry-run", action="store_true", help="print the plan; start nothing")
    p.add_argument("--progress-every", type=float, default=30.0, metavar="S",
                   help="print the progress view every S seconds (default 30)")


def main(args) -> int:
    from gansweep.sweep.tuner import experiment_location, prepare, print_summary

    # Input errors (spec, --name, missing data or weights) are reported by gansweep.cli;
    # all of them come before anything is written or Ray starts.
    spec = load_spec(args.spec)
    for warning in spec.warnings:
        print(f"warning: {args.spec}: {warning}", file=sys.stderr)
    if args.smoke_test:
        spec = smoke_test(spec)
    where = experiment_location(spec, default_storage(spec, args.storage), args.name)
    check_local_files(spec, args.address)
    check_installed(spec.loggers)  # `loggers: [wandb]` without wandb: exit 2, before anything
    spec = prepare(spec, where)
    print_summary(spec, where)
    if args.dry_run:
        return 0
    from gansweep.sweep.interrupt import catch_interrupt
    from gansweep.sweep.outcome import conclude
    from gansweep.sweep.tuner import run_sweep
    try:
        with catch_interrupt() as stop:
            results = run_sweep(spec, where, address=args.address,
                                progress_every_s=args.progress_every)
    except FileExistsError as err:  # an experiment already there: the user's input
        print(f"gansweep run: {err}", file=sys.stderr)
        return INPUT_ERROR
    except KeyboardInterrupt:  # a second Ctrl-C: no clean stop, but the last saved state
        return aborted(where, args.address)
    return conclude(where, results, stop.interrupted, args.address)


def aborted(where, address) -> int:
    from gansweep.exitcodes import INTERRUPTED
    from gansweep.sweep.outcome import resume_command
    print(f"\naborted; the last saved state of the experiment continues with:\n"
          f"  {resume_command(where, address)}", file=sys.stderr, flush=True)
    return INTERRUPTED


def check_local_files(spec, address) -> None:
    """Inception weights and datasets are read from local paths; on a local run, a missing
    file fails here, before Ray starts, with the message that says where to put it."""
    if address:
        return  # the worker nodes' disks are what matter; the trials report it there
    cfg = spec.config()
    from gansweep.metrics import registry

    wants_inception = registry.needs_inception([spec.metric, *cfg.eval.metrics])
    if wants_inception and cfg.eval.every:
        from gansweep.metrics.inception import resolve_weights
        resolve_weights(cfg.eval.inception_weights)
    if cfg.data.name != "digits" and not cfg.data.download:
        from gansweep.data import load_dataset
        load_dataset(cfg.data, "test")  # DatasetMissingError: what to fetch, where to put it
