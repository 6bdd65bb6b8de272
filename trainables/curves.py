"""Live training curves: each trial's scalars as TensorBoard event files in its own directory.

The trainer logs its training scalars (losses, the Wasserstein estimate, gradient norms, D's
outputs) every `train.log_every` iterations and its evaluations every `eval.every`; both go
to an event file in the trial's working directory, which Ray syncs to STORAGE/NAME/TRIAL, so
`tensorboard --logdir STORAGE/NAME` shows every trial's curves while the sweep runs. Tags are
`train/<scalar>` and `eval/<metric>`, against the generator iteration.

Ray's own TensorBoard logger is switched off (gansweep.sweep.tuner.init_ray): it saw only the
evaluations, and its banner pointed at a folder of Ray's session directory.
"""

from __future__ import annotations

import math
from pathlib import Path


class TrialCurves:
    def __init__(self, logdir: Path, flush_secs: int = 10):
        from tensorboardX import SummaryWriter  # ray[tune] depends on tensorboardX

        self.writer = SummaryWriter(logdir=str(logdir), flush_secs=flush_secs)

    def train(self, iteration: int, scalars: dict) -> None:
        self._write("train", iteration, scalars)

    def eval(self, iteration: int, metrics: dict) -> None:
        self._write("eval", iteration, metrics)
        self.writer.flush()  # evaluations are rare and the ones a user waits for

    def _write(self, group: str, iteration: int, values: dict) -> None:
        for key, value in values.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
                self.writer.add_scalar(f"{group}/{key}", float(value), iteration)

    def close(self) -> None:
        self.writer.close()
