"""The one family of errors that means "the user's input is wrong", whatever command read it.

`gansweep.cli` turns any `InputError` into its message and exit status 2 (a traceback only
with --debug); every other exception is a bug and keeps its traceback. The class is a mixin
with no state of its own, so an error can also stay what callers already catch
(`ConfigError` is a ValueError, `DatasetMissingError` a FileNotFoundError).

This module imports nothing of ours: every layer may raise these.
"""

from __future__ import annotations


class InputError(Exception):
    """Malformed or missing user input; `problems` lists each one (`key.path: message`)."""

    problems: list[str] = []


class ProblemsError(InputError, ValueError):
    """An InputError built from a list of problems, all reported together."""

    def __init__(self, problems: list[str], title: str = "invalid input"):
        self.problems = list(problems)
        super().__init__(f"{title}:\n  " + "\n  ".join(self.problems))


class UnsafeNameError(ProblemsError):
    """An experiment name that is not one safe path component."""


class RunDirConflict(ProblemsError):
    """A run directory that holds another run (resuming it would mix two experiments)."""


class CheckpointMissing(InputError, FileNotFoundError):
    """No (usable) checkpoint where the user pointed."""
