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

import json
import math
from pathlib import Path


class TrialCurves:
    """`replay`: a restored trial's metrics.jsonl (complete up to its checkpoint). Its lines
    are written again into this trial's new event file, with TensorBoard's purge step 0, so
    the curves are whole even when the interrupted attempt's last event file never reached
    the storage, and TensorBoard hides that attempt's events instead of drawing them twice."""

    def __init__(self, logdir: Path, flush_secs: int = 10, replay: Path | None = None):
        from tensorboardX import SummaryWriter  # ray[tune] depends on tensorboardX

        self.writer = SummaryWriter(logdir=str(logdir), flush_secs=flush_secs,
                                    purge_step=0 if replay else None)
        if replay:
            for line in replay.read_text().splitlines():
                try:
                    r = json.loads(line)
                except ValueError:
                    continue  # a half-written last line
                if r.get("kind") in ("train", "eval") and isinstance(r.get("iteration"), int):
                    values = {k: v for k, v in r.items() if k not in ("kind", "iteration", "time")}
                    self._write(r["kind"], r["iteration"], values)
            self.writer.flush()

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
