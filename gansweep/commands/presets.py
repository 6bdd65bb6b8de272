"""`gansweep presets`: the named model presets and what each sets."""

from __future__ import annotations

import yaml

from gansweep.config.presets import PRESETS


def add_arguments(p) -> None:
    p.add_argument("name", nargs="?", help="show one preset's values")


def main(args) -> int:
    if args.name:
        if args.name not in PRESETS:
            print(f"unknown preset {args.name!r}; known: {', '.join(PRESETS)}")
            return 2
        print(yaml.safe_dump(PRESETS[args.name], sort_keys=False) or "{} (the defaults)")
        return 0
    for name in PRESETS:
        print(name)
    return 0
