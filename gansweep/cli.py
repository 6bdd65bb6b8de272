"""`gansweep <command>`: one entry point, each command implemented in the module that owns it.

A command module defines `add_arguments(parser)` and `main(args) -> int`; it is imported only
when its command runs, so `gansweep --help` stays fast and Ray is never imported for `train`.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# command -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("gansweep.commands.run", "start a sweep from a spec on Ray Tune"),
    "resume": ("gansweep.commands.resume", "continue an interrupted sweep"),
    "status": ("gansweep.commands.status", "table of a sweep's trials"),
    "validate": ("gansweep.commands.validate", "check sweep specs without starting anything"),
    "train": ("gansweep.commands.train", "train one config without Ray (resumes in its DIR)"),
    "eval": ("gansweep.metrics.commands_eval", "re-evaluate a saved generator on fresh samples"),
    "fid": ("gansweep.metrics.commands_fid", "FID between two image folders or statistics files"),
    "presets": ("gansweep.commands.presets", "list the named model presets"),
    "augment": ("gansweep.metrics.commands_augment",
                "seed 002's data-augmentation grid: LeNet test accuracy on real + generated"),
    "collect": ("analysis.commands_collect", "experiment directories -> Parquet tables of evals and trials"),
    "report": ("analysis.commands_report", "tables, figures and samples of an experiment as Markdown + HTML"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gansweep", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module, help_text) in COMMANDS.items():
        cmd = sub.add_parser(name, help=help_text, description=help_text)
        cmd.set_defaults(_module=module)
        # Arguments are added lazily (below) so that a broken optional module cannot break
        # every other command.
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if argv and argv[0] in COMMANDS:
        module = importlib.import_module(COMMANDS[argv[0]][0])
        cmd_parser = argparse.ArgumentParser(prog=f"gansweep {argv[0]}",
                                             description=COMMANDS[argv[0]][1])
        module.add_arguments(cmd_parser)
        args = cmd_parser.parse_args(argv[1:])
        return int(module.main(args) or 0)
    parser.parse_args(argv)  # prints help / the error for an unknown command
    return 2


if __name__ == "__main__":
    sys.exit(main())
