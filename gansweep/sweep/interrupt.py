"""Ctrl-C during a sweep: stop the trials cleanly, keep the experiment resumable, say so.

Ray Tune's own SIGINT handler stops the run and saves the experiment state, but `Tuner.fit`
then returns as if the sweep had ended, so a caller cannot tell an interruption from a
finish (and `run` used to exit 0). Here the SIGINT handler is ours: the first Ctrl-C records
the interruption and asks Tune to stop through SIGUSR1, the signal Tune always treats as
"stop and save"; a second Ctrl-C raises KeyboardInterrupt at once (state possibly older).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading


class Interrupt:
    def __init__(self):
        self.interrupted = False


class _NoTunerRestoreHint(logging.Filter):
    """Tune's "Resume experiment with: Tuner.restore(...)" is for Tune's API users; ours get
    the `gansweep resume ...` line (gansweep.sweep.outcome), and two different answers confuse."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Tuner.restore(" not in record.getMessage()


@contextlib.contextmanager
def catch_interrupt():
    flag = Interrupt()
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGUSR1"):
        yield flag  # signals can only be handled on the main thread
        return

    def on_sigint(sig, frame):
        if flag.interrupted:
            raise KeyboardInterrupt
        flag.interrupted = True
        print("\ninterrupted: stopping the trials and saving the experiment state "
              "(Ctrl-C again to abort at once)", file=sys.stderr, flush=True)
        os.kill(os.getpid(), signal.SIGUSR1)  # Tune: stop, checkpoint the experiment, return

    hint_filter = _NoTunerRestoreHint()
    logging.getLogger("ray.tune.tune").addFilter(hint_filter)
    previous = signal.signal(signal.SIGINT, on_sigint)
    saved_env = os.environ.get("TUNE_DISABLE_SIGINT_HANDLER")
    os.environ["TUNE_DISABLE_SIGINT_HANDLER"] = "1"  # Tune must leave our handler in place
    try:
        yield flag
    finally:
        logging.getLogger("ray.tune.tune").removeFilter(hint_filter)
        signal.signal(signal.SIGINT, previous)
        if saved_env is None:
            os.environ.pop("TUNE_DISABLE_SIGINT_HANDLER", None)
        else:
            os.environ["TUNE_DISABLE_SIGINT_HANDLER"] = saved_env
