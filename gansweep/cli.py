"""`gansweep <command>`: sweeps of PyTorch GAN training on Ray Tune + Optuna.

One entry point and the one command table (COMMANDS); each command is a module of
gansweep/commands/.

A command module defines `add_arguments(parser)` and `main(args) -> int`; it is imported only
when its command runs, so `gansweep --help` stays fast and Ray is never imported for `train`.

Errors in the user's input are reported here, once for every command: any
`gansweep.errors.InputError` (a bad config or spec, a missing dataset, weights file or
checkpoint) becomes its message on stderr and exit status 2, with no traceback unless
--debug is given. Commands validate before they create anything, so such an exit has
written nothing. Other exceptions are bugs and keep their traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from gansweep import exitcodes
from gansweep.errors import InputError

INPUT_ERROR = exitcodes.INPUT_ERROR

# command -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("gansweep.commands.run", "start a sweep from a spec on Ray Tune"),
    "resume": ("gansweep.commands.resume", "continue an interrupted sweep"),
    "status": ("gansweep.commands.status", "table of a sweep's trials"),
    "validate": ("gansweep.commands.validate", "check sweep specs without starting anything"),
    "train": ("gansweep.commands.train", "train one config without Ray (resumes in its DIR)"),
    "eval": ("gansweep.commands.eval", "re-evaluate a saved generator on fresh samples"),
    "fid": ("gansweep.commands.fid", "FID between two image folders or statistics files"),
    "presets": ("gansweep.commands.presets", "list the named model presets"),
    "augment": ("gansweep.commands.augment",
                "the MNIST DCGAN report's data-augmentation grid: LeNet test accuracy on real + generated"),
    "collect": ("gansweep.commands.collect", "experiment directories -> Parquet tables of evals and trials"),
    "report": ("gansweep.commands.report", "tables, figures and samples of an experiment as Markdown + HTML"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gansweep", description=__doc__.splitlines()[0],
                                     epilog=exitcodes.EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module, help_text) in COMMANDS.items():
        cmd = sub.add_parser(name, help=help_text, description=help_text)
        cmd.set_defaults(_module=module)
        # Arguments are added lazily (below) so that a broken optional module cannot break
        # every other command.
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv[:1]  # `gansweep --debug CMD ...` as well as `CMD ... --debug`
    argv = argv[1:] if debug else argv
    parser = build_parser()
    if argv and argv[0] in COMMANDS:
        module = importlib.import_module(COMMANDS[argv[0]][0])
        cmd_parser = argparse.ArgumentParser(prog=f"gansweep {argv[0]}",
                                             description=COMMANDS[argv[0]][1],
                                             epilog=exitcodes.EPILOG.split("\n\n")[1],
                                             formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(cmd_parser)
        cmd_parser.add_argument("--debug", action="store_true",
                                help="show the traceback of an input error")
        args = cmd_parser.parse_args(argv[1:])
        return run_command(argv[0], module.main, args, debug or args.debug)
    parser.parse_args(argv)  # prints help / the error for an unknown command
    return INPUT_ERROR


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("gansweep")
    except PackageNotFoundError:  # a checkout used without installing it
        return "unknown (not installed)"


def run_command(name: str, command, args, debug: bool = False) -> int:
    """The one place where input errors become a message and exit status 2, and Ctrl-C
    becomes 130 (commands that can be continued say how before it gets here)."""
    try:
        return int(command(args) or 0)
    except KeyboardInterrupt:
        print(f"\ngansweep {name}: interrupted", file=sys.stderr)
        return exitcodes.INTERRUPTED
    except InputError as err:
        if debug:
            raise
        print(f"gansweep {name}: {err}", file=sys.stderr)
        return INPUT_ERROR


if __name__ == "__main__":
    sys.exit(main())
