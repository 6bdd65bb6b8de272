"""The exit statuses every `gansweep` command uses, documented once (README, `gansweep --help`).

    0    done
    1    finished, but some trials errored or diverged (the summary names them)
    2    bad input: a malformed config, spec or option, a missing file (nothing was written)
    130  interrupted (Ctrl-C); `run` and `resume` print the command that continues

This module imports nothing: every layer may use these names.
"""

OK = 0
TRIALS_FAILED = 1
INPUT_ERROR = 2  # as argparse's own usage errors
INTERRUPTED = 130  # 128 + SIGINT, as shells report a process killed by Ctrl-C

EPILOG = """\
examples:
  gansweep validate sweeps/*.yaml                       check specs; starts nothing
  gansweep run sweeps/quickstart.yaml --storage runs    a sweep on a local Ray
  gansweep status runs/quickstart --watch               its live table from another terminal
  gansweep resume runs/quickstart                       continue after Ctrl-C or a crash
  gansweep report runs/quickstart                       tables, figures, LaTeX, HTML
  gansweep train wgan.yaml --out runs/acwgan            one training run, no Ray

exit status:
  0    done
  1    finished, but some trials errored or diverged (the summary names them)
  2    bad input (a malformed spec, config or option, a missing file); nothing written
  130  interrupted (Ctrl-C); `run` and `resume` print the command that continues
"""
