"""`gansweep validate SPEC...`: parse and check sweep specs; nothing starts.

Prints one line per valid spec (what it would run) and every problem of an invalid one by
key path. Exit status 2 when any spec is invalid (every spec is still checked).
"""

from __future__ import annotations

import sys

from gansweep.sweep.spec import SpecError, load_spec, smoke_test


def add_arguments(p) -> None:
    p.add_argument("specs", nargs="+", metavar="SPEC", help="sweep spec YAML files")
    p.add_argument("--smoke-test", action="store_true", help="also check the toy-scale version")


def main(args) -> int:
    bad = 0
    for path in args.specs:
        try:
            spec = load_spec(path)
            if args.smoke_test:
                smoke_test(spec).config()
        except SpecError as err:  # reported here, not by gansweep.cli: the next spec still runs
            print(err, file=sys.stderr)
            bad += 1
            continue
        for warning in spec.warnings:
            print(f"warning: {path}: {warning}", file=sys.stderr)
        print(f"ok  {path}: {spec.model}, {len(spec.search)} params, {spec.num_samples} configs "
              f"x {spec.replicates} replicates, {spec.iterations} iterations, "
              f"{spec.optimize} {spec.metric} ({spec.mode})")
    return 2 if bad else 0
